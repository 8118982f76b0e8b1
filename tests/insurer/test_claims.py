"""Fast claims against the real bureau node (uvicorn, loopback) and anvil: the paths that pay."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime, timedelta

from sqlalchemy import select, update

from trustshare.bureau.context import BureauContext
from trustshare.crypto.leaves import SettlementLeaf
from trustshare.gateway.idempotency import IN_FLIGHT_LEASE_SECONDS, request_fingerprint
from trustshare.insurer import api_claims
from trustshare.insurer.claim_outbox import ClaimSender
from trustshare.insurer.claims import CLAIMS_CLIENT
from trustshare.insurer.context import InsurerContext
from trustshare.insurer.reconcile import reconcile
from trustshare.storage.database import transaction
from trustshare.storage.idempotency import DONE, claim_key
from trustshare.storage.insurer_models import (
    ClaimOutboxEntry,
    ClaimRequestKey,
    ClaimRow,
    ClaimStatus,
    PayoutRow,
)

from ..bureau.release_support import store_settlement
from ..conftest import Network
from .claims_support import (
    bureau_url,
    claim_of,
    claim_record,
    claimable,
    claims_client,
    ledger,
    post_claim,
)
from .realtime_support import PRODUCT

__all__ = ["bureau_url", "claimable"]


def test_a_verified_claim_is_recorded_on_chain_and_paid_once(
    insurer_context: InsurerContext, network: Network, claimable: SettlementLeaf, bureau_url: str
) -> None:
    _, expected_fen, ceiling = claim_record()
    with claims_client(insurer_context) as client:
        answer = post_claim(client, claimable.settlement_id, "claim-1")
        assert answer.status_code == 202, answer.text
        body = answer.json()
        assert body["status"] == ClaimStatus.QUEUED
        assert (body["computed_fen"], body["amount_fen"]) == (expected_fen, expected_fen)
        assert body["claim_ceiling_fen"] == ceiling
        assert body["reason"] is None

        report = ClaimSender(insurer_context).run_once()
        assert report.recorded == [body["claim_id"]]
        shown = client.get(f"/v1/claims/{body['claim_id']}").json()
    assert shown["status"] == ClaimStatus.RECORDED
    insurer = network.insurer.address
    on_chain = network.registries().claims.claim_of(claimable.settlement_id, insurer)
    assert (on_chain.insurer, on_chain.amount_fen) == (insurer, expected_fen)
    (payout,) = ledger(insurer_context)
    assert (payout.kind, payout.amount_fen) == ("payout", expected_fen)
    assert payout.tx_hash == shown["tx_hash"]
    assert ClaimSender(insurer_context).run_once().recorded == []
    assert len(ledger(insurer_context)) == 1
    assert reconcile(insurer_context) == []


def test_the_same_request_twice_gets_the_first_answer(
    insurer_context: InsurerContext, claimable: SettlementLeaf, bureau_url: str
) -> None:
    with claims_client(insurer_context) as client:
        first = post_claim(client, claimable.settlement_id, "claim-2")
        ClaimSender(insurer_context).run_once()
        again = post_claim(client, claimable.settlement_id, "claim-2")
        assert (again.status_code, again.json()) == (first.status_code, first.json())
        other_body = post_claim(client, claimable.settlement_id, "claim-2", policy_number="P-x")
        assert other_body.status_code == 422
        assert other_body.json()["error"]["code"] == "idempotency_key_reused"
        other_key = post_claim(client, claimable.settlement_id, "claim-3")
        assert other_key.status_code == 200
        assert other_key.json()["claim_id"] == first.json()["claim_id"]
        assert other_key.json()["status"] == ClaimStatus.RECORDED
        unkeyed = {"settlement_id": "0x" + "11" * 32, "product": "x"}
        missing = client.post("/v1/claims", json=unkeyed)
        assert missing.status_code == 422
        assert client.get("/v1/claims/cl_unknown").status_code == 404
    assert len(ledger(insurer_context)) == 1


def test_pending_claims_go_on_chain_together_in_one_transaction(
    bureau_url: str,
    insurer_context: InsurerContext,
    network: Network,
    claimable: SettlementLeaf,
    bureau_context: BureauContext,
) -> None:
    groups, expected_fen, ceiling = claim_record()
    second = store_settlement(
        bureau_context, setl_id="S-CLAIM-2", record=groups, claim_ceiling_fen=ceiling
    )
    with claims_client(insurer_context) as client:
        for number, leaf in enumerate((claimable, second)):
            assert post_claim(client, leaf.settlement_id, f"batch-{number}").status_code == 202
    report = ClaimSender(insurer_context).run_once()
    assert len(report.recorded) == 2
    with insurer_context.sessions() as session:
        hashes = set(session.scalars(select(ClaimOutboxEntry.tx_hash)))
    assert len(hashes) == 1
    # The person's year to date counts the first claim: the second pays what the cap leaves.
    (benefit, *_) = insurer_context.rules.products[PRODUCT].benefits
    left = benefit.annual_cap_fen - expected_fen
    assert [row.amount_fen for row in ledger(insurer_context)] == [expected_fen, left]
    assert claim_of(insurer_context, second.settlement_id).status == ClaimStatus.RECORDED


def test_reconciliation_reports_a_ledger_that_disagrees_with_the_chain(
    insurer_context: InsurerContext, claimable: SettlementLeaf, bureau_url: str
) -> None:
    with claims_client(insurer_context) as client:
        post_claim(client, claimable.settlement_id, "claim-r")
    ClaimSender(insurer_context).run_once()
    assert reconcile(insurer_context) == []
    with transaction(insurer_context.sessions) as session:
        payout = session.scalars(select(PayoutRow)).one()
        recorded = payout.amount_fen
        payout.amount_fen += 1
    (difference,) = reconcile(insurer_context)
    assert difference.settlement_id == claimable.settlement_id
    assert (difference.chain_fen, difference.ledger_fen) == (recorded, recorded + 1)


def test_only_the_nodes_claims_staff_may_file_claims(insurer_context: InsurerContext) -> None:
    from fastapi.testclient import TestClient

    from trustshare.insurer.app import create_app

    app = create_app(insurer_context.settings, context=insurer_context)
    body = {"settlement_id": "0x" + "11" * 32}
    with TestClient(app) as anonymous:
        refused = anonymous.post("/v1/claims", json=body, headers={"Idempotency-Key": "k"})
        assert refused.status_code == 401
        assert refused.json()["error"]["code"] == "bad_token"
        bulk = {"claims": [{**body, "product": PRODUCT}]}
        in_bulk = anonymous.post("/v1/claims/bulk", json=bulk, headers={"Idempotency-Key": "k"})
        assert (in_bulk.status_code, in_bulk.json()["error"]["code"]) == (401, "bad_token")
    closed = insurer_context.settings.model_copy(update={"operator_token": None})
    node = dataclasses.replace(insurer_context, settings=closed)
    with TestClient(create_app(closed, context=node)) as client:
        answer = client.post("/v1/claims", json=body, headers={"Idempotency-Key": "k"})
        assert answer.status_code == 503


def test_a_key_in_flight_is_409_until_its_lease_ends_then_taken_over(
    insurer_context: InsurerContext, claimable: SettlementLeaf, bureau_url: str
) -> None:
    document = {"settlement_id": "0x" + claimable.settlement_id.hex(), "product": PRODUCT}
    body = api_claims.ClaimBody.model_validate(document).model_dump()
    fingerprint = request_fingerprint("POST", api_claims.CLAIMS_PATH, body)
    sessions, started = (
        insurer_context.sessions,
        datetime.fromtimestamp(insurer_context.clock(), UTC),
    )
    # The same request is running elsewhere: it holds the key in flight.
    assert claim_key(sessions, CLAIMS_CLIENT, "held", fingerprint, started, ClaimRequestKey)
    with claims_client(insurer_context) as client:
        running = post_claim(client, claimable.settlement_id, "held")
        assert running.status_code == 409
        assert running.json()["error"]["code"] == "request_in_flight"
        with insurer_context.sessions() as session:
            assert session.scalars(select(ClaimRow)).all() == []
        # Its holder died: once the lease is over, a repeat takes the key over and does the work.
        died = started - timedelta(seconds=IN_FLIGHT_LEASE_SECONDS + 1)
        with transaction(sessions) as session:
            session.execute(update(ClaimRequestKey).values(created_at=died))
        taken = post_claim(client, claimable.settlement_id, "held")
        assert taken.status_code == 202
        assert taken.json()["status"] == ClaimStatus.QUEUED
        again = post_claim(client, claimable.settlement_id, "held")
        assert (again.status_code, again.json()) == (202, taken.json())
    with insurer_context.sessions() as session:
        key = session.get_one(ClaimRequestKey, (CLAIMS_CLIENT, "held"))
        assert (key.status, key.response_status) == (DONE, 202)
    assert claim_of(insurer_context, claimable.settlement_id).claim_id == taken.json()["claim_id"]
