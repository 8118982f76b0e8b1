"""The compiled registries shipped inside the package (ABI + bytecode), and their build step."""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

from trustshare.chain.errors import ToolchainError

ARTIFACTS_PACKAGE = "trustshare.chain.artifacts"
GENERATED_ERRORS_MODULE = Path(__file__).with_name("contract_errors.py")


@dataclass(frozen=True)
class Artifact:
    """One compiled contract."""

    name: str
    abi: list[dict[str, Any]]
    bytecode: str
    deployed_bytecode: str


@cache
def load_artifact(name: str) -> Artifact:
    """The shipped artifact of contract ``name`` (``ConsentRegistry`` …)."""
    try:
        text = resources.files(ARTIFACTS_PACKAGE).joinpath(f"{name}.json").read_text()
    except FileNotFoundError as exc:
        raise ToolchainError(
            f"artifact {name}.json is not in the package; run `trustshare contracts build`"
        ) from exc
    data = json.loads(text)
    return Artifact(
        name=name,
        abi=data["abi"],
        bytecode=data["bytecode"],
        deployed_bytecode=data["deployedBytecode"],
    )


def artifacts_dir() -> Path:
    """The artifacts folder inside the source tree (where the build step writes)."""
    return Path(__file__).with_name("artifacts")


def build(checkout_root: Path | None = None) -> list[Path]:
    """Compile the registries and regenerate the shipped artifacts and the error module."""
    from trustshare.chain.codegen import render_error_module
    from trustshare.chain.toolchain import compile_contracts, find_checkout, write_artifacts

    checkout = find_checkout(checkout_root)
    artifacts = compile_contracts(checkout)
    written = write_artifacts(checkout, artifacts, artifacts_dir())
    GENERATED_ERRORS_MODULE.write_text(render_error_module(artifacts))
    load_artifact.cache_clear()
    return [*written, GENERATED_ERRORS_MODULE]
