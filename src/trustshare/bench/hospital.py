"""The hospital path: confirm of one bill with no commercial layer, under open-loop load.

Method (docs/BENCHMARKS-hospital.md): anvil with the registries and the bureau registered; the
real bureau node served by ``trustshare bureau serve`` (one worker, its clearing publisher
running, a fresh SQLite file); a second process (:mod:`trustshare.bench.open_loop`) sends
``POST /v1/settlements`` of the hospital bill (:func:`trustshare.bench.population.hospital_bill`,
20 lines, inpatient, Beijing, no products) at a fixed rate, each with its own ``setl_id`` and
``Idempotency-Key``, and measures each from its scheduled instant to the full response.

Target (issue 5): p99 ≤ 50 ms at 200 requests/s on a 2-core machine.
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

from trustshare.bench.network import bureau_values, cpu_seconds, dev_network, served

TARGET_P99_MS = 50.0
HOSPITAL_TOKEN = "bench-hospital-token-0123456789abcdef"


def measure_hospital(
    rate: float = 200.0, duration: float = 20.0, warmup: float = 3.0
) -> dict[str, Any]:
    """Serve the bureau, run the load process; the figures (ms) with the server's CPU seconds.

    Errors are counted in ``errors`` (by kind in ``error_kinds``), not raised.
    """
    if rate <= 0 or duration <= 0 or warmup < 0:
        raise ValueError("the hospital benchmark needs a positive rate and duration")
    with tempfile.TemporaryDirectory(prefix="bench-hospital-") as work, dev_network() as network:
        workdir = Path(work)
        values = bureau_values(network, workdir) | {
            "HOSPITAL_TOKENS": json.dumps({"Bench Hospital": HOSPITAL_TOKEN})
        }
        with served("bureau", values, workdir) as bureau:
            cpu_before = cpu_seconds(bureau.process.pid)
            loader = subprocess.run(
                [
                    *(sys.executable, "-m", "trustshare.bench.open_loop", bureau.url),
                    *(HOSPITAL_TOKEN, str(rate), str(duration), str(warmup)),
                ],
                capture_output=True,
                text=True,
            )
            if loader.returncode != 0:
                raise RuntimeError(f"the load process failed: {loader.stderr[-2000:]}")
            figures = dict(json.loads(loader.stdout))
            figures["server_cpu_s"] = round(cpu_seconds(bureau.process.pid) - cpu_before, 2)
    return figures
