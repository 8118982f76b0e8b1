"""DOMAIN.md §4's worked examples E1–E4, each through the public API, with the shipped rules."""

from __future__ import annotations

from typing import Any

from domain_strategies import read_example

from trustshare.domain import (
    Accumulators,
    InsuranceType,
    coordinate_benefit,
    default_rules,
    parse_accumulators,
    parse_bill,
    settle,
)

RULES = default_rules()


def _bill(region: str, lines: list[dict[str, Any]], products: list[dict[str, Any]]) -> Any:
    return parse_bill(
        {
            "mdtrt_id": f"E-{region}",
            "region": region,
            "insurance_type": "resident",
            "visit_type": "inpatient",
            "hospital_level": "tertiary",
            "admission_number": 1,
            "lines": lines,
            "products": products,
        }
    )


def test_e1_medicare_secondary_payer_pays_thirty() -> None:
    # 42 CFR §411.33(b): charge 175, primary allowed 150 and paid 120, secondary's fee 125 at 80 %.
    own_benefit = 100  # 0.8 × 125
    assert coordinate_benefit(175, 120, own_benefit, 125, 150) == 30


def test_e1_holds_in_fen_and_never_goes_negative() -> None:
    assert coordinate_benefit(17_500, 12_000, 10_000, 12_500, 15_000) == 3_000
    assert coordinate_benefit(17_500, 17_500, 10_000, 12_500, 15_000) == 0


def test_e2_huhuibao_without_local_settlement_pays_3600_yuan() -> None:
    bill = _bill(
        "shanghai",
        [{"code": "C-IMPLANT", "item_class": "C", "quantity": 1, "unit_price_fen": 3_000_000}],
        [{"product": "huhuibao-like-2025-nonlocal", "pre_existing": False}],
    )
    settlement = settle(bill, None, RULES)
    assert settlement.record.fulamt_ownpay_amt == 3_000_000
    (payment,) = settlement.commercial
    assert payment.paid_fen == 360_000  # (30,000 − 12,000) × 20 %
    assert settlement.patient_remainder_fen == 3_000_000 - 360_000


def test_e2_with_a_pre_existing_condition_pays_the_lower_ratio() -> None:
    bill = _bill(
        "shanghai",
        [{"code": "C-IMPLANT", "item_class": "C", "quantity": 1, "unit_price_fen": 3_000_000}],
        [{"product": "huhuibao-like-2025-nonlocal", "pre_existing": True}],
    )
    assert settle(bill, None, RULES).commercial[0].paid_fen == 180_000  # 18,000 × 10 %


def _fund_exhausted(**extra: int) -> Accumulators:
    cap = RULES.regions["beijing"].schemes[InsuranceType.RESIDENT].inpatient.annual_cap_fen
    return parse_accumulators({"inpatient_fund_paid_fen": cap, **extra})


def test_e3_beijing_critical_illness_on_80000_yuan_pays_32757_60() -> None:
    bill = _bill(
        "beijing",
        [{"code": "A-ICU", "item_class": "A", "quantity": 1, "unit_price_fen": 8_000_000}],
        [],
    )
    settlement = settle(bill, _fund_exhausted(), RULES)
    assert settlement.record.hifp_pay == 0  # the basic fund's annual cap is used up
    assert settlement.record.hifmi_pay == 3_275_760  # 11,757.60 + 21,000.00 yuan


def test_e3_split_over_two_stays_pays_the_same_total() -> None:
    first = _bill(
        "beijing",
        [{"code": "A-ICU", "item_class": "A", "quantity": 1, "unit_price_fen": 4_500_000}],
        [],
    )
    second = _bill(
        "beijing",
        [{"code": "A-ICU", "item_class": "A", "quantity": 1, "unit_price_fen": 3_500_000}],
        [],
    )
    after_first = settle(first, _fund_exhausted(), RULES)
    after_second = settle(second, after_first.accumulators, RULES)
    # f(45,000) = 8,757.60; f(80,000) − f(45,000) = 3,000 + 21,000 = 24,000.
    assert after_first.record.hifmi_pay == 875_760
    assert after_second.record.hifmi_pay == 2_400_000
    assert after_second.accumulators.critical_illness_paid_fen == 3_275_760
    assert after_second.accumulators.critical_illness_cumulative_fen == 8_000_000


def test_e4_suisuikang_on_36000_yuan_personal_share_pays_16000() -> None:
    region = RULES.regions["guangzhou"].schemes[InsuranceType.RESIDENT]
    assert region.critical_illness is not None
    assert region.critical_illness.annual_cap_fen is not None
    exhausted = parse_accumulators(
        {
            "inpatient_fund_paid_fen": region.inpatient.annual_cap_fen,
            "critical_illness_paid_fen": region.critical_illness.annual_cap_fen,
        }
    )
    bill = _bill(
        "guangzhou",
        [{"code": "A-SURGERY", "item_class": "A", "quantity": 1, "unit_price_fen": 3_600_000}],
        [{"product": "suisuikang-like-2022", "pre_existing": True}],
    )
    settlement = settle(bill, exhausted, RULES)
    assert settlement.record.psn_part_amt == 3_600_000
    assert settlement.commercial[0].paid_fen == 1_600_000  # (36,000 − 16,000) × 80 %


def test_documented_beijing_bill_crosses_basic_critical_illness_and_two_commercial_layers() -> None:
    settlement = settle(parse_bill(read_example("bill-beijing-inpatient.json")), None, RULES)
    record = settlement.record
    assert record.hifp_pay > 0
    assert record.hifmi_pay > 0
    assert [payment.product_id for payment in settlement.commercial] == [
        "enterprise-supplementary",
        "huiminbao-typical",
    ]
    assert all(payment.paid_fen > 0 for payment in settlement.commercial)
    assert record.medfee_sumamt == 21_374_220
    assert record.hifp_pay == 10_406_613
    assert record.hifmi_pay == 335_083
    assert settlement.patient_remainder_fen == 4_034_762


def test_documented_accumulators_carry_the_year_forward() -> None:
    bill = parse_bill(read_example("bill-beijing-inpatient.json"))
    ytd = parse_accumulators(read_example("accumulators-beijing.json"))
    settlement = settle(bill, ytd, RULES)
    assert settlement.accumulators.critical_illness_cumulative_fen == (
        ytd.critical_illness_cumulative_fen
        + settlement.record.inscp_scp_amt
        - settlement.record.hifp_pay
    )
    assert settlement.accumulators.inpatient_fund_paid_fen == (
        ytd.inpatient_fund_paid_fen + settlement.record.hifp_pay
    )
    assert settlement.record.hifmi_pay > settle(bill, None, RULES).record.hifmi_pay


def test_documented_shanghai_bill_pays_special_drugs_at_the_pre_existing_ratio() -> None:
    settlement = settle(parse_bill(read_example("bill-shanghai-special-drug.json")), None, RULES)
    huhuibao = settlement.commercial[0]
    special = next(b for b in huhuibao.benefits if b.benefit_id == "special-drugs")
    assert special.ratio == "0.3"
    assert special.paid_fen == 36_000_000  # 1,200,000 yuan × 30 %
    assert settlement.record.maf_pay > 0  # minimum-living person: medical assistance pays
