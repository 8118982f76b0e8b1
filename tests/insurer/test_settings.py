"""Insurer settings: environment and TOML, and refusal of missing or placeholder secrets."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import ValidationError

from trustshare.insurer.keystore import Keystore
from trustshare.insurer.settings import CONFIG_FILE_ENV, InsurerSettings


@pytest.fixture
def keystore_path(tmp_path: Path) -> Path:
    path = tmp_path / "keys.json"
    Keystore.generate().write(path)
    return path


def test_settings_refuse_a_missing_keystore(tmp_path: Path) -> None:
    with pytest.raises(ValidationError, match="insurer keygen"):
        InsurerSettings(keystore_file=tmp_path / "absent.json")


def test_settings_need_a_keystore_at_all(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("TRUSTSHARE_INSURER_KEYSTORE_FILE", raising=False)
    monkeypatch.delenv(CONFIG_FILE_ENV, raising=False)
    with pytest.raises(ValidationError, match="keystore_file"):
        InsurerSettings()


def test_environment_and_toml_are_read(
    keystore_path: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    config = tmp_path / "insurer.toml"
    config.write_text(f'hold_ttl_s = 120\nchain_cache_s = 0.5\nkeystore_file = "{keystore_path}"\n')
    monkeypatch.setenv(CONFIG_FILE_ENV, str(config))
    monkeypatch.setenv("TRUSTSHARE_INSURER_HOLD_TTL_S", "90")
    settings = InsurerSettings()
    assert settings.keystore_file == keystore_path
    assert settings.chain_cache_s == 0.5
    assert settings.hold_ttl_s == 90  # the environment wins over the file


def test_settings_hold_no_secret_themselves(keystore_path: Path) -> None:
    settings = InsurerSettings(keystore_file=keystore_path)
    dumped = settings.model_dump_json()
    for secret in Keystore.read(keystore_path).to_json_dict()["sealing_keys"]:
        assert secret["private"][2:] not in dumped
