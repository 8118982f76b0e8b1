"""Repository queries of record release: seen nonces, the access log, records and their batches.

Every query here reads one record, one batch or one page of one patient's log: cost per request
does not grow with the size of the history.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from trustshare.storage.models import (
    AccessLogEntry,
    Batch,
    EnrollmentRow,
    OutboxEntry,
    SeenNonce,
    SettlementRow,
)
from trustshare.storage.nonces import SeenNonceTable


class SeenNonceStore(SeenNonceTable):
    """The bureau's single-use nonces (table ``seen_nonces``)."""

    def __init__(self, sessions: sessionmaker[Session]) -> None:
        """Use sessions from ``sessions`` (one per call)."""
        super().__init__(sessions, SeenNonce)


def settlement_by_id(session: Session, settlement_id: bytes) -> SettlementRow | None:
    """The settlement with on-chain id ``settlement_id``."""
    return session.scalar(select(SettlementRow).where(SettlementRow.settlement_id == settlement_id))


def enrollment_by_id(session: Session, enrollment_id: bytes) -> EnrollmentRow | None:
    """The enrollment record with on-chain id ``enrollment_id``."""
    return session.scalar(select(EnrollmentRow).where(EnrollmentRow.enrollment_id == enrollment_id))


def access_log_page(
    session: Session, pseudonym: bytes, *, after_id: int, limit: int
) -> Sequence[AccessLogEntry]:
    """Up to ``limit`` entries about ``pseudonym`` with id above ``after_id``, oldest first."""
    query = (
        select(AccessLogEntry)
        .where(AccessLogEntry.pseudonym == pseudonym, AccessLogEntry.id > after_id)
        .order_by(AccessLogEntry.id)
        .limit(limit)
    )
    return session.scalars(query).all()


def batches_by_id(session: Session, batch_ids: Iterable[int]) -> dict[int, Batch]:
    """The batches with these ids, by id."""
    wanted = sorted(set(batch_ids))
    if not wanted:
        return {}
    return {batch.id: batch for batch in session.scalars(select(Batch).where(Batch.id.in_(wanted)))}


RELAY_KINDS = ("grant_consent", "revoke_consent")
"""Outbox kinds that relay a patient's signed consent message."""


def relay_entry(session: Session, outbox_id: int) -> OutboxEntry | None:
    """The outbox entry ``outbox_id`` if it relays a grant or a revocation."""
    entry = session.get(OutboxEntry, outbox_id)
    return entry if entry is not None and entry.kind in RELAY_KINDS else None


def unfinished_relays(session: Session, kind: str) -> list[dict[str, object]]:
    """Payloads of ``kind`` relays not yet done or failed (the few in flight)."""
    query = select(OutboxEntry.payload_json).where(
        OutboxEntry.kind == kind, OutboxEntry.status.in_(("pending", "sent"))
    )
    payloads: list[dict[str, object]] = [json.loads(text) for text in session.scalars(query)]
    return payloads
