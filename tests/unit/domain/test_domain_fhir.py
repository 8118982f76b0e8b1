"""The FHIR R4 rendering carries the same numbers as the settlement (DOMAIN.md §5)."""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

from domain_strategies import read_example

from trustshare.domain import (
    default_rules,
    parse_bill,
    settle,
    to_claim_responses,
    to_explanation_of_benefit,
    to_fhir_bundle,
)
from trustshare.domain.jsonout import dumps

SETTLEMENT = settle(parse_bill(read_example("bill-beijing-inpatient.json")), None, default_rules())


def _totals(resource: dict[str, Any]) -> dict[str, Decimal]:
    return {
        entry["category"]["coding"][0]["code"]: entry["amount"]["value"]
        for entry in resource["total"]
    }


def test_eob_totals_follow_the_mapping() -> None:
    eob = to_explanation_of_benefit(SETTLEMENT)
    record = SETTLEMENT.record
    totals = _totals(eob)
    assert eob["resourceType"] == "ExplanationOfBenefit"
    assert totals["submitted"] == Decimal(record.medfee_sumamt) / 100
    assert totals["eligible"] == Decimal(record.inscp_scp_amt) / 100
    assert totals["deductible"] == Decimal(record.act_pay_dedc) / 100
    assert totals["benefit"] == Decimal(record.fund_pay_sumamt) / 100
    assert totals["noncovered"] == Decimal(record.fulamt_ownpay_amt + record.overlmt_selfpay) / 100
    assert totals["hifmi_pay"] == Decimal(record.hifmi_pay) / 100
    assert len(eob["item"]) == len(SETTLEMENT.bill.lines)


def test_payer_order_is_coverage_order() -> None:
    eob = to_explanation_of_benefit(SETTLEMENT)
    coverages = {c["id"]: c for c in eob["contained"]}
    orders = [coverages[entry["coverage"]["reference"][1:]]["order"] for entry in eob["insurance"]]
    assert orders == [1, 2, 3]
    assert eob["insurance"][0]["focal"] is True


def test_claim_responses_carry_prior_payer_paid() -> None:
    responses = to_claim_responses(SETTLEMENT)
    assert len(responses) == 2
    for response, payment in zip(responses, SETTLEMENT.commercial, strict=True):
        totals = _totals(response)
        assert totals["priorpayerpaid"] == Decimal(payment.prior_payers_paid_fen) / 100
        assert totals["benefit"] == Decimal(payment.paid_fen) / 100


def test_money_is_written_as_exact_json_numbers() -> None:
    text = dumps(to_fhir_bundle(SETTLEMENT))
    assert '"value": 213742.20' in text
    decoded = json.loads(text, parse_float=Decimal)
    assert decoded["entry"][0]["resource"]["resourceType"] == "ExplanationOfBenefit"
