"""Generated bills for the benchmarks: a deterministic population, and the hospital's bill.

The population is realistic: about 20 lines per bill, every shipped region, both insurance
types, inpatient and outpatient, 0–3 commercial products in payer order and random
year-to-date accumulators. Everything is deterministic per seed.
"""

from __future__ import annotations

import json
import random
from typing import Any

from trustshare.domain import Accumulators, Bill, parse_accumulators, parse_bill

PRODUCTS_BY_REGION = {
    "beijing": ["enterprise-supplementary", "huiminbao-typical"],
    "shanghai": ["huhuibao-like-2025", "enterprise-supplementary", "huiminbao-typical"],
    "guangzhou": ["suisuikang-like-2022", "enterprise-supplementary", "huiminbao-typical"],
}
SPECIAL_DRUGS = ["SD-CART-AXI", "SD-PEMB", "SD-OSIM"]
CATEGORIES = ["general"] * 17 + ["minimum_living", "extreme_poverty", "low_income_margin"]
#: The insured person of the hospital benchmarks' bill (a valid Beijing resident ID number).
HOSPITAL_ID_NUMBER = "11010519491231002X"


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


def hospital_bill(seed: int = 7, lines: int = 20) -> dict[str, Any]:
    """The hospital benchmarks' bill: the population's first Beijing resident inpatient bill.

    The first of ``lines`` lines, with its commercial products removed (a confirmation that
    asks no insurer); ``setl_id`` is left for each request to set.
    """
    rng = random.Random(seed)
    for serial in range(100_000):
        bill = generate_bill(rng, serial)
        generate_accumulators(rng)  # keep the stream the population's
        if (
            bill["region"] == "beijing"
            and bill["visit_type"] == "inpatient"
            and bill["insurance_type"] == "resident"
            and len(bill["lines"]) == lines
        ):
            return {**bill, "products": []}
    raise ValueError(
        f"no Beijing resident inpatient bill of {lines} lines in the population of {seed}"
    )
