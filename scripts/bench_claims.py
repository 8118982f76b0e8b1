"""Benchmark: fast claims (快赔) end to end on loopback, from the request to the payout.

The measurement is ``trustshare.bench.claims`` (method in its docstring and in
docs/BENCHMARKS-claims.md); ``trustshare bench`` runs a shorter one with the other figures.

    python scripts/bench_claims.py [--latency-claims 300] [--claims 1000] [--bulk-claims 2000]
        [--bulk-size 100] [--bulk-clients 2] [--json]

Targets (issue 6): p50 ≤ 100 ms, p99 ≤ 250 ms; ≥ 200 claims/s with batching.
"""

from __future__ import annotations

import argparse
import json

from trustshare.bench.claims import measure_claims


def main() -> None:
    """Parse the options, run, print a table (or the JSON object)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--latency-claims", type=int, default=300, help="claims timed alone")
    parser.add_argument("--claims", type=int, default=1_000, help="claims per load phase")
    parser.add_argument("--concurrency", type=int, default=8, help="clients at once")
    parser.add_argument("--warmup", type=int, default=20, help="claims alone, not counted")
    parser.add_argument("--bulk-claims", type=int, default=2_000, help="claims in bulk phase")
    parser.add_argument("--bulk-size", type=int, default=100, help="claims per bulk request")
    parser.add_argument("--bulk-clients", type=int, default=2, help="bulk clients at once")
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    options = parser.parse_args()
    figures = measure_claims(
        options.latency_claims,
        options.claims,
        options.concurrency,
        options.warmup,
        options.bulk_claims,
        options.bulk_size,
        options.bulk_clients,
    )
    r = {
        name: round(value, 2) if isinstance(value, float) else value
        for name, value in figures.items()
    }
    if options.json:
        print(json.dumps(r))
        return
    targets = {"p50_ms": "≤ 100", "p99_ms": "≤ 250", "claims_per_s": "≥ 200"}
    print("| figure | measured | target (issue 6) |\n|---|---|---|")
    for name, value in r.items():
        print(f"| {name} | {value} | {targets.get(name, '')} |")


if __name__ == "__main__":
    main()
