"""Fast claims (快赔): open a claim on a settlement, verify it, compute it, queue it on chain.

One claim per settlement (unique in the database). A claim is processed when it is asked for
and, while it waits, by the claim worker (:mod:`trustshare.insurer.claim_outbox`):

1. fetch the record from the bureau and verify it against the chain (:mod:`.claims_verify`);
2. check the policy (by number, or this person's active policy of the product) and, on chain,
   that the patient's consent permits CLAIM of the SETTLEMENT_SUMMARY;
3. compute the payout with the engine's commercial layer (:mod:`.payouts`) and cap it by the
   leaf's claim ceiling less every insurer's active claims on chain;
4. in ONE transaction: the claim becomes ``queued`` and its ``record_claim`` enters the outbox
   (and, for a request, the answer is stored under its ``Idempotency-Key``).

A bureau that cannot be reached, or a batch not final yet, leaves the claim ``pending`` with
the reason and ``next_attempt_at`` (back-off ``2 s × 2^attempts``, at most 300 s). Any other
failed check refuses the claim with its code; nothing is ever paid for a refused claim.
"""

from __future__ import annotations

import json
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Final

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from trustshare.crypto.vocabulary import Purpose, Scope
from trustshare.gateway.idempotency import ClaimedKey, StoredResponse, complete_held, run_once
from trustshare.insurer import clearing
from trustshare.insurer.claims_decide import BulkContext, decide_fast
from trustshare.insurer.claims_verify import (
    ChainFacts,
    ClaimRefused,
    Fetch,
    RetryLater,
    VerifiedRecord,
    bureau_of,
    fetch_release,
    verify_release,
)
from trustshare.insurer.context import InsurerContext
from trustshare.storage.database import transaction
from trustshare.storage.insurer_models import (
    AuthorisationRow,
    ClaimOrigin,
    ClaimOutboxEntry,
    ClaimRequestKey,
    ClaimRow,
    ClaimStatus,
)

BACKOFF_BASE_S: Final = 2.0
BACKOFF_MAX_S: Final = 300.0
RECEIVED_LEASE_S: Final = 60.0
"""A claim left ``received`` by a request that died is picked up by the worker after this."""
WAITING: Final = (ClaimStatus.RECEIVED, ClaimStatus.PENDING)
PURPOSE_OF_ORIGIN: Final = {ClaimOrigin.FAST: "claim", ClaimOrigin.WINDOW: "direct_settlement"}
"""The release purpose a claim asks the bureau under."""
CLAIMS_CLIENT: Final = "claims"
"""Whose ``Idempotency-Key`` values the claims API's are: its one caller, the claims staff."""


@dataclass(frozen=True)
class ClaimAsk:
    """A request for a fast claim."""

    settlement_id: bytes
    product: str | None = None
    policy_number: str | None = None


def claim_view(claim: ClaimRow) -> dict[str, Any]:
    """A claim as ``GET /v1/claims/{id}`` shows it."""
    refusal = None
    if claim.refusal_code:
        refusal = {"code": claim.refusal_code, "reason": claim.refusal_reason}
    return {
        "claim_id": claim.claim_id,
        "settlement_id": "0x" + claim.settlement_id.hex(),
        "bureau": claim.bureau,
        "status": claim.status,
        "origin": claim.origin,
        "product": claim.product or None,
        "policy_number": claim.policy_number or None,
        "computed_fen": claim.computed_fen,
        "amount_fen": claim.amount_fen,
        "claim_ceiling_fen": claim.claim_ceiling_fen,
        "reason": refusal,
        "attempts": claim.attempts,
        "next_attempt_at": claim.next_attempt_at.isoformat() if claim.next_attempt_at else None,
        "tx_hash": claim.tx_hash,
    }


def claim_by_id(session: Session, claim_id: str) -> ClaimRow | None:
    """The claim with this node's id ``claim_id``."""
    return session.scalar(select(ClaimRow).where(ClaimRow.claim_id == claim_id))


def claim_by_settlement(session: Session, settlement_id: bytes) -> ClaimRow | None:
    """The claim of this insurer on ``settlement_id``."""
    return session.scalar(select(ClaimRow).where(ClaimRow.settlement_id == settlement_id))


def submit(
    context: InsurerContext,
    ask: ClaimAsk,
    *,
    key: str,
    fingerprint: str,
    fetch: Fetch = fetch_release,
) -> StoredResponse:
    """``POST /v1/claims``: open (or find) the claim and process it once, under ``key``.

    A new claim's answer is stored with the change that queues, refuses or defers it.
    """

    def perform(claimed: ClaimedKey) -> StoredResponse:
        claim_pk, created = open_claim(context, ask, now=claimed.moment)
        if created:
            process(context, claim_pk, fetch=fetch, key=key)
        status_code = 202 if created else 200
        with transaction(context.sessions) as session:
            body = claim_view(session.get_one(ClaimRow, claim_pk))
            claimed.complete(session, status_code, body)  # no-op if stored already
        return StoredResponse(status_code, body)

    return run_once(
        context.sessions,
        CLAIMS_CLIENT,
        key,
        fingerprint,
        perform,
        now=context.clock(),
        records=ClaimRequestKey,
    )


