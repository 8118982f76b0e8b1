"""The payer-order logic of real-time authorisation, with fake insurers (no chain, no HTTP)."""

from __future__ import annotations

import json
from decimal import Decimal

from trustshare.bureau.realtime import (
    Answer,
    PresentedPolicy,
    authorise_layers,
    carry_over_authorisations,
)
from trustshare.domain import Bill, CommercialPayment, Settlement, default_rules, parse_bill
from trustshare.gateway.realtime_contract import PayerStatus

from .hospital_support import EXAMPLES

RULES = default_rules()
BILL: Bill = parse_bill(
    json.loads((EXAMPLES / "bill-beijing-inpatient.json").read_text(), parse_float=Decimal)
)
PRESENTED = {
    holding.product: PresentedPolicy(holding.product, "0x" + "11" * 20, "P-1", "http://x")
    for holding in BILL.products
}


def _answering(**by_product: Answer) -> tuple[list[str], object]:
    asked: list[str] = []

    def ask(policy: PresentedPolicy, line: CommercialPayment, _: Settlement) -> Answer:
        asked.append(policy.product)
        return by_product.get(policy.product) or Answer(PayerStatus.AUTHORISED, line.paid_fen)

    return asked, ask


def test_a_layer_left_out_lets_the_next_payer_cover_what_it_would_have_paid() -> None:
    asked, ask = _answering(
        **{"enterprise-supplementary": Answer(PayerStatus.TIMED_OUT, 0, reason="late")}
    )
    final, outcomes = authorise_layers(
        BILL,
        None,
        RULES,
        PRESENTED,
        consented=lambda _: True,
        ask=ask,  # type: ignore[arg-type]
    )
    assert asked == ["enterprise-supplementary", "huiminbao-typical"]
    assert [o.status for o in outcomes] == [PayerStatus.TIMED_OUT, PayerStatus.AUTHORISED]
    assert [o.order for o in outcomes] == [2, 3]
    assert outcomes[1].authorised_fen == 5_095_514
    assert [line.product_id for line in final.commercial] == ["huiminbao-typical"]


def test_no_consent_is_never_asked_and_a_trial_asks_nobody() -> None:
    asked, ask = _answering()
    _, outcomes = authorise_layers(
        BILL,
        None,
        RULES,
        PRESENTED,
        consented=lambda policy: policy.product != "enterprise-supplementary",
        ask=ask,  # type: ignore[arg-type]
    )
    assert asked == ["huiminbao-typical"]
    assert outcomes[0].status is PayerStatus.NO_CONSENT
    _, estimated = authorise_layers(BILL, None, RULES, {}, consented=lambda _: True, ask=None)
    assert {o.status for o in estimated} == {PayerStatus.ESTIMATED}
    assert [o.authorised_fen for o in estimated] == [3_755_619, 2_842_143]


def test_a_refund_caps_each_layer_at_its_earlier_authorisation() -> None:
    previous = [
        {
            "order": 2,
            "product": "enterprise-supplementary",
            "insurer": "0x" + "11" * 20,
            "policy_number": "P-1",
            "authorised_fen": 1_000_000,
            "authorisation_id": "A-1",
            "status": "partially_authorised",
        },
        {
            "order": 3,
            "product": "huiminbao-typical",
            "insurer": "0x" + "22" * 20,
            "policy_number": "P-2",
            "authorised_fen": 0,
            "authorisation_id": None,
            "status": "timed_out",
        },
    ]
    lower = BILL.model_copy(update={"lines": BILL.lines[:-1]})
    final, outcomes = carry_over_authorisations(lower, None, RULES, previous)
    assert outcomes[0].authorised_fen == 1_000_000 and outcomes[0].authorisation_id == "A-1"
    assert outcomes[0].status is PayerStatus.PARTIALLY_AUTHORISED
    assert (outcomes[1].status, outcomes[1].authorised_fen) == (PayerStatus.TIMED_OUT, 0)
    assert [line.product_id for line in final.commercial] == ["enterprise-supplementary"]
