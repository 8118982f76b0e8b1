"""A realistic bulk file of settlements, as the national platform exports them.

The JSON-lines format of docs/INGESTION.md, one settlement per line. Amounts are real engine
results: a pool of template bills (every shipped region, employee and resident, inpatient and
outpatient, all hospital levels, 3-20 lines of classes A/B/C) is settled with the project's
settlement engine, and each record takes one template's amounts with its own person (a valid
resident ID number), visit, settlement number, time and hospital. Inpatient records carry an
ICD-10 diagnosis; a fraction carries the bill's line items. Deterministic per seed.
``scripts/make_bulk_records.py`` writes such a file from the command line.
"""

from __future__ import annotations

import datetime as dt
import json
import random
from collections.abc import Iterator
from typing import Any, TextIO

from trustshare.crypto.pseudonym import resident_check_character
from trustshare.domain import default_rules, parse_bill, settle

REGIONS = {  # policy id → (administrative division codes of its districts, setl_id prefix)
    "beijing": (["110101", "110102", "110105", "110108"], "BJ"),
    "shanghai": (["310101", "310104", "310105", "310115"], "SH"),
    "guangzhou": (["440103", "440104", "440105", "440106"], "GZ"),
}
CATEGORIES = ["general"] * 17 + ["minimum_living", "extreme_poverty", "low_income_margin"]
DIAGNOSES = [
    ("I21.0", "急性前壁心肌梗死"),
    ("I63.9", "脑梗死"),
    ("C34.9", "支气管或肺恶性肿瘤"),
    ("C50.9", "乳房恶性肿瘤"),
    ("J18.9", "肺炎"),
    ("K35.8", "急性阑尾炎"),
    ("S72.0", "股骨颈骨折"),
    ("E11.9", "2型糖尿病"),
    ("N18.5", "慢性肾脏病5期"),
    ("O80.0", "单胎顺产"),
]


def resident_id(rng: random.Random, districts: list[str]) -> str:
    """A valid 18-character resident ID number (GB 11643-1999) of a made-up person."""
    birth = dt.date(1940, 1, 1) + dt.timedelta(days=rng.randrange(0, 365 * 80))
    first_17 = f"{rng.choice(districts)}{birth:%Y%m%d}{rng.randrange(1000):03d}"
    return first_17 + resident_check_character(first_17)


def _line(rng: random.Random, index: int) -> dict[str, Any]:
    roll = rng.random()
    item_class = "A" if roll < 0.55 else "B" if roll < 0.85 else "C"
    line: dict[str, Any] = {
        "code": f"{item_class}{rng.randint(1, 900):06d}",
        "name": f"收费项目{index}",
        "item_class": item_class,
        "quantity": rng.choice([1, 1, 1, 2, 3, 5, 10, 14, 28]),
        "unit_price_fen": rng.choice([rng.randint(100, 5_000), rng.randint(5_000, 80_000)]),
    }
    if item_class == "B" and rng.random() < 0.5:
        line["selfpay_prop"] = rng.choice(["0.05", "0.10", "0.20", "0.30"])
    return line


def settled_templates(rng: random.Random, count: int) -> list[dict[str, Any]]:
    """``count`` bills settled by the engine: their visit facts, national record and lines."""
    rules = default_rules()
    templates = []
    for serial in range(count):
        region = rng.choice(sorted(REGIONS))
        inpatient = rng.random() < 0.6
        bill: dict[str, Any] = {
            "mdtrt_id": f"T{serial}",
            "region": region,
            "insurance_type": rng.choice(["employee", "resident"]),
            "person_category": rng.choice(CATEGORIES),
            "visit_type": "inpatient" if inpatient else "outpatient",
            "hospital_level": rng.choice(["primary", "secondary", "tertiary", "tertiary"]),
            "lines": [_line(rng, i) for i in range(rng.randint(3, 20 if inpatient else 6))],
        }
        if inpatient:
            bill["admission_number"] = rng.choice([1, 1, 1, 2])
        if bill["insurance_type"] == "employee" and rng.random() < 0.5:
            bill["personal_account_balance_fen"] = rng.randint(0, 300_000)
        settlement = settle(parse_bill(bill), None, rules)
        templates.append({"bill": bill, "record": settlement.record.to_dict()})
    return templates


def records(
    count: int,
    *,
    seed: int = 7,
    people: int | None = None,
    line_items: float = 0.2,
    templates: int = 2_000,
    first_serial: int = 0,
) -> Iterator[dict[str, Any]]:
    """``count`` settlement lines, lazily; about three settlements per person by default."""
    rng = random.Random(seed)
    pool = settled_templates(rng, templates)
    population = [
        resident_id(rng, REGIONS[rng.choice(sorted(REGIONS))][0])
        for _ in range(people or max(1, count // 3))
    ]
    start = dt.datetime(2025, 1, 1, tzinfo=dt.timezone(dt.timedelta(hours=8)))
    for serial in range(first_serial, first_serial + count):
        template = rng.choice(pool)
        bill = template["bill"]
        prefix = REGIONS[bill["region"]][1]
        when = start + dt.timedelta(seconds=rng.randrange(0, 365 * 86_400))
        line: dict[str, Any] = {
            "setl_id": f"{prefix}SETL{when:%Y}{serial:012d}",
            "mdtrt_id": f"{prefix}MDTRT{when:%Y}{serial:012d}",
            "id_number": rng.choice(population),
            "setl_time": when.isoformat(timespec="seconds"),
            "region": bill["region"],
            "insutype": bill["insurance_type"],
            "psn_type": bill["person_category"],
            "med_type": bill["visit_type"],
            "fixmedins_code": f"H{REGIONS[bill['region']][0][0]}{rng.randrange(400):04d}",
            **template["record"],
        }
        if bill["visit_type"] == "inpatient":
            line["dise_codg"], line["dise_name"] = rng.choice(DIAGNOSES)
        if rng.random() < line_items:
            line["line_items"] = bill["lines"]
        yield line


def write(out: TextIO, lines: Iterator[dict[str, Any]]) -> int:
    """Write the lines as JSON lines; the number written."""
    written = 0
    for line in lines:
        out.write(json.dumps(line, ensure_ascii=False, separators=(",", ":")) + "\n")
        written += 1
    return written
