"""Committed records as the bureau stores them, read for release.

A settlement or enrollment row keeps the record's fields, the salts of its disclosure groups and
its commitment; once cleared, its batch and leaf index. Before anything is released the bureau
rebuilds the commitment from the stored fields and salts (:func:`rebuild`) and checks the leaf
against its stored batch tree (:meth:`BatchTrees.proof`): a mismatch is corrupt storage
(:class:`ReleaseIntegrityError`), never disclosed.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from trustshare.crypto.commitment import CommittedRecord, commit_record
from trustshare.crypto.leaves import ENROLLMENT_LEAF_ENCODING, SETTLEMENT_LEAF_ENCODING
from trustshare.crypto.merkle import StandardMerkleTree, proof_reaching, standard_leaf_hash
from trustshare.crypto.vocabulary import GROUP_NAMES
from trustshare.storage.models import Batch, EnrollmentRow, SettlementRow

SALT_BYTES = 32


class ReleaseIntegrityError(RuntimeError):
    """Stored fields, salts or tree disagree with the stored commitment (corrupt storage)."""


@dataclass(frozen=True)
class StoredRecord:
    """One stored settlement or enrollment record, with its batch leaf."""

    pseudonym: bytes
    fields: dict[str, dict[str, Any]]
    salts: bytes
    commitment: bytes
    batch_id: int | None
    leaf_index: int | None
    leaf: dict[str, Any]
    leaf_values: tuple[Any, ...]
    leaf_encoding: tuple[str, ...]


def load_records(
    session: Session, record_type: str, record_ids: Sequence[bytes]
) -> dict[bytes, StoredRecord]:
    """The stored records of ``record_type`` among ``record_ids``, by id, in one query."""
    if record_type == "settlement":
        settlements = session.scalars(
            select(SettlementRow).where(SettlementRow.settlement_id.in_(record_ids))
        )
        return {row.settlement_id: _settlement(row) for row in settlements}
    enrollments = session.scalars(
        select(EnrollmentRow).where(EnrollmentRow.enrollment_id.in_(record_ids))
    )
    return {row.enrollment_id: _enrollment(row) for row in enrollments}


def stored_salts(fields: dict[str, Any], salts: bytes) -> dict[str, bytes]:
    """Split the stored salt blob: 32 bytes per group present, in ``GROUP_NAMES`` order."""
    names = [name for name in GROUP_NAMES if name in fields]
    if len(salts) != SALT_BYTES * len(names):
        raise ReleaseIntegrityError(f"{len(salts)} salt bytes for groups {names}")
    return {name: salts[i * SALT_BYTES : (i + 1) * SALT_BYTES] for i, name in enumerate(names)}


def rebuild(record: StoredRecord) -> CommittedRecord:
    """The record committed again from its stored fields and salts; it must give the commitment."""
    rebuilt = commit_record(record.fields, salts=stored_salts(record.fields, record.salts))
    if rebuilt.commitment != record.commitment:
        raise ReleaseIntegrityError("stored fields and salts do not give the stored commitment")
    return rebuilt


class BatchTrees:
    """Leaf proofs in stored batch trees, each tree parsed once however many records share it."""

    def __init__(self) -> None:
        """Start with no tree parsed."""
        self._trees: dict[int, StandardMerkleTree] = {}

    def proof(self, batch: Batch, record: StoredRecord) -> list[bytes]:
        """The proof of ``record``'s leaf to ``batch``'s root, after checking it is that leaf."""
        if record.leaf_index is None or record.batch_id != batch.id:
            raise ReleaseIntegrityError(f"the record is not a leaf of batch {batch.id}")
        tree = self._trees.get(batch.id)
        if tree is None:
            tree = StandardMerkleTree.from_bytes(
                batch.tree, leaf_encoding=record.leaf_encoding, check_nodes=False
            )
            self._trees[batch.id] = tree
        leaf_hash = standard_leaf_hash(record.leaf_encoding, record.leaf_values)
        if tree.leaf_hash(record.leaf_index) != leaf_hash:
            raise ReleaseIntegrityError(f"the record is not leaf {record.leaf_index} of its batch")
        return proof_reaching(tree, record.leaf_index, batch.root)


def _settlement(row: SettlementRow) -> StoredRecord:
    values = (row.settlement_id, row.pseudonym, row.record_commitment, row.claim_ceiling_fen)
    leaf = {
        "settlement_id": "0x" + row.settlement_id.hex(),
        "pseudonym": "0x" + row.pseudonym.hex(),
        "record_commitment": "0x" + row.record_commitment.hex(),
        "claim_ceiling_fen": row.claim_ceiling_fen,
    }
    return _stored(row, leaf, values, SETTLEMENT_LEAF_ENCODING)


def _enrollment(row: EnrollmentRow) -> StoredRecord:
    values = (row.enrollment_id, row.pseudonym, row.record_commitment)
    leaf = {
        "enrollment_id": "0x" + row.enrollment_id.hex(),
        "pseudonym": "0x" + row.pseudonym.hex(),
        "record_commitment": "0x" + row.record_commitment.hex(),
    }
    return _stored(row, leaf, values, ENROLLMENT_LEAF_ENCODING)


def _stored(
    row: SettlementRow | EnrollmentRow,
    leaf: dict[str, Any],
    values: tuple[Any, ...],
    encoding: tuple[str, ...],
) -> StoredRecord:
    fields = json.loads(row.record_json)
    commitment, batch_id, leaf_index = row.record_commitment, row.batch_id, row.leaf_index
    return StoredRecord(
        row.pseudonym, fields, row.salts, commitment, batch_id, leaf_index, leaf, values, encoding
    )
