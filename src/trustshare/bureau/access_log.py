"""The access log: every release of a record to an insurer, and every refused attempt.

An entry is hashed as ``keccak256(canonical_json(fields))`` where ``fields`` is exactly what
:func:`entry_fields` returns::

    {"version": 1, "occurred_at": <unix seconds>, "insurer": <checksum address>,
     "pseudonym": <0x-hex or null>, "record_type": "settlement" | "enrollment",
     "record_id": <0x-hex or null>, "purpose": <Purpose bits>, "scopes_requested": <Scope bits>,
     "scopes_released": <Scope bits>, "outcome": "released" | "refused", "reason": <code>}

ACCESS_LOG batches (built by the publisher) have leaves ``(uint256 entry id, bytes32 pseudonym
or zero, bytes32 entry hash)`` — :func:`access_log_leaf` — so a patient holding an entry's
fields recomputes its hash and its leaf, and checks the proof against the committed root.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy.orm import Session

from trustshare.bureau.context import BureauContext
from trustshare.crypto.canonical_json import canonical_json
from trustshare.crypto.hashing import keccak256
from trustshare.crypto.leaves import ACCESS_LOG_LEAF_ENCODING
from trustshare.crypto.merkle import StandardMerkleTree, standard_leaf_hash
from trustshare.storage import access
from trustshare.storage.database import transaction
from trustshare.storage.models import AccessLogEntry, Batch

ENTRY_VERSION = 1
RELEASED = "released"
REFUSED = "refused"
MAX_PAGE = 500


@dataclass(frozen=True)
class AccessAttempt:
    """What an insurer asked for and what it got (before it is an entry)."""

    insurer: str
    record_type: str
    record_id: bytes | None
    pseudonym: bytes | None
    purpose: int
    scopes_requested: int
    scopes_released: int
    outcome: str
    reason: str


def _unix_seconds(moment: datetime) -> int:
    # SQLite hands back naive datetimes; every stored time is UTC.
    aware = moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)
    return int(aware.timestamp())


def _hex(value: bytes | None) -> str | None:
    return None if value is None else "0x" + value.hex()


def entry_fields(entry: AccessLogEntry) -> dict[str, Any]:
    """The hashed fields of ``entry`` (see the module docstring)."""
    return {
        "version": ENTRY_VERSION,
        "occurred_at": _unix_seconds(entry.occurred_at),
        "insurer": entry.insurer,
        "pseudonym": _hex(entry.pseudonym),
        "record_type": entry.record_type,
        "record_id": _hex(entry.record_id),
        "purpose": entry.purpose,
        "scopes_requested": entry.scopes_requested,
        "scopes_released": entry.scopes_released,
        "outcome": entry.outcome,
        "reason": entry.reason,
    }


def entry_hash(entry: AccessLogEntry) -> bytes:
    """``keccak256(canonical_json(entry_fields(entry)))``."""
    return keccak256(canonical_json(entry_fields(entry)))


def access_log_leaf(entry: AccessLogEntry) -> tuple[int, bytes, bytes]:
    """The ACCESS_LOG batch leaf values of a stored entry."""
    return (entry.id, entry.pseudonym or bytes(32), entry.entry_hash)


def access_log_leaf_hash(entry: AccessLogEntry) -> bytes:
    """The standard (double-keccak) leaf hash of :func:`access_log_leaf`."""
    return standard_leaf_hash(ACCESS_LOG_LEAF_ENCODING, access_log_leaf(entry))


def log_access(context: BureauContext, attempt: AccessAttempt) -> AccessLogEntry:
    """Append ``attempt`` to the access log in its own transaction; return the stored entry."""
    [entry] = log_accesses(context, [attempt])
    return entry


def log_accesses(context: BureauContext, attempts: Sequence[AccessAttempt]) -> list[AccessLogEntry]:
    """Append ``attempts`` to the access log, in order, in ONE transaction; the stored entries.

    All of them get the same ``occurred_at`` and ascending ids; none is stored if one fails.
    """
    if not attempts:
        return []
    occurred_at = datetime.fromtimestamp(int(context.clock()), UTC)
    entries = [_entry(attempt, occurred_at) for attempt in attempts]
    with transaction(context.sessions) as session:
        session.add_all(entries)
        session.flush()  # assigns the ids, in the order added
    return entries


def _entry(attempt: AccessAttempt, occurred_at: datetime) -> AccessLogEntry:
    entry = AccessLogEntry(
        occurred_at=occurred_at,
        insurer=attempt.insurer,
        pseudonym=attempt.pseudonym,
        record_type=attempt.record_type,
        record_id=attempt.record_id,
        purpose=attempt.purpose,
        scopes_requested=attempt.scopes_requested,
        scopes_released=attempt.scopes_released,
        outcome=attempt.outcome,
        reason=attempt.reason,
    )
    entry.entry_hash = entry_hash(entry)
    return entry


def access_log_of(
    session: Session, pseudonym: bytes, *, after_id: int = 0, limit: int = 100
) -> dict[str, Any]:
    """One page of the log about ``pseudonym``, each committed entry with its batch proof."""
    entries = access.access_log_page(
        session, pseudonym, after_id=after_id, limit=max(1, min(limit, MAX_PAGE))
    )
    batches = access.batches_by_id(session, (e.batch_id for e in entries if e.batch_id))
    trees: dict[int, StandardMerkleTree] = {}
    listed = []
    for entry in entries:
        batch = batches.get(entry.batch_id) if entry.batch_id is not None else None
        listed.append(
            {
                "id": entry.id,
                "fields": entry_fields(entry),
                "entry_hash": "0x" + entry.entry_hash.hex(),
                "commitment": _commitment_of(entry, batch, trees),
            }
        )
    next_after = entries[-1].id if len(entries) == limit else None
    return {"pseudonym": "0x" + pseudonym.hex(), "entries": listed, "next_after": next_after}


def _commitment_of(
    entry: AccessLogEntry, batch: Batch | None, trees: dict[int, StandardMerkleTree]
) -> dict[str, Any]:
    if batch is None or batch.status != "final" or entry.leaf_index is None:
        return {"status": "pending"}
    tree = trees.get(batch.id)
    if tree is None:
        tree = StandardMerkleTree.from_bytes(batch.tree, leaf_encoding=ACCESS_LOG_LEAF_ENCODING)
        trees[batch.id] = tree
    if tree.leaf_hash(entry.leaf_index) != access_log_leaf_hash(entry):
        raise AccessLogIntegrityError(f"access log entry {entry.id} is not leaf {entry.leaf_index}")
    return {
        "status": "committed",
        "leaf": {
            "entry_id": entry.id,
            "pseudonym": "0x" + (entry.pseudonym or bytes(32)).hex(),
            "entry_hash": "0x" + entry.entry_hash.hex(),
        },
        "batch_root": "0x" + batch.root.hex(),
        "proof": ["0x" + node.hex() for node in tree.proof(entry.leaf_index)],
        "tx_hash": batch.tx_hash,
        "block_number": batch.block_number,
    }


class AccessLogIntegrityError(RuntimeError):
    """A stored entry does not match the batch tree it is said to be in (corrupt storage)."""
