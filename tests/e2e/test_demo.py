"""``trustshare demo --short`` as a user runs it: the real CLI, network, wallets and chain.

The shortened form is the one ``make test`` runs (``make demo`` runs the full one): three
patients, every kind of flow once. Each outcome is asserted by what the demo prints.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

from ..network.support import processes_using

TRUSTSHARE = [sys.executable, "-m", "trustshare.cli"]
ENV = {**os.environ, "PYTHONUNBUFFERED": "1"}

#: What each flow prints when it happened as expected.
MARKERS = {
    "binding": "ConsentRegistry.bindWallet",
    "consent relayed": "ConsentRegistry.grantBySig",
    "one-click enrollment": "→ policy P",
    "premium from the personal account": "the bureau's signed receipt checks out",
    "real-time authorisation at the window": "authorised in real time",
    "critical illness": "critical-illness insurance",
    "clearing": "AttestationRegistry.commitBatch",
    "window claim": "→ window claim cl_",
    "region refused": "refuses it: 422 region_not_served",
    "fast claim paid": "→ recorded, paid",
    "supersession": "AttestationRegistry.supersedeSettlement",
    "reversal": "ClaimRegistry.reverseClaim",
    "claim reversed": ": reversed (its ledger books -",
    "revocation": "ConsentRegistry.revokeBySig",
    "revoked consent refused": "→ refused: consent_revoked",
    "tampered record refused": "→ refused: proof_not_committed",
    "access log": "✓ verified on chain",
    "table": "Who paid what (yuan)",
    "summary": "chain         ",
    "patient page": "/patient",
    "verdict": "Every expected outcome happened",
    "stopped": "The network is stopped; nothing of it is left running.",
}
CHECKED = (
    "✓ binding:",
    "✓ consent:",
    "✓ one-click enrollment:",
    "✓ discharge of Wang Fang",
    "✓ clearing:",
    "✓ cross-province:",
    "✓ refund:",
    "✓ revoked consent:",
    "✓ tampered record:",
    "✓ access logs:",
)


def test_the_short_demo_walks_every_flow_and_leaves_nothing_running(tmp_path: Path) -> None:
    finished = subprocess.run(
        [*TRUSTSHARE, "demo", "--short", "--state-dir", str(tmp_path)],
        capture_output=True,
        text=True,
        env=ENV,
        timeout=240,
    )
    output = finished.stdout
    assert finished.returncode == 0, output + finished.stderr
    missing = [flow for flow, marker in MARKERS.items() if marker not in output]
    assert missing == [], f"no output of {missing}:\n{output}"
    for check in CHECKED:
        assert check in output, f"missing {check!r}:\n{output}"
    assert "✗" not in output
    assert output.count("ConsentRegistry.bindWallet") == 3  # one per patient
    assert output.count("authorised in real time") == 2  # two commercial layers at the window
    assert output.count(" gas ") >= 15  # every transaction printed with its gas
    assert processes_using(tmp_path) == []
    assert (tmp_path / "network.json").is_file()  # kept: `network up --state-dir` brings it back


def test_sigterm_stops_the_demo_and_its_whole_network(tmp_path: Path) -> None:
    process = subprocess.Popen(
        [*TRUSTSHARE, "demo", "--short", "--state-dir", str(tmp_path)],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env=ENV,
    )
    try:
        assert process.stdout is not None
        lines = []
        for line in process.stdout:
            lines.append(line)
            if line.startswith("[1] Binding"):
                break
        assert lines and lines[-1].startswith("[1] Binding"), "".join(lines)
        process.send_signal(signal.SIGTERM)
        rest, _ = process.communicate(timeout=60)
    finally:
        if process.poll() is None:
            process.kill()
    assert process.returncode == 130, "".join(lines) + rest
    assert "interrupted: the network was stopped" in rest
    assert processes_using(tmp_path) == []
