"""Properties of the engine on random bills and accumulators (hypothesis, derandomised)."""

from __future__ import annotations

from dataclasses import fields
from typing import Any

from domain_strategies import DOMAIN_SETTINGS, RULES, accumulators, bill_documents, bills
from hypothesis import given
from hypothesis import strategies as st

from trustshare.domain import Accumulators, Bill, Settlement, parse_bill, settle


def _settle(bill: Bill, ytd: Accumulators) -> Settlement:
    return settle(bill, ytd, RULES)


@DOMAIN_SETTINGS
@given(bills(), accumulators())
def test_accounting_identities_hold(bill: Bill, ytd: Accumulators) -> None:
    settlement = _settle(bill, ytd)
    r = settlement.record
    assert r.medfee_sumamt == sum(line.quantity * line.unit_price_fen for line in bill.lines)
    assert r.medfee_sumamt == r.fund_pay_sumamt + r.psn_part_amt + r.hosp_part_amt
    assert r.psn_part_amt == r.acct_pay + r.psn_cash_pay
    assert r.fund_pay_sumamt == (
        r.hifp_pay + r.cvlserv_pay + r.hifes_pay + r.hifmi_pay + r.hifob_pay + r.maf_pay + r.oth_pay
    )
    assert r.inscp_scp_amt == (
        r.medfee_sumamt - r.fulamt_ownpay_amt - r.overlmt_selfpay - r.preselfpay_amt
    )
    # All payers + patient = total.
    commercial = sum(payment.paid_fen for payment in settlement.commercial)
    assert commercial == settlement.commercial_paid_fen
    assert (
        r.fund_pay_sumamt + r.hosp_part_amt + commercial + settlement.patient_remainder_fen
        == r.medfee_sumamt
    )
    for payment in settlement.commercial:
        assert payment.paid_fen == sum(benefit.paid_fen for benefit in payment.benefits)


@DOMAIN_SETTINGS
@given(bills(), accumulators())
def test_every_amount_is_a_non_negative_integer(bill: Bill, ytd: Accumulators) -> None:
    settlement = _settle(bill, ytd)
    amounts = [
        getattr(settlement.record, item.name)
        for item in fields(settlement.record)
        if item.name != "pool_prop_selfpay"
    ]
    amounts += [settlement.patient_remainder_fen, settlement.claim_ceiling_fen]
    for payment in settlement.commercial:
        amounts += [payment.paid_fen, payment.prior_payers_paid_fen]
        for benefit in payment.benefits:
            amounts += [benefit.base_fen, benefit.deductible_applied_fen, benefit.paid_fen]
    after = settlement.accumulators
    amounts += [getattr(after, item.name) for item in fields(after) if item.name.endswith("_fen")]
    for per_product in after.products.values():
        for so_far in per_product.values():
            amounts += [so_far.deductible_met_fen, so_far.paid_fen]
    assert all(type(amount) is int and amount >= 0 for amount in amounts)
    for step in settlement.trace:
        assert step.paid_fen >= 0
        assert step.explanation


@DOMAIN_SETTINGS
@given(bills(), accumulators())
def test_no_payer_pays_above_its_base_or_its_cap(bill: Bill, ytd: Accumulators) -> None:
    settlement = _settle(bill, ytd)
    r = settlement.record
    scheme = RULES.regions[bill.region].schemes[bill.insurance_type]
    assert r.act_pay_dedc <= r.inscp_scp_amt
    assert r.hifp_pay <= r.inscp_scp_amt - r.act_pay_dedc
    if bill.visit_type == "inpatient":
        cap, used = scheme.inpatient.annual_cap_fen, ytd.inpatient_fund_paid_fen
    else:
        cap, used = scheme.outpatient.annual_cap_fen, ytd.outpatient_fund_paid_fen
    assert r.hifp_pay <= max(cap - used, 0)
    assert r.hifmi_pay <= r.inscp_scp_amt - r.hifp_pay
    critical = scheme.critical_illness
    if critical is None:
        assert r.hifmi_pay == 0
    elif critical.annual_cap_fen is not None:
        assert r.hifmi_pay <= max(critical.annual_cap_fen - ytd.critical_illness_paid_fen, 0)
    assert r.maf_pay <= r.inscp_scp_amt - r.hifp_pay - r.hifmi_pay
    assert settlement.commercial_paid_fen <= settlement.claim_ceiling_fen == r.psn_part_amt
    left = r.psn_part_amt
    for payment in settlement.commercial:
        product = RULES.products[payment.product_id]
        assert payment.paid_fen <= left  # never more than earlier payers left
        left -= payment.paid_fen
        for benefit, terms in zip(payment.benefits, product.benefits, strict=True):
            assert benefit.paid_fen <= benefit.base_fen
            so_far = ytd.benefit(product.id, terms.id)
            assert benefit.paid_fen <= max(terms.annual_cap_fen - so_far.paid_fen, 0)


