"""Queries of clearing: pending rows, batches, proofs' source, and the outbox's open entries.

Every query reads a bounded slice (``LIMIT``, one batch row, one outbox row): the cost of
clearing and of serving a proof does not grow with the size of the history.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from datetime import datetime
from typing import Any, cast

from sqlalchemy import ColumnElement, Table, bindparam, func, select, update
from sqlalchemy.orm import InstrumentedAttribute, Session

from trustshare.storage.models import (
    AccessLogEntry,
    Batch,
    EnrollmentRow,
    OutboxEntry,
    SettlementRow,
)

#: Rows fetched from the database per round trip while streaming a batch's leaves.
STREAM_CHUNK = 2_000

ClearedModel = type[SettlementRow] | type[EnrollmentRow] | type[AccessLogEntry]


def _arrival(model: ClearedModel) -> InstrumentedAttribute[datetime]:
    if model is AccessLogEntry:
        return AccessLogEntry.occurred_at
    return model.created_at  # type: ignore[union-attr]


def _pending(model: ClearedModel, rules_digest: bytes | None) -> list[ColumnElement[bool]]:
    conditions: list[ColumnElement[bool]] = [model.batch_id.is_(None)]
    if rules_digest is not None:
        conditions.append(SettlementRow.rules_digest == rules_digest)
    return conditions


def oldest_pending(session: Session, model: ClearedModel) -> tuple[datetime, bytes | None] | None:
    """Arrival time (and, for settlements, rules digest) of the oldest pending row, or None."""
    arrival = _arrival(model)
    digest = SettlementRow.rules_digest if model is SettlementRow else None
    columns: list[Any] = [arrival] if digest is None else [arrival, digest]
    row = session.execute(
        select(*columns).where(model.batch_id.is_(None)).order_by(model.id).limit(1)
    ).first()
    if row is None:
        return None
    return row[0], (row[1] if digest is not None else None)


def count_pending(
    session: Session, model: ClearedModel, *, rules_digest: bytes | None, limit: int
) -> int:
    """How many rows are pending (of ``rules_digest`` for settlements), counting at most limit."""
    bounded = (
        select(model.id).where(*_pending(model, rules_digest)).order_by(model.id).limit(limit)
    ).subquery()
    return int(session.execute(select(func.count()).select_from(bounded)).scalar_one())


def stream_pending(
    session: Session,
    model: ClearedModel,
    columns: Sequence[InstrumentedAttribute[Any]],
    *,
    rules_digest: bytes | None,
    limit: int,
) -> Iterator[Sequence[Any]]:
    """The oldest ``limit`` pending rows as ``(id, *columns)``, in id order, fetched in chunks."""
    statement = (
        select(model.id, *columns)
        .where(*_pending(model, rules_digest))
        .order_by(model.id)
        .limit(limit)
        .execution_options(yield_per=STREAM_CHUNK)
    )
    for row in session.execute(statement):
        yield tuple(row)


def assign_to_batch(
    session: Session, model: ClearedModel, batch_id: int, row_ids: Iterable[int]
) -> None:
    """Put rows in a batch: the n-th of ``row_ids`` becomes leaf n."""
    # A Core executemany: the ORM's bulk update costs three times as much per row.
    table = cast(Table, model.__table__)
    statement = (
        update(table)
        .where(table.c.id == bindparam("row_id"))
        .values(batch_id=batch_id, leaf_index=bindparam("position"))
    )
    connection = session.connection()
    chunk: list[dict[str, int]] = []
    for leaf_index, row_id in enumerate(row_ids):
        chunk.append({"row_id": row_id, "position": leaf_index})
        if len(chunk) == STREAM_CHUNK:
            connection.execute(statement, chunk)
            chunk = []
    if chunk:
        connection.execute(statement, chunk)


def add_batch(
    session: Session, kind: str, root: bytes, leaf_count: int, rules_version: bytes, tree: bytes
) -> Batch:
    """Insert a pending batch row and return it with its id."""
    batch = Batch(
        kind=kind, root=root, leaf_count=leaf_count, rules_version=rules_version, tree=tree
    )
    session.add(batch)
    session.flush()
    return batch


def batch_root_and_tree(session: Session, batch_id: int) -> tuple[bytes, bytes] | None:
    """The root and serialised tree of one batch (the only row a proof needs)."""
    row = session.execute(select(Batch.root, Batch.tree).where(Batch.id == batch_id)).first()
    return None if row is None else (bytes(row[0]), bytes(row[1]))


def settlement_by_id(session: Session, settlement_id: bytes) -> SettlementRow | None:
    """The settlement row with this on-chain id."""
    return session.scalars(
        select(SettlementRow).where(SettlementRow.settlement_id == settlement_id)
    ).first()


def batch_status(session: Session, batch_id: int) -> str | None:
    """A batch's status (``pending`` or ``final``), or None for no such batch."""
    return session.scalar(select(Batch.status).where(Batch.id == batch_id))


# -- the outbox -----------------------------------------------------------------------------


def pending_outbox_ids(session: Session, *, after_id: int, limit: int) -> list[int]:
    """Ids of entries not yet signed, above ``after_id``, in id order."""
    return list(
        session.scalars(
            select(OutboxEntry.id)
            .where(OutboxEntry.status == "pending", OutboxEntry.id > after_id)
            .order_by(OutboxEntry.id)
            .limit(limit)
        )
    )


def sent_outbox_entries(session: Session) -> list[OutboxEntry]:
    """Entries signed and stored but whose outcome is not recorded, lowest nonce first."""
    return list(
        session.scalars(
            select(OutboxEntry)
            .where(OutboxEntry.status == "sent")
            .order_by(OutboxEntry.nonce, OutboxEntry.id)
        )
    )


def highest_outbox_nonce(session: Session) -> int | None:
    """The highest nonce any outbox entry was ever signed with, or None."""
    value = session.scalar(select(func.max(OutboxEntry.nonce)))
    return None if value is None else int(value)


def outbox_entry(session: Session, entry_id: int) -> OutboxEntry:
    """One outbox entry by id."""
    return session.get_one(OutboxEntry, entry_id)
