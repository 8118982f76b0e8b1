"""The Solidity toolchain: compile the registries with solc-js through the native-solc shim.

Compiled ABI and bytecode ship inside the package (``artifacts/``) so that running a node needs
no compiler. :func:`compile_contracts` is what the build step and the staleness test run; it
needs the repository checkout (``contracts/`` and ``node_modules/``), not an installed package.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from trustshare.chain.errors import ToolchainError

#: The contracts whose artifacts ship with the package, in deployment order.
CONTRACT_NAMES: tuple[str, ...] = (
    "Participants",
    "ConsentRegistry",
    "AttestationRegistry",
    "ClaimRegistry",
)

#: Compiler settings; kept identical to contracts/foundry.toml so forge and Python agree.
COMPILER_SETTINGS: dict[str, Any] = {
    "optimizer": {"enabled": True, "runs": 10000},
    "evmVersion": "cancun",
    "metadata": {"appendCBOR": False, "bytecodeHash": "none"},
    "outputSelection": {
        "*": {"*": ["abi", "userdoc", "evm.bytecode.object", "evm.deployedBytecode.object"]}
    },
}

_IMPORT = re.compile(r'^\s*import\s+(?:[^"\']*from\s+)?["\']([^"\']+)["\']\s*;', re.MULTILINE)
_OPENZEPPELIN = "@openzeppelin/contracts/"


@dataclass(frozen=True)
class Checkout:
    """Where the chain toolchain lives in a repository checkout."""

    root: Path

    @property
    def contracts_src(self) -> Path:
        """The Solidity sources of the registries."""
        return self.root / "contracts" / "src"

    @property
    def node_modules(self) -> Path:
        """The pinned npm toolchain (anvil, forge, solc-js, OpenZeppelin)."""
        return self.root / "node_modules"

    @property
    def solc(self) -> Path:
        """The native-solc-compatible shim around solc-js."""
        return self.root / "toolchain" / "solc"

    def node_binary(self, name: str) -> Path:
        """A binary installed by npm (``anvil``, ``forge``)."""
        return self.node_modules / ".bin" / name


def find_checkout(start: Path | None = None) -> Checkout:
    """Locate the repository checkout from ``TRUSTSHARE_ROOT``, ``start`` or this file.

    Raises :class:`ToolchainError` naming what is missing when no checkout is found.
    """
    override = os.environ.get("TRUSTSHARE_ROOT")
    candidates = [Path(override)] if override else []
    for origin in (start or Path.cwd(), Path(__file__).resolve()):
        candidates.extend([origin, *origin.parents])
    for candidate in candidates:
        if (candidate / "contracts" / "foundry.toml").is_file():
            return Checkout(candidate.resolve())
    raise ToolchainError(
        "no TrustShare checkout found (looked for contracts/foundry.toml above "
        f"{start or Path.cwd()}); set TRUSTSHARE_ROOT to the repository root"
    )


def collect_sources(checkout: Checkout) -> dict[str, str]:
    """Read the registries' sources and, transitively, every file they import.

    Source unit names are ``src/...`` for our files and ``@openzeppelin/contracts/...`` for
    OpenZeppelin's, so bytecode does not depend on where the checkout lives.
    """
    sources: dict[str, str] = {}
    pending = [f"src/{path.name}" for path in sorted(checkout.contracts_src.glob("*.sol"))]
    while pending:
        unit = pending.pop()
        if unit in sources:
            continue
        text = _read_unit(checkout, unit)
        sources[unit] = text
        for imported in _IMPORT.findall(text):
            pending.append(_resolve_import(unit, imported))
    return dict(sorted(sources.items()))


def compile_contracts(checkout: Checkout) -> dict[str, dict[str, Any]]:
    """Compile the registries and return ``{name: {"abi", "bytecode", "deployedBytecode"}}``."""
    import solcx  # imported lazily: only the build step and the staleness test need it

    sources = collect_sources(checkout)
    standard_input = {
        "language": "Solidity",
        "sources": {unit: {"content": text} for unit, text in sources.items()},
        "settings": COMPILER_SETTINGS,
    }
    if not checkout.solc.exists() or not (checkout.node_modules / "solc").is_dir():
        raise ToolchainError(
            f"solc-js is not installed ({checkout.node_modules / 'solc'} missing); run `npm ci`"
        )
    try:
        output = solcx.compile_standard(standard_input, solc_binary=checkout.solc)
    except solcx.exceptions.SolcError as exc:
        raise ToolchainError(f"compilation failed: {exc}") from exc
    errors = [e for e in output.get("errors", []) if e.get("severity") == "error"]
    if errors:
        raise ToolchainError("; ".join(e.get("formattedMessage", str(e)) for e in errors))
    artifacts: dict[str, dict[str, Any]] = {}
    for name in CONTRACT_NAMES:
        compiled = output["contracts"][f"src/{name}.sol"][name]
        artifacts[name] = {
            "contractName": name,
            "abi": compiled["abi"],
            "userdoc": compiled.get("userdoc", {}),
            "bytecode": "0x" + compiled["evm"]["bytecode"]["object"],
            "deployedBytecode": "0x" + compiled["evm"]["deployedBytecode"]["object"],
        }
    return artifacts


def sources_digest(checkout: Checkout) -> str:
    """SHA-256 over every source unit name and content: what the artifacts were built from."""
    digest = hashlib.sha256()
    for unit, text in collect_sources(checkout).items():
        digest.update(unit.encode() + b"\x00" + text.encode() + b"\x00")
    return digest.hexdigest()


def write_artifacts(
    checkout: Checkout, artifacts: dict[str, dict[str, Any]], destination: Path
) -> list[Path]:
    """Write one JSON artifact per compiled contract plus a manifest; return the paths."""
    destination.mkdir(parents=True, exist_ok=True)
    written = []
    for name, artifact in artifacts.items():
        path = destination / f"{name}.json"
        path.write_text(json.dumps(artifact, indent=1, sort_keys=True) + "\n")
        written.append(path)
    manifest = {
        "compiler": _compiler_version(checkout),
        "settings": COMPILER_SETTINGS,
        "sourcesSha256": sources_digest(checkout),
    }
    manifest_path = destination / "manifest.json"
    manifest_path.write_text(json.dumps(manifest, indent=1, sort_keys=True) + "\n")
    written.append(manifest_path)
    return written


def _compiler_version(checkout: Checkout) -> str:
    import subprocess

    completed = subprocess.run(
        [str(checkout.solc), "--version"], capture_output=True, text=True, check=True
    )
    return completed.stdout.strip().splitlines()[-1].removeprefix("Version: ")


def _read_unit(checkout: Checkout, unit: str) -> str:
    if unit.startswith(_OPENZEPPELIN):
        path = checkout.node_modules / "@openzeppelin" / "contracts" / unit[len(_OPENZEPPELIN) :]
    else:
        path = checkout.root / "contracts" / unit
    if not path.is_file():
        raise ToolchainError(f"source {unit} not found at {path}; run `npm ci`?")
    return path.read_text()


def _resolve_import(importer: str, imported: str) -> str:
    if not imported.startswith("."):
        return imported
    parts = importer.split("/")[:-1]
    for piece in imported.split("/"):
        if piece == "..":
            parts.pop()
        elif piece != ".":
            parts.append(piece)
    return "/".join(parts)
