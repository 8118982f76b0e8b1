"""``trustshare insurer migrate`` / ``serve``: settings from the environment, readable failures."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from trustshare.cli.insurer import insurer_app
from trustshare.insurer.keystore import Keystore
from trustshare.storage.insurer_migrate import current_revision, head_revision

runner = CliRunner()


def test_migrate_brings_the_database_named_by_the_environment_to_head(
    insurer_database_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    keys = tmp_path / "keys.json"
    Keystore.generate().write(keys)
    monkeypatch.setenv("TRUSTSHARE_INSURER_KEYSTORE_FILE", str(keys))
    monkeypatch.setenv("TRUSTSHARE_INSURER_DATABASE_URL", insurer_database_url)
    result = runner.invoke(insurer_app, ["migrate"])
    assert result.exit_code == 0, result.output
    assert f"revision {head_revision()}" in result.output
    assert current_revision(insurer_database_url) == head_revision()


def test_serve_without_a_keystore_names_the_missing_setting(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("TRUSTSHARE_INSURER_CONFIG", raising=False)
    monkeypatch.setenv("TRUSTSHARE_INSURER_KEYSTORE_FILE", str(tmp_path / "absent.json"))
    result = runner.invoke(insurer_app, ["serve"])
    assert result.exit_code == 1
    assert "TRUSTSHARE_INSURER_KEYSTORE_FILE" in result.output
    assert "insurer keygen" in result.output
