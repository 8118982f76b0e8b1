"""Node configs: what `bureau serve` / `insurer serve` read, secrets kept across restarts."""

from __future__ import annotations

import stat
import tomllib
from pathlib import Path

import pytest

from trustshare.bureau.settings import CONFIG_FILE_ENV as BUREAU_CONFIG_ENV
from trustshare.bureau.settings import BureauSettings
from trustshare.insurer.keystore import Keystore
from trustshare.insurer.settings import CONFIG_FILE_ENV as INSURER_CONFIG_ENV
from trustshare.insurer.settings import InsurerSettings
from trustshare.network import BureauPlan, InsurerPlan, PlanError
from trustshare.network.configs import (
    KEYSTORE_FILE,
    ChainPlace,
    prepare_bureau,
    prepare_insurer,
    write_toml,
)
from trustshare.network.processes import node_environment

PLACE = ChainPlace("http://127.0.0.1:1234", Path("/state/deployment.json"))


def test_toml_is_written_private_and_reads_back_exactly(tmp_path: Path) -> None:
    settings = {
        "name": 'B "北京"\\\x7f\n',
        "port": 3,
        "ratio": 0.5,
        "on": False,
        "map": {"a b": "c"},
    }
    path = tmp_path / "node.toml"
    write_toml(path, settings)
    assert tomllib.loads(path.read_text()) == settings
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    with pytest.raises(ValueError, match="does not survive TOML"):
        write_toml(path, {"name": "lone surrogate \ud800"})


def test_bureau_config_is_what_the_node_reads_and_keeps_its_secrets(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    plan = BureauPlan("shanghai")
    config = prepare_bureau(tmp_path, plan, PLACE, {"batch_max_wait_ms": 300})
    monkeypatch.setenv(BUREAU_CONFIG_ENV, str(config))
    settings = BureauSettings()  # as `bureau serve` reads it
    assert settings.name == "Shanghai Medical Insurance Bureau"
    assert settings.rpc_url == PLACE.rpc_url
    assert settings.database_url == f"sqlite:///{tmp_path / 'node.db'}"
    assert list(settings.hospital_tokens) == [plan.hospital]
    assert settings.batch_max_wait_ms == 300
    moved = ChainPlace("http://127.0.0.1:5678", PLACE.deployment_file)
    prepare_bureau(tmp_path, plan, moved, {})
    again = BureauSettings()
    assert again.rpc_url == moved.rpc_url
    assert again.chain_key == settings.chain_key
    assert again.pseudonym_key == settings.pseudonym_key
    assert again.hospital_tokens == settings.hospital_tokens


def test_node_environment_drops_inherited_node_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TRUSTSHARE_BUREAU_DATABASE_URL", "sqlite:///shared.db")
    monkeypatch.setenv("TRUSTSHARE_INSURER_KEYSTORE_FILE", "/tmp/other.json")
    environment = node_environment(INSURER_CONFIG_ENV, Path("/state/insurer-a/node.toml"))
    assert environment[INSURER_CONFIG_ENV] == "/state/insurer-a/node.toml"
    assert not any(
        k.startswith(("TRUSTSHARE_BUREAU_", "TRUSTSHARE_INSURER_K")) for k in environment
    )


def test_insurer_gets_one_keystore_and_a_config_naming_it(tmp_path: Path) -> None:
    plan = InsurerPlan("Insurer A", ("enterprise-supplementary",))
    config = prepare_insurer(tmp_path, plan, PLACE, {})
    keystore = Keystore.read(tmp_path / KEYSTORE_FILE)
    prepare_insurer(tmp_path, plan, PLACE, {})
    assert Keystore.read(tmp_path / KEYSTORE_FILE).address == keystore.address
    with config.open("rb") as handle:
        settings = InsurerSettings(**tomllib.load(handle))
    assert settings.keystore_file == tmp_path / KEYSTORE_FILE
    assert settings.operator_token is not None


def test_a_setting_the_node_would_refuse_is_refused_by_name_first(tmp_path: Path) -> None:
    with pytest.raises(PlanError, match=r"Beijing Medical Insurance Bureau: .*batch_max_leaves"):
        prepare_bureau(tmp_path, BureauPlan("beijing"), PLACE, {"batch_max_leaves": 0})
    with pytest.raises(PlanError, match=r"Insurer A: .*no_such_setting"):
        prepare_insurer(tmp_path, InsurerPlan("Insurer A", ()), PLACE, {"no_such_setting": 1})