def _new_claim(
    session: Session, ask: ClaimAsk, now: datetime, hold: AuthorisationRow | None
) -> ClaimRow:
    claim = ClaimRow(
        claim_id="cl_" + secrets.token_hex(16),
        settlement_id=ask.settlement_id,
        bureau=bureau_of(ask.settlement_id),
        product=ask.product or "",
        policy_number=ask.policy_number or "",
        status=ClaimStatus.RECEIVED,
        next_attempt_at=now + timedelta(seconds=RECEIVED_LEASE_S),
        created_at=now,
        updated_at=now,
    )
    clearing.clear_hold(claim, hold)  # a held settlement: clear the window payment
    session.add(claim)
    return claim


def open_claims(
    context: InsurerContext, asks: Sequence[ClaimAsk], *, now: datetime
) -> list[tuple[int, bool]]:
    """:func:`open_claim` for each ask, in one transaction (one by one if some raced)."""
    ids = [ask.settlement_id for ask in asks]
    with context.sessions() as session:
        known = {
            bytes(row.settlement_id): row.id
            for row in session.scalars(select(ClaimRow).where(ClaimRow.settlement_id.in_(ids)))
        }
        holds = clearing.held_authorisations(session, ids)
        created: dict[bytes, ClaimRow] = {}
        for ask in asks:
            if ask.settlement_id not in known and ask.settlement_id not in created:
                hold = holds.get(ask.settlement_id)
                created[ask.settlement_id] = _new_claim(session, ask, now, hold)
        try:
            session.commit()
        except IntegrityError:  # another request opened one of them meanwhile
            session.rollback()
            return [open_claim(context, ask, now=now) for ask in asks]
        opened = {settlement_id: (claim.id, True) for settlement_id, claim in created.items()}
        opened |= {settlement_id: (pk, False) for settlement_id, pk in known.items()}
    return [opened[ask.settlement_id] for ask in asks]


def open_claim(context: InsurerContext, ask: ClaimAsk, *, now: datetime) -> tuple[int, bool]:
    """The settlement's claim (its row id) and whether it was created now."""
    with context.sessions() as session:
        known = claim_by_settlement(session, ask.settlement_id)
        if known is not None:
            return known.id, False
        hold = clearing.held_authorisation(session, ask.settlement_id)
        claim = _new_claim(session, ask, now, hold)
        try:
            session.commit()
        except IntegrityError:  # the same settlement claimed concurrently: that claim wins
            session.rollback()
            winner = claim_by_settlement(session, ask.settlement_id)
            if winner is None:  # pragma: no cover - the unique key guarantees a row
                raise
            return winner.id, False
        return claim.id, True


def process(
    context: InsurerContext, claim_pk: int, *, fetch: Fetch = fetch_release, key: str | None = None
) -> None:
    """Try a waiting claim once: queue it, refuse it, or leave it pending with back-off."""
    with context.sessions() as session:
        claim = session.get_one(ClaimRow, claim_pk)
        if claim.status not in WAITING:
            return
        settlement_id, origin = claim.settlement_id, claim.origin
    try:
        answer = fetch(context, settlement_id, purpose=PURPOSE_OF_ORIGIN[origin])
        verified = verify_release(context, settlement_id, answer)
        _queue(context, claim_pk, verified, _chain_facts(context, verified, origin), key)
    except RetryLater as wait:
        _wait(context, claim_pk, wait, key)
    except ClaimRefused as refused:
        not_yet = clearing.waiting_reason(origin, refused)
        if not_yet is not None:
            _wait(context, claim_pk, not_yet, key)
        else:
            _refuse(context, claim_pk, refused, key)


def _locked_waiting(session: Session, claim_pk: int) -> ClaimRow | None:
    claim = session.scalar(select(ClaimRow).where(ClaimRow.id == claim_pk).with_for_update())
    return claim if claim is not None and claim.status in WAITING else None


def _store_answer(session: Session, claim: ClaimRow, key: str | None) -> None:
    if key is not None:
        session.flush()
        complete_held(session, CLAIMS_CLIENT, key, 202, claim_view(claim), ClaimRequestKey)


def _wait(context: InsurerContext, claim_pk: int, wait: RetryLater, key: str | None) -> None:
    with transaction(context.sessions) as session:
        claim = _locked_waiting(session, claim_pk)
        if claim is not None:
            wait_in(session, context, claim, wait, key=key)


