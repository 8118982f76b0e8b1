"""Benchmark: bulk clearing, from a national-platform file to on-chain batches with proofs.

The measurement is ``trustshare.bench.clearing`` (method in its docstring and in
docs/BENCHMARKS-clearing.md); ``trustshare bench`` runs a shorter one with the other figures.

    python scripts/bench_clearing.py [--records 200000] [--batch-leaves 10000] [--json]
"""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import asdict
from pathlib import Path

from trustshare.bench.clearing import (
    TARGET_GAS_PER_SETTLEMENT,
    TARGET_PER_SECOND,
    measure_clearing,
)
from trustshare.cli.bureau_ingest import default_workers


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, default=200_000, help="settlements to clear")
    parser.add_argument("--batch-leaves", type=int, default=10_000, help="leaves per batch")
    parser.add_argument("--seed", type=int, default=7, help="generator seed")
    parser.add_argument(
        "--workers", type=int, default=default_workers(), help="ingest worker processes"
    )
    parser.add_argument(
        "--publisher",
        choices=["alongside", "after"],
        default="alongside",
        help="publisher process running during ingestion, or rounds after it in this process",
    )
    parser.add_argument(
        "--batch-wait-ms", type=int, default=2_000, help="alongside: the node's batch_max_wait_ms"
    )
    parser.add_argument("--samples", type=int, default=50, help="proofs verified on chain")
    parser.add_argument("--file", type=Path, help="use this bulk file instead of generating")
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    args = parser.parse_args()
    figures = measure_clearing(
        args.records,
        workers=args.workers,
        batch_leaves=args.batch_leaves,
        seed=args.seed,
        publisher_mode=args.publisher,
        batch_wait_ms=args.batch_wait_ms,
        samples=args.samples,
        bulk_file=args.file,
    )
    result = asdict(figures) | {
        "end_to_end_per_second": round(figures.end_to_end_per_second),
        "ingest_per_second": round(figures.ingest_per_second),
        "gas_per_settlement": round(figures.gas_per_settlement, 2),
        "target_per_second": TARGET_PER_SECOND,
        "target_gas_per_settlement": TARGET_GAS_PER_SETTLEMENT,
        "python": sys.version.split()[0],
    }
    if args.json:
        print(json.dumps(result))
    else:
        for key, value in result.items():
            print(f"{key:>28}: {value}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
