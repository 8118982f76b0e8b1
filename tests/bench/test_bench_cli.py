"""``trustshare bench --json`` as a user runs it, at the tiny sizes only the tests use.

Every measurement runs for real (chain, nodes, HTTP); the figures of so small a run mean
nothing, so only the shape of the answer is asserted: exactly the documented keys, numbers,
the machine and the date. Speed is never asserted in tests.
"""

from __future__ import annotations

import json
import math
import os
import subprocess
import sys
from datetime import datetime
from pathlib import Path

FIGURES = {
    "engine_settlements_per_s_per_core",
    "clearing_settlements_per_s",
    "gas_per_settlement",
    "hospital_confirm_p50_ms",
    "hospital_confirm_p99_ms",
    "realtime_auth_p50_ms",
    "realtime_auth_p99_ms",
    "fast_claim_p50_ms",
    "fast_claim_p99_ms",
    "claims_per_s",
    "consent_effective_ms",
}


def test_bench_json_prints_one_object_with_exactly_the_figures_machine_and_date(
    tmp_path: Path,
) -> None:
    saved = tmp_path / "bench.json"
    finished = subprocess.run(
        [
            *(sys.executable, "-m", "trustshare.cli", "bench", "--json", "--quick"),
            *("--json-file", str(saved)),
        ],
        capture_output=True,
        text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
        timeout=240,
    )
    assert finished.returncode == 0, finished.stdout + finished.stderr
    figures = json.loads(finished.stdout)  # the whole of stdout is one JSON object
    assert json.loads(saved.read_text(encoding="utf-8")) == figures
    assert set(figures) == FIGURES | {"machine", "date"}
    for key in FIGURES:
        value = figures[key]
        assert isinstance(value, int | float) and not isinstance(value, bool), key
        assert math.isfinite(value) and value > 0, (key, value)
    assert isinstance(figures["machine"], str) and "cores" in figures["machine"]
    assert datetime.fromisoformat(figures["date"]).tzinfo is not None
    progress = finished.stderr.splitlines()
    steps = [line for line in progress if line.startswith("[")]
    assert [line[:5] for line in steps] == [f"[{n}/6]" for n in range(1, 7)], finished.stderr
