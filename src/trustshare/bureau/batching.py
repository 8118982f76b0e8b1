"""Cutting Merkle batches from pending records, and serving proofs from the stored trees.

A batch is cut when ``batch_max_leaves`` rows are pending, or when the oldest pending row has
waited ``batch_max_wait_ms``. One database transaction inserts the batch (root, leaf count,
rules version, the serialised tree), puts each row at its leaf index and queues the
``commit_batch`` outbox entry: a batch is never built without being queued, nor queued twice.

Rows are streamed in id order and only their leaf hashes are kept, so memory stays flat in the
size of the table (32 bytes per leaf of the batch being built).
"""

from __future__ import annotations

from array import array
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Final

from sqlalchemy.orm import Session, sessionmaker

from trustshare.bureau.outbox import enqueue
from trustshare.crypto.errors import LeafNotInTreeError
from trustshare.crypto.leaves import (
    ACCESS_LOG_LEAF_ENCODING,
    ENROLLMENT_LEAF_ENCODING,
    SettlementLeaf,
    settlement_leaf_hash,
)
from trustshare.crypto.merkle import StandardMerkleTree, proof_reaching, standard_leaf_hash
from trustshare.storage import clearing
from trustshare.storage.clearing import ClearedModel
from trustshare.storage.database import transaction
from trustshare.storage.models import AccessLogEntry, EnrollmentRow, SettlementRow

#: Rules version of batches that are not settlements (the contract needs one for settlements only).
NO_RULES_VERSION: Final = bytes(32)
_NO_PSEUDONYM: Final = bytes(32)


@dataclass(frozen=True)
class BatchSource:
    """Where one kind of batch takes its leaves from, and how a row becomes a leaf hash."""

    kind: str
    model: ClearedModel
    columns: tuple[Any, ...]
    leaf_hash: Callable[[Sequence[Any]], bytes]
    by_rules_version: bool = False


def _settlement_leaf(row: Sequence[Any]) -> bytes:
    _, settlement_id, pseudonym, commitment, ceiling = row
    return settlement_leaf_hash(bytes(settlement_id), bytes(pseudonym), bytes(commitment), ceiling)


def _enrollment_leaf(row: Sequence[Any]) -> bytes:
    _, enrollment_id, pseudonym, commitment = row
    return standard_leaf_hash(
        ENROLLMENT_LEAF_ENCODING, (bytes(enrollment_id), bytes(pseudonym), bytes(commitment))
    )


def _access_log_leaf(row: Sequence[Any]) -> bytes:
    entry_id, pseudonym, entry_hash = row
    subject = bytes(pseudonym) if pseudonym is not None else _NO_PSEUDONYM
    return standard_leaf_hash(ACCESS_LOG_LEAF_ENCODING, (entry_id, subject, bytes(entry_hash)))


SOURCES: Final = (
    BatchSource(
        "SETTLEMENT",
        SettlementRow,
        (
            SettlementRow.settlement_id,
            SettlementRow.pseudonym,
            SettlementRow.record_commitment,
            SettlementRow.claim_ceiling_fen,
        ),
        _settlement_leaf,
        by_rules_version=True,
    ),
    BatchSource(
        "ENROLLMENT",
        EnrollmentRow,
        (EnrollmentRow.enrollment_id, EnrollmentRow.pseudonym, EnrollmentRow.record_commitment),
        _enrollment_leaf,
    ),
    BatchSource(
        "ACCESS_LOG",
        AccessLogEntry,
        (AccessLogEntry.pseudonym, AccessLogEntry.entry_hash),
        _access_log_leaf,
    ),
)


@dataclass(frozen=True)
class BuiltBatch:
    """A batch just cut and queued for commitment."""

    batch_id: int
    kind: str
    root: bytes
    leaf_count: int


def cut_due_batches(
    sessions: sessionmaker[Session], *, max_leaves: int, max_wait_ms: int, now: float
) -> list[BuiltBatch]:
    """Cut every batch that is due now, of every kind; each in its own transaction."""
    built: list[BuiltBatch] = []
    for source in SOURCES:
        while True:
            with transaction(sessions) as session:
                batch = cut_batch(
                    session, source, max_leaves=max_leaves, max_wait_ms=max_wait_ms, now=now
                )
            if batch is None:
                break
            built.append(batch)
    return built


def cut_batch(
    session: Session, source: BatchSource, *, max_leaves: int, max_wait_ms: int, now: float
) -> BuiltBatch | None:
    """Cut one batch of ``source`` in ``session`` if one is due; the caller commits."""
    oldest = clearing.oldest_pending(session, source.model)
    if oldest is None:
        return None
    arrived, rules_digest = oldest
    pending = clearing.count_pending(
        session, source.model, rules_digest=rules_digest, limit=max_leaves
    )
    waited_ms = (now - _as_utc(arrived).timestamp()) * 1000
    if pending < max_leaves and waited_ms < max_wait_ms:
        return None
    row_ids = array("q")

    def leaf_hashes() -> Iterator[bytes]:
        for row in clearing.stream_pending(
            session, source.model, source.columns, rules_digest=rules_digest, limit=max_leaves
        ):
            row_ids.append(row[0])
            yield source.leaf_hash(row)

    tree = StandardMerkleTree.from_leaf_hashes(leaf_hashes())
    rules_version = rules_digest if source.by_rules_version and rules_digest else NO_RULES_VERSION
    batch = clearing.add_batch(
        session, source.kind, tree.root, len(tree), rules_version, tree.to_bytes()
    )
    clearing.assign_to_batch(session, source.model, batch.id, row_ids)
    enqueue(session, "commit_batch", {}, batch_id=batch.id)
    return BuiltBatch(batch.id, source.kind, tree.root, len(tree))


def proof_for(session: Session, batch_id: int, leaf_index: int) -> tuple[bytes, list[bytes]]:
    """The root of batch ``batch_id`` and the proof of its leaf ``leaf_index`` (one row read)."""
    stored = clearing.batch_root_and_tree(session, batch_id)
    if stored is None:
        raise LeafNotInTreeError(f"there is no batch {batch_id}")
    root, tree_bytes = stored
    tree = StandardMerkleTree.from_bytes(tree_bytes, check_nodes=False)
    return root, proof_reaching(tree, leaf_index, root)


def settlement_leaf_of(row: SettlementRow) -> SettlementLeaf:
    """The leaf a settlement row is committed as."""
    return SettlementLeaf(
        bytes(row.settlement_id),
        bytes(row.pseudonym),
        bytes(row.record_commitment),
        row.claim_ceiling_fen,
    )


def _as_utc(moment: datetime) -> datetime:
    # SQLite hands timezone-aware columns back naive; every timestamp here is stored as UTC.
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)
