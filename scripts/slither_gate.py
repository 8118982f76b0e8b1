#!/usr/bin/env python3
"""Slither gate for the TrustShare contracts.

Runs Slither over ``contracts/src`` through the same solc-js shim forge uses, offline, and fails
(exit 1) when

* Slither finds anything of impact Medium or High that ``contracts/slither-triage.json`` does
  not explain, or
* Slither's output has a line starting with ``ERROR:`` (or its "Failed to resolve" name-resolution
  errors, which silently weaken the analysis), or the run itself fails.

Why not ``slither contracts/`` (the Foundry route): forge puts the OpenZeppelin sources into its
compiler input twice (once as ``../node_modules/...``, once as an absolute path), and Slither then
cannot resolve names across the two copies. So the gate writes its own standard-JSON input with
one copy of each source (compiler settings read from ``foundry.toml``) and hands it to Slither's
``Solc-json`` platform, run from a scratch directory so no Foundry project is detected and
nothing under ``contracts/out`` or ``contracts/cache`` is touched.

Usage (from the repository root)::

    .venv/bin/python scripts/slither_gate.py
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
import tempfile
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

REPO_ROOT = Path(__file__).resolve().parent.parent
GATED_IMPACTS = frozenset({"High", "Medium"})
ANSI_ESCAPE = re.compile(r"\x1b\[[0-9;]*m")
# Slither logs some parsing errors without the ERROR: prefix; they mean the analysis is partial.
ERROR_LINE = re.compile(r"^(ERROR:|Failed to resolved? name)")


class GateError(Exception):
    """The gate could not run (configuration, compiler or Slither failure)."""


@dataclass(frozen=True)
class TriageEntry:
    """A reviewed finding: which detector, where, and why it is not a bug."""

    detector: str
    contract: str
    element: str
    reason: str


@dataclass(frozen=True)
class Finding:
    """One Slither result reduced to what the gate matches and reports."""

    detector: str
    impact: str
    confidence: str
    contract: str
    element: str
    description: str

    def matches(self, entry: TriageEntry) -> bool:
        """Whether ``entry`` explains this finding."""
        return (
            entry.detector == self.detector
            and entry.contract == self.contract
            and entry.element == self.element
        )


def load_triage(path: Path) -> list[TriageEntry]:
    """Read the triage file; every entry must name its finding and give a reason."""
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as exc:
        raise GateError(f"cannot read triage file {path}: {exc}") from exc
    entries: list[TriageEntry] = []
    for index, raw in enumerate(document.get("findings", [])):
        try:
            entry = TriageEntry(
                detector=str(raw["detector"]),
                contract=str(raw["contract"]),
                element=str(raw["element"]),
                reason=str(raw["reason"]).strip(),
            )
        except KeyError as exc:
            raise GateError(f"{path}: entry {index} lacks {exc}") from exc
        if len(entry.reason) < 20:
            raise GateError(f"{path}: entry {index} ({entry.detector}) needs a written reason")
        entries.append(entry)
    return entries


def compiler_input(contracts_dir: Path) -> dict[str, Any]:
    """A solc standard-JSON input for ``src/**/*.sol`` with foundry.toml's settings."""
    config = tomllib.loads((contracts_dir / "foundry.toml").read_text(encoding="utf-8"))
    profile: dict[str, Any] = config.get("profile", {}).get("default", {})
    src_dir = contracts_dir / str(profile.get("src", "src"))
    sources = {
        path.relative_to(contracts_dir).as_posix(): {"content": path.read_text(encoding="utf-8")}
        for path in sorted(src_dir.rglob("*.sol"))
    }
    if not sources:
        raise GateError(f"no Solidity sources under {src_dir}")
    settings: dict[str, Any] = {
        "remappings": list(profile.get("remappings", [])),
        "optimizer": {
            "enabled": bool(profile.get("optimizer", False)),
            "runs": int(profile.get("optimizer_runs", 200)),
        },
        "viaIR": bool(profile.get("via_ir", False)),
        "outputSelection": {
            "*": {
                "": ["ast"],
                "*": ["abi", "evm.bytecode", "evm.deployedBytecode", "evm.methodIdentifiers"],
            }
        },
    }
    if "evm_version" in profile:
        settings["evmVersion"] = str(profile["evm_version"])
    return {"language": "Solidity", "sources": sources, "settings": settings}


def solc_path(contracts_dir: Path) -> Path:
    """The compiler foundry.toml names (the solc-js shim), as an absolute path."""
    config = tomllib.loads((contracts_dir / "foundry.toml").read_text(encoding="utf-8"))
    solc = config.get("profile", {}).get("default", {}).get("solc")
    if not isinstance(solc, str):
        raise GateError("foundry.toml names no `solc` path; the gate needs the offline shim")
    path = (contracts_dir / solc).resolve()
    if not path.is_file():
        raise GateError(f"solc shim not found at {path}")
    return path


def default_slither() -> Path:
    """Slither from the interpreter's own virtual environment."""
    return Path(sys.executable).parent / "slither"


