"""The real bureau node asks the real insurer node (uvicorn on loopback) at discharge."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from trustshare.bureau.context import BureauContext
from trustshare.insurer.context import InsurerContext
from trustshare.storage.insurer_models import AuthorisationRow, HoldStatus

from ..bureau.hospital_support import (
    beijing_bill,
    confirm,
    consent_to_direct_settlement,
    hospital_client,
    policy_code,
    settlement_body,
)
from ..conftest import Network
from .realtime_support import PRODUCT, give_policy

ENTERPRISE_FEN = 3_755_619
"""The engine's enterprise layer of the Beijing example (docs/examples)."""


def _discharge(bureau_context: BureauContext, network: Network, key: str) -> Any:
    bill = beijing_bill(products=True)
    bill["products"] = [holding for holding in bill["products"] if holding["product"] == PRODUCT]
    body = settlement_body(bill, policy_codes=[policy_code(network, network.insurer, PRODUCT)])
    with hospital_client(bureau_context) as client:
        return confirm(client, body, key)


def _holds(context: InsurerContext) -> list[AuthorisationRow]:
    with context.sessions() as session:
        return list(session.scalars(select(AuthorisationRow)))


def test_the_bureau_settles_with_the_insurer_layer_authorised_by_the_insurer_node(
    bureau_context: BureauContext,
    insurer_context: InsurerContext,
    insurer_url: str,
    network: Network,
) -> None:
    give_policy(insurer_context)
    consent_to_direct_settlement(network, network.insurer)
    answer = _discharge(bureau_context, network, "discharge-1")
    assert answer.status_code == 201, answer.text
    (payer,) = answer.json()["payers"]
    assert payer["status"] == "authorised"
    assert payer["authorised_fen"] == ENTERPRISE_FEN
    (hold,) = _holds(insurer_context)
    assert payer["authorisation_id"] == hold.authorisation_id
    assert hold.status == HoldStatus.HELD
    assert "0x" + hold.settlement_id.hex() == answer.json()["settlement_id"]
    assert hold.bureau == bureau_context.address
    assert answer.json()["commercial_paid_fen"] == ENTERPRISE_FEN


def test_an_insurer_without_the_policy_refuses_and_the_patient_pays_the_layer(
    bureau_context: BureauContext,
    insurer_context: InsurerContext,
    insurer_url: str,
    network: Network,
) -> None:
    consent_to_direct_settlement(network, network.insurer)
    answer = _discharge(bureau_context, network, "discharge-2")
    assert answer.status_code == 201, answer.text
    (payer,) = answer.json()["payers"]
    assert (payer["status"], payer["authorised_fen"]) == ("refused", 0)
    assert answer.json()["commercial_paid_fen"] == 0
    (hold,) = _holds(insurer_context)
    assert (hold.status, hold.reason) == (HoldStatus.REFUSED, "no_policy")
