"""Client of the ClaimRegistry: insurers' claims on committed settlements."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from trustshare.chain.batch_reads import read_many
from trustshare.chain.registries.attestation import SettlementLeaf
from trustshare.chain.registries.base import RegistryClient
from trustshare.chain.sender import TxOutcome


@dataclass(frozen=True)
class ClaimRequest:
    """One claim: the leaf, the batch it is committed in, its proof, and the amount."""

    root: bytes
    leaf: SettlementLeaf
    proof: list[bytes]
    amount_fen: int

    def as_tuple(self) -> tuple[bytes, tuple[bytes, bytes, bytes, int], list[bytes], int]:
        """The ABI tuple of ``IClaimRegistry.ClaimRequest``."""
        return (self.root, self.leaf.as_tuple(), self.proof, self.amount_fen)


@dataclass(frozen=True)
class Claim:
    """A recorded claim (insurer is the zero address if there is none)."""

    insurer: str
    amount_fen: int
    recorded_at: int
    reversed: bool


class ClaimRegistryClient(RegistryClient):
    """Claims as the chain records them: once per insurer, within the ceiling."""

    contract_name = "ClaimRegistry"

    def record_claim(self, request: ClaimRequest) -> TxOutcome:
        """Record the sender's claim (sender must be an insurer with CLAIM consent)."""
        return self._send(self.contract.functions.recordClaim(request.as_tuple()))

    def record_claims(self, requests: list[ClaimRequest]) -> TxOutcome:
        """Record several of the sender's claims in one transaction, all or nothing."""
        return self._send(
            self.contract.functions.recordClaims([request.as_tuple() for request in requests])
        )

    def reverse_claim(self, settlement_id: bytes, insurer: str) -> TxOutcome:
        """Reverse ``insurer``'s claim (the insurer; anyone once the settlement is superseded)."""
        return self._send(self.contract.functions.reverseClaim(settlement_id, insurer))

    def claim_of(self, settlement_id: bytes, insurer: str) -> Claim:
        """``insurer``'s claim on ``settlement_id``."""
        claimant, amount, recorded_at, reversed_ = self._call(
            self.contract.functions.claimOf(settlement_id, insurer)
        )
        return Claim(str(claimant), amount, recorded_at, reversed_)

    def claims_of(self, settlement_id: bytes) -> list[Claim]:
        """Every claim on ``settlement_id``, reversed ones included."""
        rows = self._call(self.contract.functions.claimsOf(settlement_id))
        return [Claim(str(a), amount, at, rev) for a, amount, at, rev in rows]

    def total_claimed_fen(self, settlement_id: bytes) -> int:
        """All insurers' active claims on ``settlement_id``."""
        return int(self._call(self.contract.functions.totalClaimedFen(settlement_id)))

    def totals_claimed_fen(self, settlement_ids: Sequence[bytes]) -> list[int]:
        """:meth:`total_claimed_fen` of each settlement, in one JSON-RPC batch."""
        functions = [self.contract.functions.totalClaimedFen(sid) for sid in settlement_ids]
        return [int(total) for total in read_many(self.w3, functions)]
