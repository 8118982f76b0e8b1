"""Clearing: a layer paid at the hospital window becomes this insurer's claim on chain, once.

Real bureau and insurer nodes on loopback, anvil: the bureau asks the insurer at discharge, its
publisher commits the batch, the insurer's holds worker opens the window claim and its claim
sender records it; the ceiling then counts it for every later claim.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import select

from trustshare.bureau.context import BureauContext
from trustshare.bureau.publisher import Publisher
from trustshare.crypto.eip712 import ConsentTerms
from trustshare.crypto.leaves import settlement_id
from trustshare.crypto.vocabulary import Purpose, Scope
from trustshare.insurer.claim_outbox import ClaimSender
from trustshare.insurer.context import InsurerContext
from trustshare.insurer.expiry import HoldsReport, HoldsWorker
from trustshare.storage.insurer_models import AuthorisationRow, ClaimRow, HoldStatus, PayoutRow

from ..bureau.hospital_support import (
    PATIENT_PSEUDONYM,
    beijing_bill,
    confirm,
    hospital_client,
    policy_code,
    settlement_body,
)
from ..conftest import Network
from .claims_support import bureau_url, claims_client, post_claim, register_sealing_key
from .realtime_support import PRODUCT, give_policy, post_signed, request_body

__all__ = ["bureau_url"]

ENTERPRISE_FEN = 3_755_619
"""The engine's enterprise layer of the Beijing example (docs/examples)."""
DAY = 86_400


def _consent(network: Network, purposes: Purpose) -> None:
    """The patient binds a wallet and grants the insurer ``purposes`` of summary and funds."""
    consents = network.registries(network.bureau).consents
    wallet, _ = consents.binding_of(PATIENT_PSEUDONYM)
    if int(wallet, 16) == 0:
        consents.bind_wallet(PATIENT_PSEUDONYM, network.patient.address)
    now = network.now()
    scopes = Scope.SETTLEMENT_SUMMARY | Scope.FUND_BREAKDOWN
    terms = ConsentTerms(
        PATIENT_PSEUDONYM, network.insurer.address, scopes, purposes, now, now + 30 * DAY
    )
    network.fund(network.patient)
    network.registries(network.patient).consents.grant(terms)


def _discharge(bureau_context: BureauContext, network: Network, key: str) -> Any:
    bill = beijing_bill(products=True)
    bill["products"] = [holding for holding in bill["products"] if holding["product"] == PRODUCT]
    body = settlement_body(bill, policy_codes=[policy_code(network, network.insurer, PRODUCT)])
    with hospital_client(bureau_context) as client:
        answer = confirm(client, body, key)
    assert answer.status_code == 201, answer.text
    return answer.json()


def _commit(bureau_context: BureauContext) -> None:
    publisher = Publisher(bureau_context)
    for _ in range(3):  # cut the batch, send its commitment, see its receipt
        publisher.run_once()


def _hold(context: InsurerContext) -> AuthorisationRow:
    with context.sessions() as session:
        (hold,) = session.scalars(select(AuthorisationRow))
        return hold


def _claim(context: InsurerContext) -> ClaimRow:
    with context.sessions() as session:
        (claim,) = session.scalars(select(ClaimRow))
        return claim


def _ledger(context: InsurerContext) -> list[tuple[str, int]]:
    with context.sessions() as session:
        return [(row.kind, row.amount_fen) for row in session.scalars(select(PayoutRow))]


def _ready(network: Network, context: InsurerContext, purposes: Purpose) -> None:
    register_sealing_key(network, context)
    give_policy(context)
    _consent(network, purposes)


