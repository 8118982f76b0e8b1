"""``trustshare bureau serve`` as an operator runs it: settings from a TOML file, then HTTP."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
from pydantic import ValidationError

from trustshare.bureau.settings import CONFIG_FILE_ENV, BureauSettings
from trustshare.chain.devchain import free_port

from ..conftest import Network
from .conftest import PSEUDONYM_KEY_HEX


def _config(network: Network, tmp_path: Path) -> Path:
    deployment = tmp_path / "deployment.json"
    network.deployment.write(deployment)
    config = tmp_path / "bureau.toml"
    config.write_text(
        f'database_url = "sqlite:///{tmp_path / "node.db"}"\n'
        f'rpc_url = "{network.w3.provider.endpoint_uri}"\n'  # type: ignore[attr-defined]
        f'deployment_file = "{deployment}"\n'
        f'pseudonym_key = "{PSEUDONYM_KEY_HEX}"\n'
    )
    return config


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_serve_migrates_and_answers_with_settings_from_file_and_environment(
    network: Network, tmp_path: Path, database_url: str
) -> None:
    config = _config(network, tmp_path)
    port = free_port()
    environment = {
        **os.environ,
        CONFIG_FILE_ENV: str(config),
        "TRUSTSHARE_BUREAU_CHAIN_KEY": bytes(network.bureau.key).hex(),
        "TRUSTSHARE_BUREAU_RUN_PUBLISHER": "false",
    }
    process = subprocess.Popen(
        [sys.executable, "-m", "trustshare.cli", "bureau", "serve", "--port", str(port)],
        env=environment,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        deadline = time.monotonic() + 60
        answer = None
        while time.monotonic() < deadline and process.poll() is None:
            try:
                answer = httpx.get(f"http://127.0.0.1:{port}/v1/health", timeout=1)
                break
            except httpx.HTTPError:
                time.sleep(0.2)
        assert answer is not None, process.stdout.read() if process.stdout else ""
        assert answer.json()["bureau"] == network.bureau.address
    finally:
        process.terminate()
        output, _ = process.communicate(timeout=30)
    assert environment["TRUSTSHARE_BUREAU_CHAIN_KEY"] not in output
    assert PSEUDONYM_KEY_HEX not in output
    assert (tmp_path / "node.db").exists()  # migrated before serving


def test_missing_or_placeholder_secrets_are_refused_by_name(tmp_path: Path) -> None:
    with pytest.raises(ValidationError) as missing:
        BureauSettings()  # type: ignore[call-arg]
    assert {error["loc"][0] for error in missing.value.errors()} >= {"chain_key", "pseudonym_key"}
    with pytest.raises(ValidationError, match="placeholder"):
        BureauSettings(chain_key="00" * 32, pseudonym_key=PSEUDONYM_KEY_HEX)  # type: ignore[arg-type]
