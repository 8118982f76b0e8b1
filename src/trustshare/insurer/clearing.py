"""Clearing: the layer paid at the hospital window becomes this insurer's claim on chain.

At discharge the node *holds* its layer (:mod:`.realtime`) and the hospital deducts it from
what the patient pays. Like a card payment, clearing follows: once the bureau has committed the
settlement, the hold turns into a **window claim** — a claim of origin ``window`` for exactly
the held amount, recorded on chain through the same outbox as fast claims, so that the chain's
ceiling counts it (no other insurer, and no later fast claim, can be paid for the same money)
and the payouts ledger shows a ``window`` row (settled with the bureau, not paid to the patient).

- :func:`open_window_claims` opens one for every hold still held (the claim worker then fetches
  the record under the patient's DIRECT_SETTLEMENT consent and verifies it like any claim);
  a ``POST /v1/claims`` on a held settlement opens the same window claim
  (:func:`clear_hold`).
- A record the bureau does not have yet (not confirmed) or whose batch is not final leaves the
  claim pending; when the hold expires unconfirmed, :func:`release_expired` releases the hold
  and refuses its waiting claim (``hold_expired``).
- :func:`decide_window` pays the held amount only if the verified record shows this insurer's
  layer, under the same authorisation id, paid at the window; otherwise the claim is refused
  (``not_paid_at_window``) and the hold released.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from trustshare.chain.registries.consent import PermissionStatus
from trustshare.crypto.vocabulary import Purpose, Scope
from trustshare.insurer import payouts
from trustshare.insurer.claims_verify import (
    ChainFacts,
    ClaimRefused,
    RetryLater,
    VerifiedRecord,
    bureau_of,
)
from trustshare.insurer.context import InsurerContext
from trustshare.insurer.realtime import year_bounds
from trustshare.insurer.records import authorisation_by_id
from trustshare.storage.database import transaction
from trustshare.storage.insurer_models import (
    AuthorisationRow,
    ClaimOrigin,
    ClaimRow,
    ClaimStatus,
    HoldStatus,
)

HOLD_EXPIRED = "hold_expired"
WAITING = (ClaimStatus.RECEIVED, ClaimStatus.PENDING)


def held_authorisation(session: Session, settlement_id: bytes) -> AuthorisationRow | None:
    """The hold this insurer still holds on ``settlement_id``, if any."""
    return session.scalar(
        select(AuthorisationRow).where(
            AuthorisationRow.settlement_id == settlement_id,
            AuthorisationRow.status == HoldStatus.HELD,
        )
    )


def held_authorisations(
    session: Session, settlement_ids: Sequence[bytes]
) -> dict[bytes, AuthorisationRow]:
    """:func:`held_authorisation` of each settlement that has one (one query)."""
    holds = session.scalars(
        select(AuthorisationRow).where(
            AuthorisationRow.settlement_id.in_(settlement_ids),
            AuthorisationRow.status == HoldStatus.HELD,
        )
    )
    return {bytes(hold.settlement_id): hold for hold in holds}


def clear_hold(claim: ClaimRow, hold: AuthorisationRow | None) -> None:
    """Make a new ``claim`` the window claim of ``hold`` (its settlement's held hold), if any."""
    if hold is not None:
        claim.origin, claim.authorisation_id = ClaimOrigin.WINDOW, hold.authorisation_id
        claim.product, claim.policy_number = hold.product, hold.policy_number


def open_window_claims(context: InsurerContext, *, now: datetime, limit: int = 500) -> int:
    """Open a window claim (due now) for every held hold that has no claim yet; how many."""
    with context.sessions() as session:
        holds = list(
            session.scalars(
                select(AuthorisationRow)
                .outerjoin(ClaimRow, ClaimRow.settlement_id == AuthorisationRow.settlement_id)
                .where(AuthorisationRow.status == HoldStatus.HELD, ClaimRow.id.is_(None))
                .order_by(AuthorisationRow.id)
                .limit(limit)
            )
        )
        session.add_all([_window_claim(hold, now) for hold in holds])
        try:
            session.commit()
            return len(holds)
        except IntegrityError:  # a claim on one of them was opened meanwhile: one by one
            session.rollback()
        opened = 0
        for hold in holds:
            session.add(_window_claim(hold, now))
            try:
                session.commit()
                opened += 1
            except IntegrityError:
                session.rollback()
        return opened


def _window_claim(hold: AuthorisationRow, now: datetime) -> ClaimRow:
    return ClaimRow(
        claim_id="cl_" + hold.authorisation_id.removeprefix("ra_"),
        settlement_id=hold.settlement_id,
        bureau=bureau_of(hold.settlement_id),
        product=hold.product,
        policy_number=hold.policy_number,
        origin=ClaimOrigin.WINDOW,
        authorisation_id=hold.authorisation_id,
        status=ClaimStatus.RECEIVED,
        next_attempt_at=now,
        created_at=now,
        updated_at=now,
    )


def decide_window(
    context: InsurerContext,
    session: Session,
    claim: ClaimRow,
    verified: VerifiedRecord,
    facts: ChainFacts,
) -> payouts.Decision:
    """What a window claim records: the held amount, as the verified record shows it paid."""
    hold = authorisation_by_id(session, claim.authorisation_id or "")
    if hold is None or hold.status != HoldStatus.HELD:
        raise ClaimRefused("hold_not_held", "the real-time hold was released or already cleared")
    if verified.leaf.pseudonym != hold.pseudonym:
        raise ClaimRefused("pseudonym_mismatch", "the record is another person's")
    paid = _window_payment(verified.groups, context.address, hold.authorisation_id)
    if paid <= 0:
        raise ClaimRefused(
            "not_paid_at_window", "the settlement record shows no payment of this layer"
        )
    leaf = verified.leaf
    if facts.permission is not PermissionStatus.PERMITTED:
        raise ClaimRefused(
            f"consent_{facts.permission.name.lower()}",
            "the patient's consent does not permit clearing",
        )
    amount = min(paid, hold.authorised_fen)
    left = leaf.claim_ceiling_fen - facts.claimed_fen
    if left < amount:
        raise ClaimRefused("ceiling_taken", "other insurers' claims took the claim ceiling")
    since, until = year_bounds(hold.created_at)
    ytd = payouts.year_to_date(session, leaf.pseudonym, hold.product, since=since, until=until)
    try:  # the benefit lines feed the person's accumulators for later fast claims
        benefits = payouts.compute_payout(context.rules, hold.product, verified.groups, ytd)
    except payouts.RecordIncomplete:
        benefits = payouts.Computed(0, [])
    return payouts.Decision(
        hold.product, hold.policy_number, hold.computed_fen, amount, benefits.benefits
    )


def window_permission(context: InsurerContext, pseudonym: bytes) -> PermissionStatus:
    """The contract's rule: CLAIM permits, and so does DIRECT_SETTLEMENT (the window)."""
    (status,) = window_permissions(context, [pseudonym])
    return status


def window_permissions(
    context: InsurerContext, pseudonyms: Sequence[bytes]
) -> list[PermissionStatus]:
    """:func:`window_permission` of each pseudonym (at most two JSON-RPC batches)."""
    consents = context.registries.consents
    summary = int(Scope.SETTLEMENT_SUMMARY)
    statuses = consents.permissions_of(
        [(pseudonym, context.address, summary, int(Purpose.CLAIM)) for pseudonym in pseudonyms]
    )
    not_claim = [
        i for i, status in enumerate(statuses) if status is PermissionStatus.PURPOSE_NOT_COVERED
    ]
    windows = consents.permissions_of(
        [
            (pseudonyms[i], context.address, summary, int(Purpose.DIRECT_SETTLEMENT))
            for i in not_claim
        ]
    )
    for i, window in zip(not_claim, windows, strict=True):
        if window is PermissionStatus.PERMITTED:
            statuses[i] = window
    return statuses


def _window_payment(
    groups: Mapping[str, Mapping[str, Any]], insurer: str, authorisation_id: str
) -> int:
    """What the record says this insurer's layer (this authorisation) paid at the window."""
    fund = groups.get("fund_breakdown", {})
    for payer in fund.get("payers", []) if isinstance(fund, Mapping) else []:
        if (
            isinstance(payer, Mapping)
            and str(payer.get("insurer", "")).lower() == insurer.lower()
            and payer.get("authorisation_id") == authorisation_id
        ):
            amount = payer.get("authorised_fen")
            return amount if isinstance(amount, int) and not isinstance(amount, bool) else 0
    return 0


def settle_hold(session: Session, claim: ClaimRow, *, recorded: bool) -> None:
    """The window claim's hold is ``claimed`` (recorded on chain) or ``released`` (refused)."""
    if claim.origin != ClaimOrigin.WINDOW or claim.authorisation_id is None:
        return
    hold = authorisation_by_id(session, claim.authorisation_id)
    if hold is not None and hold.status == HoldStatus.HELD:
        hold.status = HoldStatus.CLAIMED if recorded else HoldStatus.RELEASED


def release_expired(context: InsurerContext, *, now: datetime) -> int:
    """Release held holds past expiry whose window claim is not on its way; how many.

    A waiting window claim of such a hold is refused (``hold_expired``); a queued one (its
    chain write is in flight) keeps the hold until the chain answers.
    """
    with transaction(context.sessions) as session:
        expired = list(
            session.scalars(
                select(AuthorisationRow)
                .where(
                    AuthorisationRow.status == HoldStatus.HELD,
                    AuthorisationRow.expires_at <= now,
                )
                .with_for_update()
            )
        )
        released = 0
        for hold in expired:
            claim = session.scalar(
                select(ClaimRow).where(ClaimRow.settlement_id == hold.settlement_id)
            )
            if claim is not None and claim.status not in WAITING:
                continue
            hold.status = HoldStatus.RELEASED
            released += 1
            if claim is not None:
                claim.status, claim.next_attempt_at = ClaimStatus.REFUSED, None
                claim.refusal_code = HOLD_EXPIRED
                claim.refusal_reason = "the hold expired before its settlement was cleared"
                claim.updated_at = now
        return released


def waiting_reason(origin: str, refused: ClaimRefused) -> RetryLater | None:
    """For a window claim, a bureau without the record yet means *not confirmed yet*: wait."""
    if origin == ClaimOrigin.WINDOW and refused.code == "record_not_found":
        return RetryLater("settlement_not_confirmed", "the bureau has no such record yet")
    return None
