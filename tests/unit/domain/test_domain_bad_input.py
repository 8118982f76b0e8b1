"""Bad input: each error names the field path and the reason, and nothing is computed."""

from __future__ import annotations

import copy
from decimal import Decimal
from typing import Any

import pytest
from domain_strategies import read_example

from trustshare.domain import (
    DomainError,
    InvalidAccumulators,
    InvalidBill,
    default_rules,
    parse_accumulators,
    parse_bill,
    settle,
)

RULES = default_rules()


def _bill_with(change: dict[str, Any], line_change: dict[str, Any] | None = None) -> Any:
    document = copy.deepcopy(read_example("bill-beijing-inpatient.json"))
    document.update(change)
    if line_change is not None:
        document["lines"][2].update(line_change)
    return document


@pytest.mark.parametrize(
    ("change", "line_change", "path", "reason"),
    [
        ({}, {"unit_price_fen": -1}, "lines[2].unit_price_fen", "negative"),
        ({}, {"unit_price_fen": Decimal("12.5")}, "lines[2].unit_price_fen", "integers of fen"),
        ({}, {"unit_price_fen": 12.5}, "lines[2].unit_price_fen", "floats never enter money"),
        ({}, {"unit_price_fen": True}, "lines[2].unit_price_fen", "integers of fen"),
        ({}, {"unit_price_fen": "100"}, "lines[2].unit_price_fen", "integers of fen"),
        ({}, {"quantity": 0}, "lines[2].quantity", "at least 1"),
        ({}, {"quantity": Decimal("0.5")}, "lines[2].quantity", "whole number"),
        ({}, {"item_class": "D"}, "lines[2].item_class", "'A', 'B' or 'C'"),
        ({}, {"price_cap_fen": -5}, "lines[2].price_cap_fen", "negative"),
        ({}, {"selfpay_prop": "1.2"}, "lines[2].selfpay_prop", "outside 0–1"),
        ({}, {"selfpay_prop": "-0.1"}, "lines[2].selfpay_prop", "outside 0–1"),
        ({}, {"selfpay_prop": 0.1}, "lines[2].selfpay_prop", "exact decimals"),
        ({}, {"selfpay_prop": "0.1234567"}, "lines[2].selfpay_prop", "6 decimal places"),
        ({}, {"item_class": "A"}, "lines[2].selfpay_prop", "only class B"),
        ({}, {"colour": "red"}, "lines[2].colour", "unknown field"),
        ({"insurance_type": "gold"}, None, "insurance_type", "'employee' or 'resident'"),
        ({"visit_type": "spa"}, None, "visit_type", "'inpatient' or 'outpatient'"),
        ({"person_category": "vip"}, None, "person_category", "general"),
        ({"admission_number": None}, None, "admission_number", "needs the admission number"),
        ({"visit_type": "outpatient"}, None, "admission_number", "no admission number"),
        (
            {"personal_account_balance_fen": 100},
            None,
            "personal_account_balance_fen",
            "no personal account",
        ),
        (
            {"products": [{"product": "huiminbao-typical"}, {"product": "huiminbao-typical"}]},
            None,
            "products[1].product",
            "appears twice",
        ),
        ({"lines": []}, None, "lines", "at least 1"),
    ],
)
def test_a_malformed_bill_is_refused_by_field_path(
    change: dict[str, Any], line_change: dict[str, Any] | None, path: str, reason: str
) -> None:
    with pytest.raises(InvalidBill) as caught:
        parse_bill(_bill_with(change, line_change))
    assert caught.value.path == path
    assert reason in caught.value.reason
    assert isinstance(caught.value, ValueError)
    assert isinstance(caught.value, DomainError)


@pytest.mark.parametrize(
    ("change", "path", "reason"),
    [
        ({"region": "atlantis"}, "region", "unknown region 'atlantis'"),
        (
            {"products": [{"product": "huiminbao-typical"}, {"product": "nope"}]},
            "products[1].product",
            "unknown product 'nope'",
        ),
        (
            {"products": [{"product": "huhuibao-like-2025"}]},
            "products[0].product",
            "only sold in shanghai",
        ),
    ],
)
def test_a_bill_naming_rules_that_do_not_exist_is_refused(
    change: dict[str, Any], path: str, reason: str
) -> None:
    bill = parse_bill(_bill_with(change))
    with pytest.raises(InvalidBill) as caught:
        settle(bill, None, RULES)
    assert caught.value.path == path
    assert reason in caught.value.reason


def test_a_bill_must_be_an_object() -> None:
    with pytest.raises(InvalidBill, match="JSON object"):
        parse_bill([1, 2, 3])


@pytest.mark.parametrize(
    ("document", "path", "reason"),
    [
        ({"inpatient_fund_paid_fen": -1}, "inpatient_fund_paid_fen", "negative"),
        ({"critical_illness_cumulative_fen": 1.5}, "critical_illness_cumulative_fen", "fen"),
        (
            {"products": {"huiminbao-typical": {"inpatient-self-pay": {"paid_fen": -3}}}},
            "products.huiminbao-typical.inpatient-self-pay.paid_fen",
            "negative",
        ),
        ({"surprise": 1}, "surprise", "unknown field"),
    ],
)
def test_malformed_accumulators_are_refused_by_field_path(
    document: dict[str, Any], path: str, reason: str
) -> None:
    with pytest.raises(InvalidAccumulators) as caught:
        parse_accumulators(document)
    assert caught.value.path == path
    assert reason in caught.value.reason