def test_a_window_payment_is_recorded_on_chain_once_its_batch_is_committed(
    bureau_context: BureauContext,
    insurer_context: InsurerContext,
    insurer_url: str,
    bureau_url: str,
    network: Network,
) -> None:
    _ready(network, insurer_context, Purpose.DIRECT_SETTLEMENT)
    answer = _discharge(bureau_context, network, "window-1")
    settlement = bytes.fromhex(answer["settlement_id"][2:])
    worker, sender = HoldsWorker(insurer_context), ClaimSender(insurer_context)

    assert worker.run_once() == HoldsReport(opened=1, released=0)
    sender.run_once()  # the batch is not committed yet: the claim waits, nothing is paid
    claim = _claim(insurer_context)
    assert (claim.origin, claim.status, claim.refusal_code) == (
        "window",
        "pending",
        "not_yet_committed",
    )
    assert _ledger(insurer_context) == []

    _commit(bureau_context)
    _due_now(insurer_context, claim.id)  # rather than after its back-off
    sender.run_once()  # verified and queued, then recorded
    sender.run_once()

    claim = _claim(insurer_context)
    assert (claim.status, claim.amount_fen) == ("recorded", ENTERPRISE_FEN)
    assert _hold(insurer_context).status == HoldStatus.CLAIMED
    assert _ledger(insurer_context) == [("window", ENTERPRISE_FEN)]
    on_chain = network.registries().claims.claim_of(settlement, network.insurer.address)
    assert on_chain.amount_fen == ENTERPRISE_FEN
    assert worker.run_once() == HoldsReport(opened=0, released=0)  # nothing is cleared twice


def test_a_fast_claim_on_a_held_settlement_clears_the_window_payment_instead(
    bureau_context: BureauContext,
    insurer_context: InsurerContext,
    insurer_url: str,
    bureau_url: str,
    network: Network,
) -> None:
    _ready(network, insurer_context, Purpose.DIRECT_SETTLEMENT | Purpose.CLAIM)
    answer = _discharge(bureau_context, network, "window-2")
    settlement = bytes.fromhex(answer["settlement_id"][2:])
    _commit(bureau_context)
    with claims_client(insurer_context) as client:
        first = post_claim(client, settlement, "claim-on-held")
        assert first.status_code == 202, first.text
        assert (first.json()["origin"], first.json()["status"]) == ("window", "queued")
    ClaimSender(insurer_context).run_once()
    assert _ledger(insurer_context) == [("window", ENTERPRISE_FEN)]  # not paid twice
    assert HoldsWorker(insurer_context).run_once() == HoldsReport(opened=0, released=0)
    total = network.registries().claims.total_claimed_fen(settlement)
    assert total == ENTERPRISE_FEN


def test_a_hold_whose_settlement_is_never_confirmed_is_released_and_nothing_is_paid(
    insurer_client: TestClient,
    insurer_context: InsurerContext,
    bureau_url: str,
    network: Network,
) -> None:
    _ready(network, insurer_context, Purpose.DIRECT_SETTLEMENT)
    never_stored = settlement_id(network.bureau.address, 99)  # the bureau asked, then crashed
    body = request_body(network.bureau.address, settlement_id="0x" + never_stored.hex())
    assert post_signed(insurer_client, network.bureau, body).json()["authorised_fen"] > 0
    worker = HoldsWorker(insurer_context)
    assert worker.run_once() == HoldsReport(opened=1, released=0)
    ClaimSender(insurer_context).run_once()
    claim = _claim(insurer_context)
    assert (claim.status, claim.refusal_code) == ("pending", "settlement_not_confirmed")
    later = time.time() + insurer_context.settings.hold_ttl_s + 1
    insurer_context.clock = lambda: later
    assert worker.run_once() == HoldsReport(opened=0, released=1)
    claim = _claim(insurer_context)
    assert (claim.status, claim.refusal_code) == ("refused", "hold_expired")
    assert _hold(insurer_context).status == HoldStatus.RELEASED
    assert _ledger(insurer_context) == []


def _due_now(context: InsurerContext, claim_pk: int) -> None:
    with context.sessions() as session:
        claim = session.get_one(ClaimRow, claim_pk)
        claim.next_attempt_at = datetime.fromtimestamp(context.clock() - 1, UTC)
        session.commit()
