"""Fast claims that must not pay: tampered records, unproven roots, missing or revoked consent,
a ceiling taken by another insurer, a batch not final yet. Real bureau node and anvil.

A hostile bureau is played by wrapping the real fetch: it alters the real release (re-sealed to
the insurer's key, as a bureau could) before the insurer verifies it.
"""

from __future__ import annotations

import json
from typing import Any

from trustshare.bureau.context import BureauContext
from trustshare.chain.registries.claims import ClaimRequest
from trustshare.crypto.canonical_json import canonical_json
from trustshare.crypto.hashing import keccak256
from trustshare.crypto.leaves import SettlementLeaf
from trustshare.crypto.sealing import SealedRecord, open_sealed, seal
from trustshare.gateway.idempotency import request_fingerprint
from trustshare.insurer import claims
from trustshare.insurer.claim_outbox import ClaimSender
from trustshare.insurer.claims import ClaimAsk
from trustshare.insurer.claims_verify import fetch_release
from trustshare.insurer.context import InsurerContext
from trustshare.storage.insurer_models import ClaimStatus

from ..bureau.release_support import store_settlement
from ..conftest import Network
from .claims_support import (
    batch_proof,
    bureau_url,
    claim_of,
    claim_record,
    claimable,
    claims_client,
    consent_to_claims,
    ledger,
    post_claim,
    ready_insurer,
    revoke_claims_consent,
)
from .realtime_support import PRODUCT

__all__ = ["bureau_url", "claimable"]


def _submit(context: InsurerContext, leaf: SettlementLeaf, fetch: Any) -> dict[str, Any]:
    ask = ClaimAsk(leaf.settlement_id, product=PRODUCT)
    fingerprint = request_fingerprint("POST", "/v1/claims", {"id": leaf.settlement_id.hex()})
    answer = claims.submit(context, ask, key="hostile", fingerprint=fingerprint, fetch=fetch)
    return answer.body


def _nothing_paid(context: InsurerContext, network: Network, leaf: SettlementLeaf) -> None:
    ClaimSender(context).run_once()
    assert ledger(context) == []
    on_chain = network.registries().claims.claim_of(leaf.settlement_id, network.insurer.address)
    assert on_chain.amount_fen == 0


def _resealed(context: InsurerContext, answer: dict[str, Any], plaintext: bytes) -> None:
    settlement_id = bytes.fromhex(answer["record_id"][2:])
    sealed = seal(plaintext, context.keystore.current.public, settlement_id, context.address)
    answer["sealed_disclosure"] = sealed.to_json_dict()


def test_a_tampered_byte_in_a_disclosed_field_is_refused(
    insurer_context: InsurerContext, network: Network, claimable: SettlementLeaf, bureau_url: str
) -> None:
    def tampering(
        context: InsurerContext, settlement_id: bytes, *, purpose: str = "claim"
    ) -> dict[str, Any]:
        answer = fetch_release(context, settlement_id, purpose=purpose)
        sealed = SealedRecord.from_json_dict(answer["sealed_disclosure"])
        private = context.keystore.current.private
        disclosure = json.loads(open_sealed(sealed, private, settlement_id, context.address))
        (fund,) = [group for group in disclosure["groups"] if group["name"] == "fund_breakdown"]
        fund["fields"]["record"]["hifp_pay"] -= 1  # one fen less paid by the fund: more for us
        _resealed(context, answer, canonical_json(disclosure))
        return answer

    body = _submit(insurer_context, claimable, tampering)
    assert body["status"] == ClaimStatus.REFUSED
    assert body["reason"]["code"] == "commitment_mismatch"
    _nothing_paid(insurer_context, network, claimable)


def test_a_proof_that_does_not_reach_a_committed_root_is_refused(
    insurer_context: InsurerContext, network: Network, claimable: SettlementLeaf, bureau_url: str
) -> None:
    def inflating(
        context: InsurerContext, settlement_id: bytes, *, purpose: str = "claim"
    ) -> dict[str, Any]:
        answer = fetch_release(context, settlement_id, purpose=purpose)
        answer["leaf"]["claim_ceiling_fen"] += 1_000_000  # a larger ceiling than committed
        return answer

    body = _submit(insurer_context, claimable, inflating)
    assert (body["status"], body["reason"]["code"]) == (ClaimStatus.REFUSED, "proof_not_committed")
    _nothing_paid(insurer_context, network, claimable)


def test_a_root_never_committed_is_refused(
    insurer_context: InsurerContext, network: Network, claimable: SettlementLeaf, bureau_url: str
) -> None:
    def rerooting(
        context: InsurerContext, settlement_id: bytes, *, purpose: str = "claim"
    ) -> dict[str, Any]:
        answer = fetch_release(context, settlement_id, purpose=purpose)
        answer["batch"]["root"] = "0x" + keccak256(b"a root nobody committed").hex()
        return answer

    body = _submit(insurer_context, claimable, rerooting)
    assert body["reason"]["code"] == "proof_not_committed"
    _nothing_paid(insurer_context, network, claimable)


