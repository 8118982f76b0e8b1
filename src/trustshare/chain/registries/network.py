"""All four registries of one deployment, as one handle."""

from __future__ import annotations

from dataclasses import dataclass

from web3 import Web3

from trustshare.chain.deployment import Deployment
from trustshare.chain.registries.attestation import AttestationRegistryClient
from trustshare.chain.registries.claims import ClaimRegistryClient
from trustshare.chain.registries.consent import ConsentRegistryClient
from trustshare.chain.registries.participants import ParticipantsClient
from trustshare.chain.sender import TransactionSender


@dataclass(frozen=True)
class Registries:
    """The registries of ``deployment``, sending as ``sender`` (read-only if None)."""

    participants: ParticipantsClient
    consents: ConsentRegistryClient
    attestations: AttestationRegistryClient
    claims: ClaimRegistryClient

    @classmethod
    def connect(
        cls, w3: Web3, deployment: Deployment, sender: TransactionSender | None = None
    ) -> Registries:
        """Clients for every registry of ``deployment`` on ``w3``."""
        return cls(
            ParticipantsClient(w3, deployment.participants, sender),
            ConsentRegistryClient(w3, deployment.consent_registry, sender),
            AttestationRegistryClient(w3, deployment.attestation_registry, sender),
            ClaimRegistryClient(w3, deployment.claim_registry, sender),
        )

    def acting_as(self, sender: TransactionSender) -> Registries:
        """The same registries, sending as ``sender``."""
        return Registries(
            self.participants.acting_as(sender),
            self.consents.acting_as(sender),
            self.attestations.acting_as(sender),
            self.claims.acting_as(sender),
        )
