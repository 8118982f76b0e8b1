"""Benchmark: one-stop settlements per second on one core, over a generated bill population.

Method: build a deterministic population of realistic bills (about 20 lines each, every shipped
region, both insurance types, inpatient and outpatient, 0–2 commercial products in payer order,
random year-to-date accumulators), validate them once, then time ``settle()`` over the whole
population for several rounds and report the median rate. The process is pinned to one CPU.
A second figure includes JSON decoding and validation of each bill (the CLI's path).

    python scripts/bench_settlement.py [--bills 2000] [--rounds 5] [--seed 7] [--json]
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import sys
import time
from decimal import Decimal
from typing import Any

from trustshare.domain import (
    Accumulators,
    Bill,
    RuleSet,
    default_rules,
    parse_accumulators,
    parse_bill,
    settle,
)

TARGET_PER_SECOND = 20_000

PRODUCTS_BY_REGION = {
    "beijing": ["enterprise-supplementary", "huiminbao-typical"],
    "shanghai": ["huhuibao-like-2025", "enterprise-supplementary", "huiminbao-typical"],
    "guangzhou": ["suisuikang-like-2022", "enterprise-supplementary", "huiminbao-typical"],
}
SPECIAL_DRUGS = ["SD-CART-AXI", "SD-PEMB", "SD-OSIM"]
CATEGORIES = ["general"] * 17 + ["minimum_living", "extreme_poverty", "low_income_margin"]


def _line(rng: random.Random, index: int) -> dict[str, Any]:
    roll = rng.random()
    item_class = "A" if roll < 0.55 else "B" if roll < 0.85 else "C"
    unit_price = rng.choice([rng.randint(100, 5_000), rng.randint(5_000, 80_000)])
    if rng.random() < 0.03:
        unit_price = rng.randint(200_000, 2_000_000)
    line: dict[str, Any] = {
        "code": f"{item_class}-{rng.randint(1, 400):04d}",
        "name": f"item {index}",
        "item_class": item_class,
        "quantity": rng.choice([1, 1, 1, 2, 3, 5, 10, 14, 28]),
        "unit_price_fen": unit_price,
    }
    if item_class == "C" and rng.random() < 0.15:
        line["code"] = rng.choice(SPECIAL_DRUGS)
    if item_class != "C" and rng.random() < 0.1:
        line["price_cap_fen"] = unit_price - rng.randint(0, unit_price // 5)
    if item_class == "B" and rng.random() < 0.5:
        line["selfpay_prop"] = rng.choice(["0.05", "0.10", "0.15", "0.20", "0.30"])
    return line


def generate_bill(rng: random.Random, serial: int) -> dict[str, Any]:
    """One realistic bill as decoded JSON."""
    region = rng.choice(sorted(PRODUCTS_BY_REGION))
    inpatient = rng.random() < 0.7
    offered = PRODUCTS_BY_REGION[region]
    products = rng.sample(offered, k=min(rng.choice([0, 1, 1, 2, 2, 3]), len(offered)))
    insurance_type = rng.choice(["employee", "resident"])
    bill: dict[str, Any] = {
        "mdtrt_id": f"BENCH-{serial:07d}",
        "region": region,
        "insurance_type": insurance_type,
        "person_category": rng.choice(CATEGORIES),
        "visit_type": "inpatient" if inpatient else "outpatient",
        "hospital_level": rng.choice(["primary", "secondary", "tertiary", "tertiary"]),
        "lines": [_line(rng, index) for index in range(rng.randint(15, 25))],
        "products": [
            {"product": product, "pre_existing": rng.random() < 0.1} for product in products
        ],
    }
    if inpatient:
        bill["admission_number"] = rng.choice([1, 1, 1, 2, 3])
    if insurance_type == "employee" and rng.random() < 0.5:
        bill["personal_account_balance_fen"] = rng.randint(0, 500_000)
    return bill


def generate_accumulators(rng: random.Random) -> dict[str, Any]:
    """Random year-to-date figures, from a fresh year to a heavy one."""
    heavy = rng.random() < 0.2
    scale = 10_000_000 if heavy else 500_000
    return {
        "inpatient_fund_paid_fen": rng.randint(0, scale),
        "outpatient_deductible_met_fen": rng.randint(0, 200_000),
        "outpatient_fund_paid_fen": rng.randint(0, 300_000),
        "critical_illness_cumulative_fen": rng.randint(0, scale),
        "products": {
            "huiminbao-typical": {
                "inpatient-self-pay": {"deductible_met_fen": rng.randint(0, 2_000_000)}
            }
        },
    }


def build_population(size: int, seed: int) -> tuple[list[str], list[tuple[Bill, Accumulators]]]:
    """The population as JSON texts and as validated (bill, accumulators) pairs."""
    rng = random.Random(seed)
    texts: list[str] = []
    parsed: list[tuple[Bill, Accumulators]] = []
    for serial in range(size):
        bill = generate_bill(rng, serial)
        accumulators = generate_accumulators(rng)
        texts.append(json.dumps(bill))
        parsed.append((parse_bill(bill), parse_accumulators(accumulators)))
    return texts, parsed


def _rate(run: Any, count: int, rounds: int) -> float:
    rates = []
    for _ in range(rounds):
        started = time.perf_counter()
        run()
        rates.append(count / (time.perf_counter() - started))
    return statistics.median(rates)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--bills", type=int, default=2000, help="population size")
    parser.add_argument("--rounds", type=int, default=5, help="timed rounds (median reported)")
    parser.add_argument("--seed", type=int, default=7, help="population seed")
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    args = parser.parse_args()

    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})
    rules: RuleSet = default_rules()
    texts, population = build_population(args.bills, args.seed)
    lines = sum(len(bill.lines) for bill, _ in population)
    products = sum(len(bill.products) for bill, _ in population)

    def settle_all() -> None:
        for bill, accumulators in population:
            settle(bill, accumulators, rules)

    def decode_validate_settle_all() -> None:
        for text, (_, accumulators) in zip(texts, population, strict=True):
            settle(parse_bill(json.loads(text, parse_float=Decimal)), accumulators, rules)

    settle_all()  # warm-up
    settle_rate = _rate(settle_all, len(population), args.rounds)
    full_rate = _rate(decode_validate_settle_all, len(population), args.rounds)
    report = {
        "settlements_per_second": round(settle_rate),
        "decode_validate_settle_per_second": round(full_rate),
        "target_per_second": TARGET_PER_SECOND,
        "meets_target": settle_rate >= TARGET_PER_SECOND,
        "bills": len(population),
        "mean_lines_per_bill": round(lines / len(population), 1),
        "mean_products_per_bill": round(products / len(population), 2),
        "rounds": args.rounds,
        "seed": args.seed,
        "python": sys.version.split()[0],
    }
    if args.json:
        print(json.dumps(report))
    else:
        print(
            f"settle(): {report['settlements_per_second']:,} settlements/s on one core "
            f"(target {TARGET_PER_SECOND:,}; {'met' if report['meets_target'] else 'NOT met'})"
        )
        print(
            f"decode + validate + settle: {report['decode_validate_settle_per_second']:,}/s; "
            f"{len(population)} bills, {report['mean_lines_per_bill']} lines and "
            f"{report['mean_products_per_bill']} products per bill on average"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
