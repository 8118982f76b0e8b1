"""Holds whose settlement is never cleared are released after the node's hold lifetime."""

from __future__ import annotations

import time
from datetime import UTC, datetime

from fastapi.testclient import TestClient
from sqlalchemy import select, update

from trustshare.crypto.leaves import settlement_id
from trustshare.insurer.clearing import release_expired
from trustshare.insurer.context import InsurerContext
from trustshare.insurer.expiry import HoldsReport, HoldsWorker
from trustshare.storage.insurer_models import AuthorisationRow, ClaimRow, HoldStatus

from ..bureau.hospital_support import consent_to_direct_settlement
from ..conftest import Network
from .realtime_support import give_policy, post_signed, request_body


def _statuses(context: InsurerContext) -> list[str]:
    with context.sessions() as session:
        return list(session.scalars(select(AuthorisationRow.status).order_by(AuthorisationRow.id)))


def test_only_holds_past_their_expiry_are_released(
    insurer_client: TestClient, insurer_context: InsurerContext, network: Network
) -> None:
    give_policy(insurer_context)
    consent_to_direct_settlement(network, network.insurer)
    bureau = network.bureau.address
    started = time.time()
    for local_id in (1, 2):
        body = request_body(bureau, settlement_id="0x" + settlement_id(bureau, local_id).hex())
        post_signed(insurer_client, network.bureau, body)
    refused = request_body(bureau, settlement_id="0x" + settlement_id(bureau, 3).hex())
    post_signed(insurer_client, network.bureau, {**refused, "policy_number": "P-none"})
    with insurer_context.sessions() as session:  # the second became a claim at clearing
        session.execute(
            update(AuthorisationRow)
            .where(AuthorisationRow.settlement_id == settlement_id(bureau, 2))
            .values(status=HoldStatus.CLAIMED)
        )
        session.commit()
    assert _statuses(insurer_context) == ["held", "claimed", "refused"]
    ttl = insurer_context.settings.hold_ttl_s
    assert release_expired(insurer_context, now=_at(started + ttl - 5)) == 0
    assert _statuses(insurer_context) == ["held", "claimed", "refused"]
    assert release_expired(insurer_context, now=_at(started + ttl + 5)) == 1
    assert _statuses(insurer_context) == ["released", "claimed", "refused"]
    assert release_expired(insurer_context, now=_at(started + ttl + 5)) == 0


def _at(unix: float) -> datetime:
    return datetime.fromtimestamp(unix, UTC)


def test_the_node_releaser_uses_the_node_clock(
    insurer_client: TestClient, insurer_context: InsurerContext, network: Network
) -> None:
    give_policy(insurer_context)
    consent_to_direct_settlement(network, network.insurer)
    post_signed(insurer_client, network.bureau, request_body(network.bureau.address))
    worker = HoldsWorker(insurer_context)
    assert worker.run_once() == HoldsReport(opened=1, released=0)  # clearing begins
    later = time.time() + insurer_context.settings.hold_ttl_s + 1
    insurer_context.clock = lambda: later
    assert worker.run_once() == HoldsReport(opened=0, released=1)
    assert _statuses(insurer_context) == ["released"]
    with insurer_context.sessions() as session:  # the settlement was never confirmed
        (claim,) = session.scalars(select(ClaimRow))
        assert (claim.origin, claim.status, claim.refusal_code) == (
            "window",
            "refused",
            "hold_expired",
        )
