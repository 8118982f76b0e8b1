"""Benchmark: one-stop settlements per second on one core, over a generated bill population.

The measurement is ``trustshare.bench.engine`` (method in its docstring and in
docs/BENCHMARKS.md); ``trustshare bench`` runs it with the other figures.

    python scripts/bench_settlement.py [--bills 2000] [--rounds 5] [--seed 7] [--json]
"""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import asdict

from trustshare.bench.engine import TARGET_PER_SECOND, measure_engine


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--bills", type=int, default=2000, help="population size")
    parser.add_argument("--rounds", type=int, default=5, help="timed rounds (median reported)")
    parser.add_argument("--seed", type=int, default=7, help="population seed")
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    args = parser.parse_args()
    figures = measure_engine(args.bills, args.rounds, args.seed)
    meets = figures.settlements_per_second >= TARGET_PER_SECOND
    if args.json:
        report = asdict(figures) | {
            "target_per_second": TARGET_PER_SECOND,
            "meets_target": meets,
            "python": sys.version.split()[0],
        }
        print(json.dumps(report))
        return 0
    print(
        f"settle(): {figures.settlements_per_second:,.0f} settlements/s on one core "
        f"(target {TARGET_PER_SECOND:,}; {'met' if meets else 'NOT met'})"
    )
    print(
        f"decode + validate + settle: {figures.decode_validate_settle_per_second:,.0f}/s; "
        f"{figures.bills} bills, {figures.mean_lines_per_bill:.1f} lines and "
        f"{figures.mean_products_per_bill:.2f} products per bill on average"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