def _refuse(context: InsurerContext, claim_pk: int, refused: ClaimRefused, key: str | None) -> None:
    with transaction(context.sessions) as session:
        claim = _locked_waiting(session, claim_pk)
        if claim is not None:
            refuse_in(session, context, claim, refused, key=key)


def lock_waiting(session: Session, claim_pks: Sequence[int]) -> dict[int, ClaimRow]:
    """Lock the claims of ``claim_pks`` that still wait (one query); by row id."""
    query = (
        select(ClaimRow)
        .where(ClaimRow.id.in_(claim_pks), ClaimRow.status.in_(WAITING))
        .with_for_update()
    )
    return {claim.id: claim for claim in session.scalars(query)}


def wait_in(
    session: Session,
    context: InsurerContext,
    claim: ClaimRow,
    wait: RetryLater,
    *,
    key: str | None = None,
) -> None:
    """In the caller's transaction: leave a waiting, locked claim ``pending`` with back-off."""
    now = datetime.fromtimestamp(context.clock(), UTC)
    delay = min(BACKOFF_BASE_S * 2**claim.attempts, BACKOFF_MAX_S)
    claim.status = ClaimStatus.PENDING
    claim.refusal_code, claim.refusal_reason = wait.code, wait.reason[:500]
    claim.attempts += 1
    claim.next_attempt_at = now + timedelta(seconds=delay)
    claim.updated_at = now
    _store_answer(session, claim, key)


def refuse_in(
    session: Session,
    context: InsurerContext,
    claim: ClaimRow,
    refused: ClaimRefused,
    *,
    key: str | None = None,
) -> None:
    """In the caller's transaction: refuse a waiting, locked claim with ``refused``'s code."""
    now = datetime.fromtimestamp(context.clock(), UTC)
    claim.status = ClaimStatus.REFUSED
    claim.refusal_code, claim.refusal_reason = refused.code, refused.reason[:500]
    claim.attempts += 1
    claim.next_attempt_at = None
    claim.updated_at = now
    clearing.settle_hold(session, claim, recorded=False)
    _store_answer(session, claim, key)


def _chain_facts(context: InsurerContext, verified: VerifiedRecord, origin: str) -> ChainFacts:
    """Read before the write transaction, so that no chain call holds the database's lock."""
    leaf = verified.leaf
    if origin == ClaimOrigin.WINDOW:
        permission = clearing.window_permission(context, leaf.pseudonym)
    else:
        permission = context.registries.consents.permission_of(
            leaf.pseudonym, context.address, Scope.SETTLEMENT_SUMMARY, Purpose.CLAIM
        )
    claimed = context.registries.claims.total_claimed_fen(leaf.settlement_id)
    return ChainFacts(permission, claimed)


def _queue(
    context: InsurerContext,
    claim_pk: int,
    verified: VerifiedRecord,
    facts: ChainFacts,
    key: str | None,
) -> None:
    with transaction(context.sessions) as session:
        claim = _locked_waiting(session, claim_pk)
        if claim is not None:
            queue_in(session, context, claim, verified, facts, key=key)


def queue_in(
    session: Session,
    context: InsurerContext,
    claim: ClaimRow,
    verified: VerifiedRecord,
    facts: ChainFacts,
    *,
    key: str | None = None,
    bulk: BulkContext | None = None,
) -> None:
    """In the caller's transaction: decide a verified, waiting, locked claim; queue or refuse it.

    ``facts`` must have been read from the chain before the transaction began.
    """
    now = datetime.fromtimestamp(context.clock(), UTC)
    leaf = verified.leaf
    claim.pseudonym = leaf.pseudonym
    claim.claim_ceiling_fen = leaf.claim_ceiling_fen
    claim.batch_root, claim.record_commitment = verified.root, leaf.record_commitment
    claim.proof_json = json.dumps(["0x" + node.hex() for node in verified.proof])
    claim.attempts += 1
    claim.next_attempt_at = None
    claim.updated_at = now
    try:
        if claim.origin == ClaimOrigin.WINDOW:
            decision = clearing.decide_window(context, session, claim, verified, facts)
        else:
            decision = decide_fast(context, session, claim, verified, facts, now, bulk)
    except ClaimRefused as refused:
        claim.status = ClaimStatus.REFUSED
        claim.refusal_code, claim.refusal_reason = refused.code, refused.reason[:500]
        clearing.settle_hold(session, claim, recorded=False)
        _store_answer(session, claim, key)
        return
    claim.product, claim.policy_number = decision.product, decision.policy_number
    claim.computed_fen, claim.amount_fen = decision.computed_fen, decision.amount_fen
    claim.benefits_json = json.dumps(decision.benefits)
    claim.status = ClaimStatus.QUEUED
    claim.refusal_code, claim.refusal_reason = "", ""
    session.add(ClaimOutboxEntry(kind="record_claim", claim_id=claim.id, created_at=now))
    _store_answer(session, claim, key)
