"""Fast claims in bulk against the real bureau node and anvil: each claim as strict as alone.

One ``POST /v1/claims/bulk`` carries paid, deferred and refused claims side by side; the paid
ones go on chain together and are paid once; a tampered record, a revoked consent, a superseded
settlement, an unreachable bureau each affect only their own claims.
"""

from __future__ import annotations

import json
import time
from collections.abc import Sequence
from typing import Any

from fastapi.testclient import TestClient
from httpx import Response

from trustshare.bureau.context import BureauContext
from trustshare.crypto.canonical_json import canonical_json
from trustshare.crypto.hashing import keccak256
from trustshare.crypto.leaves import SettlementLeaf
from trustshare.crypto.sealing import SealedRecord, open_sealed, seal
from trustshare.gateway.idempotency import request_fingerprint
from trustshare.insurer import api_claims, claims_bulk
from trustshare.insurer.claim_outbox import ClaimSender
from trustshare.insurer.claims import ClaimAsk
from trustshare.insurer.context import InsurerContext
from trustshare.insurer.reconcile import reconcile
from trustshare.storage.insurer_models import ClaimStatus

from ..bureau.release_support import store_settlement
from ..conftest import Network
from .claims_support import (
    bureau_served,
    bureau_url,
    claim_record,
    claims_client,
    ledger,
    point_bureau_at,
    ready_insurer,
    revoke_claims_consent,
)
from .realtime_support import PRODUCT
from .test_claims_recovery import CLOSED_PORT_URL, _supersede

__all__ = ["bureau_url"]


def _leaves(
    bureau_context: BureauContext, *names: str, commit: bool = True
) -> list[SettlementLeaf]:
    groups, _, ceiling = claim_record()
    return [
        store_settlement(
            bureau_context, setl_id=name, record=groups, claim_ceiling_fen=ceiling, commit=commit
        )
        for name in names
    ]


def _settlements(bureau_context: BureauContext, *names: str, commit: bool = True) -> list[bytes]:
    return [leaf.settlement_id for leaf in _leaves(bureau_context, *names, commit=commit)]


def _bulk(client: TestClient, settlement_ids: Sequence[bytes], key: str) -> Response:
    document = {
        "claims": [
            {"settlement_id": "0x" + sid.hex(), "product": PRODUCT} for sid in settlement_ids
        ]
    }
    response: Response = client.post(
        api_claims.BULK_PATH, json=document, headers={"Idempotency-Key": key}
    )
    return response


def _by_status(answer: Response) -> list[tuple[str, str | None]]:
    assert answer.status_code == 200, answer.text
    return [
        (claim["status"], claim["reason"]["code"] if claim["reason"] else None)
        for claim in answer.json()["claims"]
    ]


def test_a_bulk_pays_the_good_claims_once_and_says_why_of_the_others(
    bureau_context: BureauContext,
    insurer_context: InsurerContext,
    network: Network,
    bureau_url: str,
) -> None:
    ready_insurer(network, insurer_context)
    paid = _settlements(bureau_context, "S-B1", "S-B2")
    (open_batch,) = _settlements(bureau_context, "S-B3", commit=False)
    unknown = bytes.fromhex(bureau_context.address[2:]) + keccak256(b"no such settlement")[:12]
    with claims_client(insurer_context) as client:
        answer = _bulk(client, [*paid, open_batch, unknown], "bulk-1")
        assert _by_status(answer) == [
            (ClaimStatus.QUEUED, None),
            (ClaimStatus.QUEUED, None),
            (ClaimStatus.PENDING, "not_yet_committed"),
            (ClaimStatus.REFUSED, "record_not_found"),
        ]
        report = ClaimSender(insurer_context).run_once()
        claims = answer.json()["claims"]
        assert sorted(report.recorded) == sorted(claim["claim_id"] for claim in claims[:2])
        again = _bulk(client, [*paid, open_batch, unknown], "bulk-1")
        assert again.json() == answer.json()
        reused = _bulk(client, paid, "bulk-1")
        assert reused.status_code == 422
        assert reused.json()["error"]["code"] == "idempotency_key_reused"
        later = _bulk(client, paid, "bulk-2")  # claimed already: the same claims, untouched
        assert [c["claim_id"] for c in later.json()["claims"]] == [
            c["claim_id"] for c in claims[:2]
        ]
        assert {c["status"] for c in later.json()["claims"]} == {ClaimStatus.RECORDED}
    payouts = ledger(insurer_context)
    assert len(payouts) == 2
    assert len({payout.tx_hash for payout in payouts}) == 1  # one recordClaims for both
    claims_on_chain = network.registries().claims
    for settlement_id, claim in zip(paid, claims[:2], strict=True):
        on_chain = claims_on_chain.claim_of(settlement_id, network.insurer.address)
        assert on_chain.amount_fen == claim["amount_fen"] > 0
    # One person, two claims in one bulk: the second sees the first, exactly as two requests.
    _, expected_fen, _ = claim_record()
    (benefit, *_) = insurer_context.rules.products[PRODUCT].benefits
    left = benefit.annual_cap_fen - expected_fen
    assert [claim["amount_fen"] for claim in claims[:2]] == [expected_fen, left]
    assert reconcile(insurer_context) == []