def test_a_batch_not_final_leaves_the_claim_pending_with_the_reason(
    bureau_context: BureauContext,
    insurer_context: InsurerContext,
    network: Network,
    bureau_url: str,
) -> None:
    ready_insurer(network, insurer_context)
    groups, _, ceiling = claim_record()
    leaf = store_settlement(
        bureau_context, setl_id="S-OPEN", record=groups, claim_ceiling_fen=ceiling, commit=False
    )
    with claims_client(insurer_context) as client:
        body = post_claim(client, leaf.settlement_id, "open-1").json()
    assert body["status"] == ClaimStatus.PENDING
    assert body["reason"]["code"] == "not_yet_committed"
    assert (body["attempts"], body["next_attempt_at"] is not None) == (1, True)
    _nothing_paid(insurer_context, network, leaf)


def test_without_consent_the_claim_is_refused(
    bureau_context: BureauContext,
    insurer_context: InsurerContext,
    network: Network,
    bureau_url: str,
) -> None:
    ready_insurer(network, insurer_context, consent=False)
    groups, _, ceiling = claim_record()
    leaf = store_settlement(bureau_context, record=groups, claim_ceiling_fen=ceiling)
    with claims_client(insurer_context) as client:
        body = post_claim(client, leaf.settlement_id, "no-consent").json()
    assert (body["status"], body["reason"]["code"]) == (ClaimStatus.REFUSED, "consent_no_consent")
    _nothing_paid(insurer_context, network, leaf)


def test_a_revoked_consent_is_refused_by_the_bureau(
    insurer_context: InsurerContext, network: Network, claimable: SettlementLeaf, bureau_url: str
) -> None:
    revoke_claims_consent(network)
    with claims_client(insurer_context) as client:
        body = post_claim(client, claimable.settlement_id, "revoked").json()
    assert (body["status"], body["reason"]["code"]) == (ClaimStatus.REFUSED, "consent_revoked")
    _nothing_paid(insurer_context, network, claimable)


def test_consent_revoked_between_fetch_and_record_is_refused_by_the_contract(
    insurer_context: InsurerContext, network: Network, claimable: SettlementLeaf, bureau_url: str
) -> None:
    with claims_client(insurer_context) as client:
        body = post_claim(client, claimable.settlement_id, "race").json()
    assert body["status"] == ClaimStatus.QUEUED
    revoke_claims_consent(network)
    report = ClaimSender(insurer_context).run_once()
    assert report.refused == [body["claim_id"]]
    claim = claim_of(insurer_context, claimable.settlement_id)
    assert (claim.status, claim.refusal_code) == (
        ClaimStatus.REFUSED,
        "ClaimRegistryConsentMissing",
    )
    _nothing_paid(insurer_context, network, claimable)


def _other_insurer_claims(
    bureau_context: BureauContext, network: Network, leaf: SettlementLeaf, amount_fen: int
) -> None:
    consent_to_claims(network, network.insurer_b)
    root, proof = batch_proof(bureau_context, leaf.settlement_id)
    claims_b = network.registries(network.insurer_b).claims
    claims_b.record_claim(ClaimRequest(root, leaf, proof, amount_fen))


def test_a_ceiling_taken_by_another_insurer_before_the_claim_is_refused(
    bureau_context: BureauContext,
    insurer_context: InsurerContext,
    network: Network,
    claimable: SettlementLeaf,
    bureau_url: str,
) -> None:
    _other_insurer_claims(bureau_context, network, claimable, claimable.claim_ceiling_fen)
    with claims_client(insurer_context) as client:
        body = post_claim(client, claimable.settlement_id, "taken").json()
    assert (body["status"], body["reason"]["code"]) == (ClaimStatus.REFUSED, "ceiling_taken")
    _nothing_paid(insurer_context, network, claimable)


def test_a_ceiling_taken_between_fetch_and_record_is_refused_by_the_contract(
    bureau_context: BureauContext,
    insurer_context: InsurerContext,
    network: Network,
    claimable: SettlementLeaf,
    bureau_url: str,
) -> None:
    with claims_client(insurer_context) as client:
        body = post_claim(client, claimable.settlement_id, "race-ceiling").json()
    assert body["status"] == ClaimStatus.QUEUED
    _other_insurer_claims(bureau_context, network, claimable, claimable.claim_ceiling_fen - 1)
    ClaimSender(insurer_context).run_once()
    claim = claim_of(insurer_context, claimable.settlement_id)
    assert (claim.status, claim.refusal_code) == (
        ClaimStatus.REFUSED,
        "ClaimRegistryCeilingExceeded",
    )
    _nothing_paid(insurer_context, network, claimable)
