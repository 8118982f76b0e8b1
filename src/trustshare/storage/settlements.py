"""Repository of settlement records: the queries the hospital path needs, nothing more."""

from __future__ import annotations

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from trustshare.storage.models import SettlementRow

CONFIRMED = "confirmed"
"""A settlement (or refund re-settlement) in force."""
CANCELLATION = "cancellation"
"""A record that reverses the settlement it supersedes: every amount 0."""
SUPERSEDED = "superseded"
"""A settlement replaced by a later record (its ``superseded_by``)."""


def settlement_by_reference(session: Session, setl_id: str) -> SettlementRow | None:
    """The settlement with the platform's settlement number ``setl_id``, if stored."""
    return session.scalar(select(SettlementRow).where(SettlementRow.setl_id == setl_id))


def mark_superseded(session: Session, row: SettlementRow, by_settlement_id: bytes) -> bool:
    """Mark ``row`` superseded by ``by_settlement_id``; False if it already was.

    A conditional update, so two concurrent corrections of one settlement cannot both win on
    any database.
    """
    result = session.execute(
        update(SettlementRow)
        .where(SettlementRow.id == row.id, SettlementRow.superseded_by.is_(None))
        .values(superseded_by=by_settlement_id, status=SUPERSEDED)
    )
    return bool(result.rowcount)  # type: ignore[attr-defined]


def reference_taken(session: Session, setl_id: str) -> bool:
    """Whether a settlement with this ``setl_id`` is already stored."""
    found = session.scalar(select(SettlementRow.id).where(SettlementRow.setl_id == setl_id))
    return found is not None


def add_settlement(session: Session, row: SettlementRow) -> SettlementRow:
    """Stage ``row`` (with ``batch_id`` NULL: queued for clearing) in the caller's transaction."""
    row.batch_id = None
    session.add(row)
    session.flush()
    return row
