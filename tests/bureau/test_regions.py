"""A bureau settles only the insured of its own regions (when it is told which)."""

from __future__ import annotations

from sqlalchemy import func, select

from trustshare.bureau.context import BureauContext
from trustshare.storage.models import SettlementRow

from .hospital_support import (
    HOSPITAL,
    beijing_bill,
    confirm,
    hospital_client,
    settlement_body,
)


def _settlements(context: BureauContext) -> int:
    with context.sessions() as session:
        return int(session.scalar(select(func.count()).select_from(SettlementRow)) or 0)


def test_a_bill_of_another_region_is_refused_and_nothing_is_stored(
    bureau_context: BureauContext,
) -> None:
    bureau_context.settings.regions = ["shanghai"]
    with hospital_client(bureau_context) as client:
        answer = confirm(client, settlement_body(beijing_bill()), "other-region")
        body = settlement_body(beijing_bill())
        trial = client.post("/v1/settlements/trial", json=body, headers=HOSPITAL)
    assert answer.status_code == 422, answer.text
    error = answer.json()["error"]
    assert (error["code"], error["field"]) == ("region_not_served", "bill.region")
    assert "shanghai" in error["message"]
    assert trial.status_code == 422
    assert _settlements(bureau_context) == 0


def test_a_bill_of_its_own_region_is_settled(bureau_context: BureauContext) -> None:
    bureau_context.settings.regions = ["beijing", "shanghai"]
    with hospital_client(bureau_context) as client:
        answer = confirm(client, settlement_body(beijing_bill()), "own-region")
    assert answer.status_code == 201, answer.text
    assert _settlements(bureau_context) == 1
