"""Money is integer fen, ratios are exact, and each layer rounds half-up once."""

from __future__ import annotations

from decimal import Decimal

import pytest
from domain_strategies import DOMAIN_SETTINGS
from hypothesis import given
from hypothesis import strategies as st

from trustshare.domain import (
    default_rules,
    format_yuan,
    parse_bill,
    parse_ratio,
    round_half_up_micro,
    settle,
)


@pytest.mark.parametrize(
    ("micro_fen", "fen"),
    [(0, 0), (499_999, 0), (500_000, 1), (1_499_999, 1), (1_500_000, 2), (2_500_000, 3)],
)
def test_rounding_is_half_up_to_the_fen(micro_fen: int, fen: int) -> None:
    assert round_half_up_micro(micro_fen) == fen


@DOMAIN_SETTINGS
@given(st.integers(0, 10**15))
def test_rounding_matches_decimal_half_up(micro_fen: int) -> None:
    expected = (Decimal(micro_fen) / 1_000_000).quantize(Decimal(1), rounding="ROUND_HALF_UP")
    assert round_half_up_micro(micro_fen) == int(expected)


@pytest.mark.parametrize(
    ("text", "ppm"),
    [("0", 0), ("1", 1_000_000), ("0.85", 850_000), ("0.000001", 1), (Decimal("0.6"), 600_000)],
)
def test_ratios_parse_exactly(text: object, ppm: int) -> None:
    assert parse_ratio(text).ppm == ppm


@pytest.mark.parametrize("bad", [0.85, True, "1.000001", "-0", "abc", "NaN", [0.5]])
def test_ratios_refuse_floats_and_nonsense(bad: object) -> None:
    if bad == "-0":
        assert parse_ratio(bad).ppm == 0  # negative zero is zero
        return
    with pytest.raises(ValueError):
        parse_ratio(bad)


def test_yuan_rendering() -> None:
    assert format_yuan(0) == "0.00"
    assert format_yuan(5) == "0.05"
    assert format_yuan(3_275_760) == "32,757.60"


def test_class_b_advance_self_pay_is_rounded_once_for_the_layer_not_per_line() -> None:
    # Two lines of 5 fen at 10 %: 0.5 fen each. Per line half-up would give 2 fen; once, 1 fen.
    bill = parse_bill(
        {
            "mdtrt_id": "ROUND",
            "region": "beijing",
            "insurance_type": "resident",
            "visit_type": "outpatient",
            "hospital_level": "primary",
            "lines": [
                {"code": "B-1", "item_class": "B", "quantity": 1, "unit_price_fen": 5,
                 "selfpay_prop": "0.10"},
                {"code": "B-2", "item_class": "B", "quantity": 1, "unit_price_fen": 5,
                 "selfpay_prop": "0.10"},
            ],
        }
    )  # fmt: skip
    assert settle(bill, None, default_rules()).record.preselfpay_amt == 1


def test_price_cap_moves_the_excess_to_overlmt_selfpay_and_ratio_applies_within_the_cap() -> None:
    bill = parse_bill(
        {
            "mdtrt_id": "CAP",
            "region": "beijing",
            "insurance_type": "resident",
            "visit_type": "outpatient",
            "hospital_level": "primary",
            "lines": [
                {"code": "B-1", "item_class": "B", "quantity": 2, "unit_price_fen": 1_000,
                 "price_cap_fen": 800, "selfpay_prop": "0.25"},
            ],
        }
    )  # fmt: skip
    record = settle(bill, None, default_rules()).record
    assert record.overlmt_selfpay == 400
    assert record.preselfpay_amt == 400  # 25 % of 1,600 within the cap
    assert record.inscp_scp_amt == 1_200
