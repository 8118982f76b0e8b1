"""Hypothesis strategies for bills and accumulators, and the suite's deterministic settings."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st

from trustshare.domain import Accumulators, Bill, default_rules, parse_accumulators, parse_bill

DOMAIN_SETTINGS = settings(
    derandomize=True,
    max_examples=150,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
"""Fixed derivation (no random seed) so CI sees the same examples every run."""

RULES = default_rules()
PRODUCTS_BY_REGION = {
    region: sorted(
        product.id
        for product in RULES.products.values()
        if not product.regions or region in product.regions
    )
    for region in RULES.regions
}
CODES = ["A-0001", "A-0002", "B-0001", "B-0002", "C-0001", "C-0002", "SD-PEMB", "SD-OSIM"]


def ratio_text(ppm: int) -> str:
    whole, frac = divmod(ppm, 1_000_000)
    return f"{whole}.{frac:06d}"


@st.composite
def line_items(draw: st.DrawFn) -> dict[str, Any]:
    item_class = draw(st.sampled_from(["A", "B", "C"]))
    unit_price = draw(st.one_of(st.integers(0, 10_000), st.integers(10_000, 5_000_000), st.just(0)))
    line: dict[str, Any] = {
        "code": draw(st.sampled_from(CODES)),
        "item_class": item_class,
        "quantity": draw(st.integers(1, 30)),
        "unit_price_fen": unit_price,
    }
    if draw(st.booleans()):
        line["price_cap_fen"] = draw(st.integers(0, 6_000_000))
    if item_class == "B" and draw(st.booleans()):
        line["selfpay_prop"] = ratio_text(draw(st.integers(0, 1_000_000)))
    return line


@st.composite
def bill_documents(draw: st.DrawFn, min_products: int = 0) -> dict[str, Any]:
    region = draw(st.sampled_from(sorted(RULES.regions)))
    insurance_type = draw(st.sampled_from(["employee", "resident"]))
    visit_type = draw(st.sampled_from(["inpatient", "outpatient"]))
    offered = PRODUCTS_BY_REGION[region]
    chosen = draw(st.permutations(offered))[: draw(st.integers(min_products, len(offered)))]
    document: dict[str, Any] = {
        "mdtrt_id": "H-1",
        "region": region,
        "insurance_type": insurance_type,
        "person_category": draw(
            st.sampled_from(["general", "minimum_living", "extreme_poverty", "low_income_margin"])
        ),
        "visit_type": visit_type,
        "hospital_level": draw(st.sampled_from(["primary", "secondary", "tertiary"])),
        "lines": draw(st.lists(line_items(), min_size=1, max_size=12)),
        "products": [
            {"product": product, "pre_existing": draw(st.booleans())} for product in chosen
        ],
    }
    if visit_type == "inpatient":
        document["admission_number"] = draw(st.integers(1, 4))
    if insurance_type == "employee":
        document["personal_account_balance_fen"] = draw(st.integers(0, 3_000_000))
    return document


@st.composite
def accumulator_documents(draw: st.DrawFn) -> dict[str, Any]:
    amount = st.one_of(st.just(0), st.integers(0, 2_000_000), st.integers(0, 70_000_000))
    products: dict[str, dict[str, dict[str, int]]] = {}
    for product in draw(st.lists(st.sampled_from(sorted(RULES.products)), unique=True)):
        benefits = [benefit.id for benefit in RULES.products[product].benefits]
        products[product] = {
            benefit: {"deductible_met_fen": draw(amount), "paid_fen": draw(amount)}
            for benefit in draw(st.lists(st.sampled_from(benefits), unique=True))
        }
    return {
        "inpatient_fund_paid_fen": draw(amount),
        "outpatient_deductible_met_fen": draw(amount),
        "outpatient_fund_paid_fen": draw(amount),
        "critical_illness_cumulative_fen": draw(amount),
        "critical_illness_paid_fen": draw(amount),
        "assistance_deductible_met_fen": draw(amount),
        "assistance_paid_fen": draw(amount),
        "products": products,
    }


def bills(min_products: int = 0) -> st.SearchStrategy[Bill]:
    return bill_documents(min_products).map(parse_bill)


def accumulators() -> st.SearchStrategy[Accumulators]:
    return accumulator_documents().map(parse_accumulators)


EXAMPLES = Path(__file__).resolve().parents[3] / "docs" / "examples"


def read_example(name: str) -> Any:
    """A documented example file, decoded the way the CLI decodes it (no floats)."""
    return json.loads((EXAMPLES / name).read_text("utf-8"), parse_float=Decimal)