def test_bad_bulk_bodies_are_refused_naming_the_problem(
    insurer_context: InsurerContext, bureau_url: str
) -> None:
    sid = keccak256(b"one settlement")
    with claims_client(insurer_context) as client:
        twice = _bulk(client, [sid, sid], "bad-1")
        assert twice.status_code == 422
        assert "claimed twice" in twice.text
        too_many = _bulk(
            client, [keccak256(b"%d" % i) for i in range(claims_bulk.MAX_BULK + 1)], "bad-2"
        )
        assert too_many.status_code == 422
        empty = client.post(
            api_claims.BULK_PATH, json={"claims": []}, headers={"Idempotency-Key": "e"}
        )
        assert empty.status_code == 422
        unkeyed = client.post(
            api_claims.BULK_PATH,
            json={"claims": [{"settlement_id": "0x" + sid.hex(), "product": PRODUCT}]},
        )
        assert unkeyed.status_code == 422
        assert unkeyed.json()["error"]["code"] == "missing_idempotency_key"
    assert ledger(insurer_context) == []


def test_revoked_consent_and_supersession_refuse_only_their_claims(
    bureau_context: BureauContext,
    insurer_context: InsurerContext,
    network: Network,
    bureau_url: str,
) -> None:
    ready_insurer(network, insurer_context)
    old, kept = _leaves(bureau_context, "S-C1", "S-C2")
    _supersede(bureau_context, network, old)
    with claims_client(insurer_context) as client:
        assert _by_status(_bulk(client, [old.settlement_id, kept.settlement_id], "mixed-1")) == [
            (ClaimStatus.REFUSED, "settlement_superseded"),
            (ClaimStatus.QUEUED, None),
        ]
        assert len(ClaimSender(insurer_context).run_once().recorded) == 1
        revoke_claims_consent(network)
        (third,) = _settlements(bureau_context, "S-C3")
        assert _by_status(_bulk(client, [third], "mixed-2")) == [
            (ClaimStatus.REFUSED, "consent_revoked")
        ]
    assert ClaimSender(insurer_context).run_once().recorded == []
    assert [payout.kind for payout in ledger(insurer_context)] == ["payout"]


def test_a_tampered_record_refuses_its_claim_and_not_its_neighbours(
    bureau_context: BureauContext,
    insurer_context: InsurerContext,
    network: Network,
    bureau_url: str,
) -> None:
    ready_insurer(network, insurer_context)
    honest, tampered = _settlements(bureau_context, "S-T1", "S-T2")

    def tampering(
        context: InsurerContext,
        bureau: str,
        settlement_ids: Sequence[bytes],
        *,
        purpose: str = "claim",
    ) -> dict[bytes, claims_bulk.Released]:
        released = claims_bulk.fetch_releases(context, bureau, settlement_ids, purpose=purpose)
        answer = released[tampered]
        assert isinstance(answer, dict)
        sealed = SealedRecord.from_json_dict(answer["sealed_disclosure"])
        private = context.keystore.current.private
        disclosure = json.loads(open_sealed(sealed, private, tampered, context.address))
        (fund,) = [group for group in disclosure["groups"] if group["name"] == "fund_breakdown"]
        fund["fields"]["record"]["hifp_pay"] -= 1
        public = context.keystore.current.public
        resealed = seal(canonical_json(disclosure), public, tampered, context.address)
        answer["sealed_disclosure"] = resealed.to_json_dict()
        return released

    answer = _submit(insurer_context, [honest, tampered], tampering)
    assert [(c["status"], c["reason"] and c["reason"]["code"]) for c in answer] == [
        (ClaimStatus.QUEUED, None),
        (ClaimStatus.REFUSED, "commitment_mismatch"),
    ]
    ClaimSender(insurer_context).run_once()
    assert len(ledger(insurer_context)) == 1


def test_an_unreachable_bureau_leaves_every_claim_pending_and_a_retry_pays(
    bureau_context: BureauContext, insurer_context: InsurerContext, network: Network
) -> None:
    ready_insurer(network, insurer_context)
    settlements = _settlements(bureau_context, "S-U1", "S-U2")
    point_bureau_at(network, CLOSED_PORT_URL)
    answer = _submit(insurer_context, settlements, claims_bulk.fetch_releases)
    assert {(c["status"], c["reason"]["code"]) for c in answer} == {
        (ClaimStatus.PENDING, "bureau_unreachable")
    }
    with bureau_served(bureau_context, network):
        insurer_context.clock = lambda: time.time() + 10  # the back-off has passed
        sender = ClaimSender(insurer_context)
        assert sender.run_once().retried == 2
    assert len(ledger(insurer_context)) == 2


def _submit(
    context: InsurerContext, settlement_ids: Sequence[bytes], fetch_many: claims_bulk.FetchMany
) -> list[dict[str, Any]]:
    asks = [ClaimAsk(settlement_id, product=PRODUCT) for settlement_id in settlement_ids]
    fingerprint = request_fingerprint("POST", "/v1/claims/bulk", {"n": len(asks)})
    answer = claims_bulk.submit_bulk(
        context, asks, key="bulk-direct", fingerprint=fingerprint, fetch_many=fetch_many
    )
    claims: list[dict[str, Any]] = answer.body["claims"]
    return claims