def run_slither(
    slither: Path, contracts_dir: Path, workdir: Path
) -> tuple[dict[str, Any], list[str]]:
    """Run Slither once; return its JSON report and its console output lines."""
    input_path = workdir / "slither-input.json"
    input_path.write_text(json.dumps(compiler_input(contracts_dir)), encoding="utf-8")
    report_path = workdir / "slither-report.json"
    command = [
        str(slither),
        str(input_path),
        "--compile-force-framework",
        "Solc-json",
        "--solc",
        str(solc_path(contracts_dir)),
        "--solc-working-dir",
        str(contracts_dir),
        "--config-file",
        str(contracts_dir / "slither.config.json"),
        "--json",
        str(report_path),
        "--disable-color",
    ]
    env = {**os.environ, "NO_COLOR": "1"}
    completed = subprocess.run(
        command, cwd=workdir, capture_output=True, text=True, env=env, check=False
    )
    output = completed.stdout + completed.stderr
    lines = [ANSI_ESCAPE.sub("", line) for line in output.splitlines()]
    if not report_path.is_file():
        raise GateError("Slither wrote no report:\n" + "\n".join(lines[-40:]))
    report: dict[str, Any] = json.loads(report_path.read_text(encoding="utf-8"))
    return report, lines


def _contract_of(element: dict[str, Any]) -> str:
    """The contract an element belongs to (walking up node -> function -> contract)."""
    current: dict[str, Any] | None = element
    while current is not None:
        if current.get("type") == "contract":
            return str(current.get("name", ""))
        current = current.get("type_specific_fields", {}).get("parent")
    return ""


def _element_name(element: dict[str, Any]) -> str:
    """A node is named by its function; anything else by its own name."""
    if element.get("type") == "node":
        parent = element.get("type_specific_fields", {}).get("parent", {})
        return str(parent.get("name", ""))
    return str(element.get("name", ""))


def findings_of(report: dict[str, Any]) -> list[Finding]:
    """Every detector result of the report, reduced to its first element."""
    findings: list[Finding] = []
    for result in report.get("results", {}).get("detectors", []):
        elements: list[dict[str, Any]] = result.get("elements", [])
        primary = elements[0] if elements else {}
        findings.append(
            Finding(
                detector=str(result.get("check", "")),
                impact=str(result.get("impact", "")),
                confidence=str(result.get("confidence", "")),
                contract=_contract_of(primary),
                element=_element_name(primary),
                description=str(result.get("description", "")).strip(),
            )
        )
    return findings


def gate(findings: list[Finding], triage: list[TriageEntry], log_lines: list[str]) -> list[str]:
    """The reasons the gate fails (empty when it passes)."""
    problems = [
        f"Slither reported an error: {line}" for line in log_lines if ERROR_LINE.match(line)
    ]
    for finding in findings:
        if finding.impact not in GATED_IMPACTS:
            continue
        if not any(finding.matches(entry) for entry in triage):
            first_line = finding.description.splitlines()[0] if finding.description else ""
            problems.append(
                f"untriaged {finding.impact} finding [{finding.detector}] "
                f"{finding.contract}.{finding.element}: {first_line}"
            )
    return problems


def main(argv: list[str] | None = None) -> int:
    """Run the gate; print a summary; return the process exit code."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--contracts-dir", type=Path, default=REPO_ROOT / "contracts")
    parser.add_argument(
        "--triage", type=Path, default=None, help="default: <contracts>/slither-triage.json"
    )
    parser.add_argument("--slither", type=Path, default=default_slither())
    parser.add_argument("--quiet", action="store_true", help="do not echo Slither's output")
    args = parser.parse_args(argv)
    contracts_dir: Path = args.contracts_dir.resolve()
    triage_path: Path = args.triage or contracts_dir / "slither-triage.json"

    try:
        triage = load_triage(triage_path)
        with tempfile.TemporaryDirectory(prefix="slither-gate-") as scratch:
            report, lines = run_slither(args.slither, contracts_dir, Path(scratch))
    except GateError as exc:
        print(f"slither gate: FAILED: {exc}", file=sys.stderr)
        return 1

    if not args.quiet:
        print("\n".join(lines))
    if not report.get("success", False):
        print(f"slither gate: FAILED: Slither did not succeed: {report.get('error')}")
        return 1

    findings = findings_of(report)
    problems = gate(findings, triage, lines)
    unused = [e for e in triage if not any(f.matches(e) for f in findings)]
    for entry in unused:
        print(
            f"slither gate: note: triage entry no longer matches anything: "
            f"[{entry.detector}] {entry.contract}.{entry.element}"
        )
    gated = sum(1 for f in findings if f.impact in GATED_IMPACTS)
    if problems:
        for problem in problems:
            print(f"slither gate: {problem}")
        print(f"slither gate: FAILED ({len(problems)} problem(s))")
        return 1
    print(
        f"slither gate: passed - {len(findings)} finding(s), {gated} of impact Medium/High, "
        f"all explained in {triage_path.name}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
