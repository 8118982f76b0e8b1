"""Benchmark: real-time authorisation latency of the insurer node, on loopback.

The measurement is ``trustshare.bench.realtime`` (method in its docstring and in
docs/INSURER.md); ``trustshare bench`` runs it with the other figures.

    python scripts/bench_realtime.py [--requests 1000] [--chain-cache-s 2] [--json]

``--chain-cache-s 0`` reads the bureau's status and the patient's consent from the chain on
every request (two RPC calls to anvil): the cost of an uncached node.
"""

from __future__ import annotations

import argparse
import json

from trustshare.bench.realtime import measure_realtime


def main() -> None:
    """Parse the options, run, print."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=1_000)
    parser.add_argument("--warmup", type=int, default=50)
    parser.add_argument("--chain-cache-s", type=float, default=2.0)
    parser.add_argument("--json", action="store_true")
    options = parser.parse_args()
    result = measure_realtime(options.requests, options.warmup, options.chain_cache_s)
    if options.json:
        print(json.dumps(result))
        return
    print(
        f"{result['requests']} real-time authorisations (chain cache {options.chain_cache_s} s): "
        f"p50 {result['p50_ms']:.2f} ms, p90 {result['p90_ms']:.2f} ms, "
        f"p99 {result['p99_ms']:.2f} ms, max {result['max_ms']:.2f} ms"
    )


if __name__ == "__main__":
    main()
