"""The shipped artifacts are what the sources compile to, through the solc-js shim."""

from __future__ import annotations

import json
import subprocess

import pytest

from trustshare.chain.codegen import render_error_module
from trustshare.chain.compiled import GENERATED_ERRORS_MODULE, artifacts_dir, load_artifact
from trustshare.chain.toolchain import CONTRACT_NAMES, compile_contracts, find_checkout

pytestmark = pytest.mark.node


def test_shim_answers_version_like_native_solc() -> None:
    checkout = find_checkout()
    completed = subprocess.run(
        [str(checkout.solc), "--version"], capture_output=True, text=True, check=True
    )
    lines = completed.stdout.strip().splitlines()
    assert lines[0] == "solc, the solidity compiler commandline interface"
    assert lines[1].startswith("Version: 0.8.28+commit.")


def test_shim_refuses_unsupported_modes_with_a_message() -> None:
    checkout = find_checkout()
    completed = subprocess.run(
        [str(checkout.solc), "--bin", "x.sol"], capture_output=True, text=True
    )
    assert completed.returncode == 1
    assert "unsupported argument --bin" in completed.stderr


def test_shipped_artifacts_and_error_module_are_not_stale() -> None:
    fresh = compile_contracts(find_checkout())
    stale = []
    for name in CONTRACT_NAMES:
        shipped = json.loads((artifacts_dir() / f"{name}.json").read_text())
        if shipped["abi"] != fresh[name]["abi"] or shipped["bytecode"] != fresh[name]["bytecode"]:
            stale.append(name)
    assert not stale, f"artifacts stale for {stale}: run `make artifacts` and commit"
    assert GENERATED_ERRORS_MODULE.read_text() == render_error_module(fresh), (
        "contract_errors.py is stale: run `make artifacts` and commit"
    )


def test_loaded_artifact_has_abi_and_bytecode() -> None:
    artifact = load_artifact("ClaimRegistry")
    assert any(entry.get("name") == "recordClaim" for entry in artifact.abi)
    assert artifact.bytecode.startswith("0x60")