@DOMAIN_SETTINGS
@given(bills(), accumulators())
def test_the_same_input_always_gives_the_same_output(bill: Bill, ytd: Accumulators) -> None:
    first = _settle(bill, ytd)
    again = _settle(parse_bill(bill.model_dump(mode="json")), ytd)
    assert first == again
    assert first.to_dict() == again.to_dict()


@DOMAIN_SETTINGS
@given(bill_documents(), accumulators(), st.data())
def test_raising_a_line_item_never_lowers_what_the_patient_owes(
    document: dict[str, Any], ytd: Accumulators, data: st.DataObject
) -> None:
    before = _settle(parse_bill(document), ytd)
    lines = list(document["lines"])
    index = data.draw(st.integers(0, len(lines) - 1), label="line")
    raised = dict(lines[index])
    if data.draw(st.booleans(), label="raise quantity"):
        raised["quantity"] += data.draw(st.integers(1, 5), label="more units")
    else:
        raised["unit_price_fen"] += data.draw(st.integers(1, 2_000_000), label="price rise")
    lines[index] = raised
    after = _settle(parse_bill({**document, "lines": lines}), ytd)
    assert after.patient_remainder_fen >= before.patient_remainder_fen
    assert after.record.psn_part_amt >= before.record.psn_part_amt


@DOMAIN_SETTINGS
@given(bill_documents(min_products=2), accumulators(), st.data())
def test_changing_the_payer_order_changes_only_the_commercial_lines(
    document: dict[str, Any], ytd: Accumulators, data: st.DataObject
) -> None:
    products = list(document["products"])
    reordered = data.draw(st.permutations(products), label="payer order")
    first = _settle(parse_bill(document), ytd)
    second = _settle(parse_bill({**document, "products": reordered}), ytd)
    assert first.record == second.record
    assert first.claim_ceiling_fen == second.claim_ceiling_fen
    statutory = [item.name for item in fields(Accumulators) if item.name != "products"]
    for name in statutory:
        assert getattr(first.accumulators, name) == getattr(second.accumulators, name)
    assert [step for step in first.trace[:4]] == [step for step in second.trace[:4]]
    # What changes stays within the commercial lines and the patient's remainder.
    assert (
        first.commercial_paid_fen + first.patient_remainder_fen
        == second.commercial_paid_fen + second.patient_remainder_fen
    )


def test_payer_order_can_change_what_the_patient_owes() -> None:
    # DOMAIN.md §2: the same bill with two secondary payers in a different order leaves the
    # patient a different amount — which is why the order is declared and recorded.
    document: dict[str, Any] = {
        "mdtrt_id": "ORDER",
        "region": "beijing",
        "insurance_type": "resident",
        "visit_type": "inpatient",
        "hospital_level": "tertiary",
        "admission_number": 1,
        "lines": [
            {"code": "A-1", "item_class": "A", "quantity": 1, "unit_price_fen": 20_000_000},
            {"code": "C-1", "item_class": "C", "quantity": 1, "unit_price_fen": 6_000_000},
        ],
        "products": [
            {"product": "enterprise-supplementary"},
            {"product": "huiminbao-typical"},
        ],
    }
    forward = _settle(parse_bill(document), Accumulators())
    backward = _settle(
        parse_bill({**document, "products": list(reversed(document["products"]))}),
        Accumulators(),
    )
    assert forward.record == backward.record
    assert forward.patient_remainder_fen != backward.patient_remainder_fen
