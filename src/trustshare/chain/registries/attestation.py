"""Client of the AttestationRegistry: batch commitments, proofs, corrections."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from enum import IntEnum

from trustshare.chain.batch_reads import read_many
from trustshare.chain.registries.base import RegistryClient
from trustshare.chain.sender import TxOutcome
from trustshare.crypto.leaves import SettlementLeaf

__all__ = ["AttestationRegistryClient", "Batch", "BatchKind", "SettlementLeaf"]


class BatchKind(IntEnum):
    """Mirror of ``IAttestationRegistry.BatchKind``."""

    NONE = 0
    ENROLLMENT = 1
    SETTLEMENT = 2
    ACCESS_LOG = 3


@dataclass(frozen=True)
class Batch:
    """A committed batch (kind NONE if the root was never committed)."""

    root: bytes
    bureau: str
    kind: BatchKind
    leaf_count: int
    committed_at: int


class AttestationRegistryClient(RegistryClient):
    """The bureaus' Merkle batch commitments."""

    contract_name = "AttestationRegistry"

    def commit_batch(
        self, kind: BatchKind, root: bytes, leaf_count: int, rules_version: bytes
    ) -> TxOutcome:
        """Commit a batch root (bureau only)."""
        return self._send(
            self.contract.functions.commitBatch(int(kind), root, leaf_count, rules_version)
        )

    def supersede_settlement(
        self,
        old_root: bytes,
        old_leaf: SettlementLeaf,
        old_proof: list[bytes],
        new_root: bytes,
        new_leaf: SettlementLeaf,
        new_proof: list[bytes],
    ) -> TxOutcome:
        """Mark ``old_leaf`` superseded by the correction ``new_leaf`` (committing bureau only)."""
        return self._send(
            self.contract.functions.supersedeSettlement(
                old_root, old_leaf.as_tuple(), old_proof, new_root, new_leaf.as_tuple(), new_proof
            )
        )

    def batch_of(self, root: bytes) -> Batch:
        """The batch committed under ``root``."""
        bureau, kind, leaf_count, committed_at = self._call(self.contract.functions.batchOf(root))
        return Batch(root, str(bureau), BatchKind(kind), leaf_count, committed_at)

    def superseded_by(self, settlement_id: bytes) -> bytes | None:
        """The settlement that supersedes ``settlement_id``, or None."""
        value = bytes(self._call(self.contract.functions.supersededBy(settlement_id)))
        return None if value == bytes(32) else value

    def superseded_by_each(self, settlement_ids: Sequence[bytes]) -> list[bytes | None]:
        """:meth:`superseded_by` of each settlement, in one JSON-RPC batch."""
        functions = [self.contract.functions.supersededBy(sid) for sid in settlement_ids]
        return [
            None if bytes(value) == bytes(32) else bytes(value)
            for value in read_many(self.w3, functions)
        ]

    def verify(self, root: bytes, encoded_leaf: bytes, proof: list[bytes]) -> bool:
        """Whether the leaf whose values ABI-encode to ``encoded_leaf`` is in batch ``root``."""
        return bool(self._call(self.contract.functions.verify(root, encoded_leaf, proof)))

    def bureau_of(self, settlement_id: bytes) -> str:
        """The bureau a settlement id belongs to (its first 20 bytes), as the contract reads it."""
        return str(self._call(self.contract.functions.bureauOf(settlement_id)))

    def verify_settlement(self, root: bytes, leaf: SettlementLeaf, proof: list[bytes]) -> bool:
        """Whether ``leaf`` is in the committed settlement batch ``root``."""
        return bool(
            self._call(self.contract.functions.verifySettlement(root, leaf.as_tuple(), proof))
        )

    def settlement_leaf_hash(self, leaf: SettlementLeaf) -> bytes:
        """The contract's StandardMerkleTree hash of ``leaf``."""
        return bytes(self._call(self.contract.functions.settlementLeafHash(leaf.as_tuple())))
