"""The command line as a user meets it: help, a long-running chain (the demo: test_demo.py)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from typer.testing import CliRunner

from trustshare.chain.deployment import Deployment
from trustshare.chain.devchain import DevChain, free_port
from trustshare.cli import app

runner = CliRunner()
TRUSTSHARE = [sys.executable, "-m", "trustshare.cli"]


def test_help_explains_every_command() -> None:
    result = runner.invoke(app, ["--help"])
    assert result.exit_code == 0
    for command in ("chain", "contracts", "demo", "settle"):
        assert command in result.output
    chain_help = runner.invoke(app, ["chain", "up", "--help"])
    assert "--state-dir" in chain_help.output and "Ctrl-C" in chain_help.output


def test_chain_up_runs_until_interrupted_and_keeps_its_state(tmp_path: Path) -> None:
    port = free_port()
    state_dir = tmp_path / "devnet"
    process = subprocess.Popen(
        [*TRUSTSHARE, "chain", "up", "--port", str(port), "--state-dir", str(state_dir)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    try:
        lines = []
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            line = process.stdout.readline() if process.stdout else ""
            lines.append(line)
            if "running" in line or not line:
                break
        assert any("ClaimRegistry" in line for line in lines), lines
        assert (state_dir / "deployment.json").exists()
        process.send_signal(signal.SIGINT)
        process.wait(timeout=30)
    finally:
        if process.poll() is None:
            process.kill()
    assert process.returncode == 0
    deployment = Deployment.read(state_dir / "deployment.json")
    # Restarting from the state directory finds the same registries.
    with DevChain.start(state_file=state_dir / "chain-state.json") as chain:
        from web3 import Web3

        deployment.check(Web3(Web3.HTTPProvider(chain.rpc_url)))


def test_chain_up_refuses_a_busy_port_by_name(dev_chain: DevChain) -> None:
    result = runner.invoke(app, ["chain", "up", "--port", str(dev_chain.port)])
    assert result.exit_code == 1
    assert f"port {dev_chain.port}" in result.output and "already in use" in result.output


@pytest.mark.parametrize("bad", [["chain", "up", "--port", "x"], ["nonsense"]])
def test_bad_arguments_get_a_usage_error(bad: list[str]) -> None:
    result = runner.invoke(app, bad)
    assert result.exit_code == 2
