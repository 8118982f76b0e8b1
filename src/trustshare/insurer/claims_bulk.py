"""Fast claims in bulk: many settlements in one request, one bureau round trip, batched reads.

A claim costs the same checks in bulk as alone (:mod:`.claims`); only the round trips are
shared. For the fast claims of one request (``POST /v1/claims/bulk``) or of one retry round:

1. each bureau is asked once per :data:`MAX_BULK` records, with one signed
   ``POST /v1/releases/bulk`` (the bureau checks each record's consent on chain, logs each
   release, and answers each record as the single endpoint would);
2. each released record is verified exactly as alone (:func:`.claims_verify.check_release`:
   sealed fields, commitment, proof against the committed batch);
3. what the chain says now — supersession, the patient's CLAIM consent, every insurer's claimed
   total — is read for all of them in one JSON-RPC batch per fact, before any transaction;
4. ONE database transaction decides every claim (policy, caps, engine) and queues, refuses or
   defers each, as :func:`.claims.queue_in` / :func:`.claims.refuse_in` / :func:`.claims.wait_in`.

Claims clearing a window hold (``origin = window``) go the same way, asked under the patient's
DIRECT_SETTLEMENT consent and decided by :func:`.clearing.decide_window`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Final, Protocol

from sqlalchemy import select
from sqlalchemy.orm import Session

from trustshare.crypto.vocabulary import Purpose, Scope
from trustshare.gateway.idempotency import ClaimedKey, StoredResponse, run_once
from trustshare.insurer import claims, clearing
from trustshare.insurer.claims import ClaimAsk
from trustshare.insurer.claims_decide import BulkContext, locked_policies
from trustshare.insurer.claims_verify import (
    CLAIM_GROUPS,
    ChainFacts,
    ClaimRefused,
    RetryLater,
    VerifiedRecord,
    bureau_of,
    check_release,
    post_signed,
    refusal_of,
    superseded,
)
from trustshare.insurer.context import InsurerContext
from trustshare.insurer.realtime import year_bounds
from trustshare.insurer.year_book import YearBook
from trustshare.storage.database import transaction
from trustshare.storage.insurer_models import ClaimOrigin, ClaimRequestKey, ClaimRow

BULK_RELEASE_PATH: Final = "/v1/releases/bulk"
MAX_BULK: Final = 200
"""Records per bulk release, and claims per bulk request (the bureau's limit too)."""
BULK_TIMEOUT_S: Final = 30.0

Released = dict[str, Any] | ClaimRefused
"""A record's release (the single endpoint's JSON), or what its refusal means for the claim."""


class FetchMany(Protocol):
    """How a bulk asks one bureau for many records (:func:`fetch_releases`; tests may wrap it)."""

    def __call__(
        self,
        context: InsurerContext,
        bureau: str,
        settlement_ids: Sequence[bytes],
        *,
        purpose: str = "claim",
    ) -> dict[bytes, Released]:
        """Each settlement's release, or its refusal."""
        ...


def fetch_releases(
    context: InsurerContext,
    bureau: str,
    settlement_ids: Sequence[bytes],
    *,
    purpose: str = "claim",
) -> dict[bytes, Released]:
    """Ask ``bureau`` for up to :data:`MAX_BULK` settlement records under the patient's consent.

    ``purpose``: ``claim`` for fast claims, ``direct_settlement`` for clearing window payments.

    The whole request failing (unreachable, 5xx, a refusal of the request itself) gives every
    record the same outcome: :class:`RetryLater`, or the refusal.
    """
    if len(settlement_ids) > MAX_BULK:
        raise ValueError(f"at most {MAX_BULK} records per bulk release")
    try:
        items = _bulk_items(context, bureau, settlement_ids, purpose)
    except ClaimRefused as everyone:
        return dict.fromkeys(settlement_ids, everyone)
    outcomes: dict[bytes, Released] = {}
    for settlement_id, item in zip(settlement_ids, items, strict=True):
        status = item.get("status")
        release = item.get("release")
        if status == 200 and isinstance(release, dict):
            outcomes[settlement_id] = release
        elif isinstance(status, int):
            outcomes[settlement_id] = refusal_of(status, item.get("error"))
        else:
            outcomes[settlement_id] = ClaimRefused("malformed_release", f"bad item {item!r}")
    return outcomes


def _bulk_items(
    context: InsurerContext, bureau: str, settlement_ids: Sequence[bytes], purpose: str
) -> list[dict[str, Any]]:
    body = {
        "record_type": "settlement",
        "record_ids": ["0x" + settlement_id.hex() for settlement_id in settlement_ids],
        "purpose": purpose,
        "scopes": list(CLAIM_GROUPS),
    }
    answer = post_signed(context, bureau, BULK_RELEASE_PATH, body, timeout=BULK_TIMEOUT_S)
    items = answer.get("releases")
    asked = body["record_ids"]
    if not isinstance(items, list) or [
        item.get("record_id") if isinstance(item, dict) else None for item in items
    ] != [record_id.lower() for record_id in asked]:
        raise ClaimRefused("malformed_release", "the bulk answer does not match the records asked")
    return items


def process_many(
    context: InsurerContext, claim_pks: Sequence[int], *, fetch_many: FetchMany = fetch_releases
) -> None:
    """Try each waiting claim of ``claim_pks`` once: queue it, refuse it, or defer it."""
    with context.sessions() as session:
        rows = session.execute(
            select(ClaimRow.id, ClaimRow.settlement_id, ClaimRow.origin).where(
                ClaimRow.id.in_(claim_pks), ClaimRow.status.in_(claims.WAITING)
            )
        ).all()
    waiting = [_Waiting(pk, bytes(settlement_id), origin) for pk, settlement_id, origin in rows]
    outcomes: dict[int, ClaimRefused] = {}
    verified: dict[int, VerifiedRecord] = {}
    for (bureau, purpose), chunk in _chunks(waiting):
        asked = [claim.settlement_id for claim in chunk]
        released = fetch_many(context, bureau, asked, purpose=purpose)
        for claim in chunk:
            try:
                verified[claim.pk] = _checked(
                    context, claim.settlement_id, released.get(claim.settlement_id)
                )
            except ClaimRefused as refusal:
                outcomes[claim.pk] = clearing.waiting_reason(claim.origin, refusal) or refusal
    origins = {claim.pk: claim.origin for claim in waiting}
    facts = _chain_facts(context, verified, origins, outcomes)
    with transaction(context.sessions) as session:
        locked = claims.lock_waiting(session, [claim.pk for claim in waiting])
        bulk = _bulk_context(context, session, locked, verified)
        for pk in (claim.pk for claim in waiting):
            claim_row = locked.get(pk)
            outcome = outcomes.get(pk)
            if claim_row is None:  # decided meanwhile by another request or round
                continue
            if outcome is None:
                claims.queue_in(session, context, claim_row, verified[pk], facts[pk], bulk=bulk)
            elif isinstance(outcome, RetryLater):
                claims.wait_in(session, context, claim_row, outcome)
            else:
                claims.refuse_in(session, context, claim_row, outcome)


@dataclass(frozen=True)
class _Waiting:
    pk: int
    settlement_id: bytes
    origin: str


def retry_due(
    context: InsurerContext, *, fetch_many: FetchMany = fetch_releases, limit: int = MAX_BULK
) -> int:
    """Process the waiting claims whose next attempt is due, together; how many were tried."""
    now = datetime.fromtimestamp(context.clock(), UTC)
    with context.sessions() as session:
        due = list(
            session.scalars(
                select(ClaimRow.id)
                .where(ClaimRow.status.in_(claims.WAITING), ClaimRow.next_attempt_at <= now)
                .order_by(ClaimRow.next_attempt_at)
                .limit(limit)
            )
        )
    if due:
        process_many(context, due, fetch_many=fetch_many)
    return len(due)


def _bulk_context(
    context: InsurerContext,
    session: Session,
    locked: dict[int, ClaimRow],
    verified: dict[int, VerifiedRecord],
) -> BulkContext:
    """The bulk's policies (locked) and year book, read once for all its verified claims."""
    since, until = year_bounds(datetime.fromtimestamp(context.clock(), UTC))
    pseudonyms = {record.leaf.pseudonym for record in verified.values()}
    keys = [
        (verified[pk].leaf.pseudonym, claim.product)
        for pk, claim in locked.items()
        if pk in verified and claim.product
    ]
    return BulkContext(
        policies=locked_policies(session, pseudonyms),
        book=YearBook.read(session, keys, since=since, until=until),
    )


def _checked(context: InsurerContext, settlement_id: bytes, released: Released | None) -> Any:
    if released is None:
        raise ClaimRefused("malformed_release", "the bureau did not answer for this record")
    if isinstance(released, ClaimRefused):
        raise released
    return check_release(context, settlement_id, released)


def _chunks(waiting: list[_Waiting]) -> list[tuple[tuple[str, str], list[_Waiting]]]:
    """The claims by (bureau, release purpose), at most :data:`MAX_BULK` per chunk."""
    groups: dict[tuple[str, str], list[_Waiting]] = {}
    for claim in waiting:
        key = (bureau_of(claim.settlement_id), claims.PURPOSE_OF_ORIGIN[claim.origin])
        groups.setdefault(key, []).append(claim)
    return [
        (key, items[start : start + MAX_BULK])
        for key, items in groups.items()
        for start in range(0, len(items), MAX_BULK)
    ]


def _chain_facts(
    context: InsurerContext,
    verified: dict[int, VerifiedRecord],
    origins: dict[int, str],
    outcomes: dict[int, ClaimRefused],
) -> dict[int, ChainFacts]:
    """Consent and claimed totals of every verified claim, one JSON-RPC batch per fact.

    A superseded settlement's claim gets its refusal in ``outcomes`` instead. A window claim's
    consent is the window's rule (:func:`.clearing.window_permissions`).
    """
    pks = list(verified)
    leaves = [verified[pk].leaf for pk in pks]
    ids = [leaf.settlement_id for leaf in leaves]
    registries = context.registries
    replaced = registries.attestations.superseded_by_each(ids)
    windows = [pk for pk in pks if origins[pk] == ClaimOrigin.WINDOW]
    asks = [
        (leaf.pseudonym, context.address, int(Scope.SETTLEMENT_SUMMARY), int(Purpose.CLAIM))
        for pk, leaf in zip(pks, leaves, strict=True)
        if origins[pk] != ClaimOrigin.WINDOW
    ]
    fast_permissions = iter(registries.consents.permissions_of(asks))
    window_permissions = iter(
        clearing.window_permissions(context, [verified[pk].leaf.pseudonym for pk in windows])
    )
    claimed = registries.claims.totals_claimed_fen(ids)
    facts: dict[int, ChainFacts] = {}
    for pk, by, total in zip(pks, replaced, claimed, strict=True):
        window = origins[pk] == ClaimOrigin.WINDOW
        permission = next(window_permissions) if window else next(fast_permissions)
        if by is not None:
            outcomes[pk] = superseded()
        else:
            facts[pk] = ChainFacts(permission, total)
    return facts


def submit_bulk(
    context: InsurerContext,
    asks: Sequence[ClaimAsk],
    *,
    key: str,
    fingerprint: str,
    fetch_many: FetchMany = fetch_releases,
) -> StoredResponse:
    """``POST /v1/claims/bulk``: open (or find) each claim, process the new ones together.

    The answer lists every claim as ``GET /v1/claims/{id}`` shows it, in the order asked, and is
    stored under ``key``: a repeat gets it again. A settlement that already had a claim gives
    that claim, untouched.
    """

    def perform(claimed: ClaimedKey) -> StoredResponse:
        opened = claims.open_claims(context, asks, now=claimed.moment)
        process_many(context, [pk for pk, created in opened if created], fetch_many=fetch_many)
        with transaction(context.sessions) as session:
            rows = {
                row.id: row
                for row in session.scalars(
                    select(ClaimRow).where(ClaimRow.id.in_([pk for pk, _ in opened]))
                )
            }
            body = {"claims": [claims.claim_view(rows[pk]) for pk, _ in opened]}
            return claimed.complete(session, 200, body)

    return run_once(
        context.sessions,
        claims.CLAIMS_CLIENT,
        key,
        fingerprint,
        perform,
        now=context.clock(),
        records=ClaimRequestKey,
    )
