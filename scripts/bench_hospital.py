"""Benchmark: the hospital path — confirm of one bill with no commercial layer, open loop.

The measurement is ``trustshare.bench.hospital`` (method in its docstring and in
docs/BENCHMARKS-hospital.md); ``trustshare bench`` runs a shorter one with the other figures.

    python scripts/bench_hospital.py [--rate 200] [--duration 20] [--warmup 3] [--json]

Target (issue 5): p99 ≤ 50 ms at 200 requests/s on this 2-core machine.
"""

from __future__ import annotations

import argparse
import json

from trustshare.bench.hospital import TARGET_P99_MS, measure_hospital


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rate", type=float, default=200.0, help="requests per second")
    parser.add_argument("--duration", type=float, default=20.0, help="measured seconds")
    parser.add_argument("--warmup", type=float, default=3.0, help="unmeasured seconds first")
    parser.add_argument("--json", action="store_true", help="print the figures as JSON only")
    args = parser.parse_args()
    figures = measure_hospital(args.rate, args.duration, args.warmup)
    if args.json:
        print(json.dumps(figures))
        return
    verdict = "meets" if figures["p99_ms"] <= TARGET_P99_MS and not figures["errors"] else "MISSES"
    print(
        f"hospital confirm, no commercial layer: {figures['requests']} requests at "
        f"{figures['rate_per_s']:.0f}/s (sent at {figures['sent_rate_per_s']}/s) — "
        f"p50 {figures['p50_ms']:.1f} ms, p90 {figures['p90_ms']:.1f} ms, "
        f"p99 {figures['p99_ms']:.1f} ms, max {figures['max_ms']:.1f} ms, "
        f"errors {figures['errors']} {figures['error_kinds'] or ''}"
    )
    print(
        f"CPU: server {figures['server_cpu_s']} s, load generator {figures['loader_cpu_s']} s "
        f"over {figures['duration_s'] + 0.0:.0f} s measured (+ warm-up)"
    )
    print(f"target p99 ≤ {TARGET_P99_MS:.0f} ms: {verdict}")


if __name__ == "__main__":
    main()
