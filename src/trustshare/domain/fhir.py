"""FHIR R4 renderings of a settlement: ExplanationOfBenefit, and ClaimResponse per commercial payer.

Mapping (DOMAIN.md §5): total submitted = ``medfee_sumamt``, eligible = ``inscp_scp_amt``,
deductible = ``act_pay_dedc``, benefit = ``fund_pay_sumamt``, noncovered = ``fulamt_ownpay_amt``
+ ``overlmt_selfpay``; accumulators → ``benefitBalance``; payer order → ``Coverage.order``;
a commercial payer's ``ClaimResponse`` carries what earlier payers paid as ``priorpayerpaid``.
Money values are exact ``Decimal`` yuan; :func:`trustshare.domain.jsonout.dumps` writes them.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from trustshare.domain.money import fen_to_decimal_yuan
from trustshare.domain.result import Settlement

ADJUDICATION = "http://terminology.hl7.org/CodeSystem/adjudication"
CARIN_ADJUDICATION = "http://hl7.org/fhir/us/carin-bb/CodeSystem/C4BBAdjudication"
CLAIM_TYPE = "http://terminology.hl7.org/CodeSystem/claim-type"
BENEFIT_TYPE = "http://terminology.hl7.org/CodeSystem/benefit-type"
NATIONAL_FIELDS = "urn:trustshare:nhsa-settlement-field"
CURRENCY = "CNY"


def _money(fen: int) -> dict[str, Any]:
    value: Decimal = fen_to_decimal_yuan(fen)
    return {"value": value, "currency": CURRENCY}


def _total(system: str, code: str, fen: int) -> dict[str, Any]:
    return {"category": {"coding": [{"system": system, "code": code}]}, "amount": _money(fen)}


def _patient_reference(settlement: Settlement) -> dict[str, str]:
    psn_no = settlement.bill.psn_no
    return {"reference": f"Patient/{psn_no}"} if psn_no else {"display": "patient"}


def _coverages(settlement: Settlement) -> list[dict[str, Any]]:
    bill = settlement.bill
    beneficiary = _patient_reference(settlement)
    coverages: list[dict[str, Any]] = [
        {
            "resourceType": "Coverage",
            "id": "basic",
            "status": "active",
            "type": {"text": f"basic medical insurance ({bill.insurance_type.value})"},
            "beneficiary": beneficiary,
            "payor": [{"display": f"medical insurance bureau, {bill.region}"}],
            "order": 1,
        }
    ]
    coverages.extend(
        {
            "resourceType": "Coverage",
            "id": f"commercial-{payment.order}",
            "status": "active",
            "type": {"text": f"commercial product {payment.product_id} {payment.product_version}"},
            "beneficiary": beneficiary,
            "payor": [{"display": payment.insurer}],
            "order": payment.order,
        }
        for payment in settlement.commercial
    )
    return coverages


def _items(settlement: Settlement) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = []
    for sequence, line in enumerate(settlement.bill.lines, start=1):
        amount = line.quantity * line.unit_price_fen
        if line.item_class.value == "C":
            noncovered = amount
        elif line.price_cap_fen is not None and line.unit_price_fen > line.price_cap_fen:
            noncovered = line.quantity * (line.unit_price_fen - line.price_cap_fen)
        else:
            noncovered = 0
        items.append(
            {
                "sequence": sequence,
                "productOrService": {
                    "coding": [{"code": line.code, "display": line.name or line.code}],
                    "text": f"class {line.item_class.value}",
                },
                "quantity": {"value": line.quantity},
                "unitPrice": _money(line.unit_price_fen),
                "net": _money(amount),
                "adjudication": [
                    _total(ADJUDICATION, "submitted", amount),
                    _total(CARIN_ADJUDICATION, "noncovered", noncovered),
                ],
            }
        )
    return items


def _benefit_balance(settlement: Settlement) -> list[dict[str, Any]]:
    accumulators = settlement.accumulators
    balances: list[dict[str, Any]] = [
        {
            "category": {"text": "basic fund and statutory second layers, year to date"},
            "financial": [
                {"type": {"text": "inpatient fund paid"},
                 "usedMoney": _money(accumulators.inpatient_fund_paid_fen)},
                {"type": {"text": "outpatient fund paid"},
                 "usedMoney": _money(accumulators.outpatient_fund_paid_fen)},
                {"type": {"coding": [{"system": BENEFIT_TYPE, "code": "deductible"}],
                          "text": "outpatient deductible met"},
                 "usedMoney": _money(accumulators.outpatient_deductible_met_fen)},
                {"type": {"text": "critical-illness cumulative self-pay"},
                 "usedMoney": _money(accumulators.critical_illness_cumulative_fen)},
                {"type": {"text": "critical-illness paid"},
                 "usedMoney": _money(accumulators.critical_illness_paid_fen)},
                {"type": {"text": "medical assistance paid"},
                 "usedMoney": _money(accumulators.assistance_paid_fen)},
            ],
        }
    ]  # fmt: skip
    for product_id, benefits in accumulators.products.items():
        for benefit_id, so_far in benefits.items():
            balances.append(
                {
                    "category": {"text": f"{product_id} / {benefit_id}, year to date"},
                    "financial": [
                        {
                            "type": {"coding": [{"system": BENEFIT_TYPE, "code": "deductible"}]},
                            "usedMoney": _money(so_far.deductible_met_fen),
                        },
                        {
                            "type": {"coding": [{"system": BENEFIT_TYPE, "code": "benefit"}]},
                            "usedMoney": _money(so_far.paid_fen),
                        },
                    ],
                }
            )
    return balances


def to_explanation_of_benefit(settlement: Settlement) -> dict[str, Any]:
    """The settlement as a FHIR R4 ``ExplanationOfBenefit`` resource (a JSON-able dict)."""
    bill = settlement.bill
    record = settlement.record
    totals = [
        _total(ADJUDICATION, "submitted", record.medfee_sumamt),
        _total(ADJUDICATION, "eligible", record.inscp_scp_amt),
        _total(ADJUDICATION, "deductible", record.act_pay_dedc),
        _total(ADJUDICATION, "benefit", record.fund_pay_sumamt),
        _total(CARIN_ADJUDICATION, "noncovered", record.fulamt_ownpay_amt + record.overlmt_selfpay),
        _total(CARIN_ADJUDICATION, "memberliability", settlement.patient_remainder_fen),
    ]
    totals.extend(
        _total(NATIONAL_FIELDS, name, value)
        for name, value in record.to_dict().items()
        if isinstance(value, int)
    )
    totals.extend(
        _total(NATIONAL_FIELDS, f"commercial:{payment.product_id}", payment.paid_fen)
        for payment in settlement.commercial
    )
    eob: dict[str, Any] = {
        "resourceType": "ExplanationOfBenefit",
        "id": bill.setl_id or bill.mdtrt_id,
        "identifier": [{"system": "urn:trustshare:mdtrt_id", "value": bill.mdtrt_id}],
        "status": "active",
        "type": {
            "coding": [
                {
                    "system": CLAIM_TYPE,
                    "code": "institutional"
                    if bill.visit_type.value == "inpatient"
                    else "professional",
                }
            ]
        },
        "use": "claim",
        "patient": _patient_reference(settlement),
        "insurer": {"display": f"medical insurance bureau, {bill.region}"},
        "provider": {"display": f"{bill.hospital_level.value} hospital"},
        "outcome": "complete",
        "contained": _coverages(settlement),
        "insurance": [
            {"focal": index == 0, "coverage": {"reference": f"#{coverage['id']}"}}
            for index, coverage in enumerate(_coverages(settlement))
        ],
        "item": _items(settlement),
        "total": totals,
        "payment": {"amount": _money(record.fund_pay_sumamt + settlement.commercial_paid_fen)},
        "benefitBalance": _benefit_balance(settlement),
        "processNote": [
            {"number": number, "type": "display", "text": f"{step.layer}: {step.explanation}"}
            for number, step in enumerate(settlement.trace, start=1)
        ],
    }
    if bill.settlement_time is not None:
        eob["created"] = bill.settlement_time
    return eob


def to_claim_responses(settlement: Settlement) -> list[dict[str, Any]]:
    """One FHIR R4 ``ClaimResponse`` per commercial payer, with ``priorpayerpaid``."""
    bill = settlement.bill
    responses: list[dict[str, Any]] = []
    for payment in settlement.commercial:
        response: dict[str, Any] = {
            "resourceType": "ClaimResponse",
            "id": f"{bill.setl_id or bill.mdtrt_id}-{payment.order}",
            "status": "active",
            "type": {"coding": [{"system": CLAIM_TYPE, "code": "institutional"}]},
            "use": "claim",
            "patient": _patient_reference(settlement),
            "insurer": {"display": payment.insurer},
            "outcome": "complete",
            "total": [
                _total(CARIN_ADJUDICATION, "priorpayerpaid", payment.prior_payers_paid_fen),
                _total(ADJUDICATION, "benefit", payment.paid_fen),
            ],
            "processNote": [{"text": f"{payment.product_id} {payment.product_version}, "
                                     f"payer order {payment.order}"}],
        }  # fmt: skip
        if bill.settlement_time is not None:
            response["created"] = bill.settlement_time
        responses.append(response)
    return responses


def to_fhir_bundle(settlement: Settlement) -> dict[str, Any]:
    """A FHIR ``Bundle`` (collection): the ExplanationOfBenefit, then each ClaimResponse."""
    resources = [to_explanation_of_benefit(settlement), *to_claim_responses(settlement)]
    return {
        "resourceType": "Bundle",
        "type": "collection",
        "entry": [{"resource": resource} for resource in resources],
    }
