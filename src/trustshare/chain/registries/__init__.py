"""Typed clients of the registries: methods speak the domain, errors arrive typed."""

from trustshare.chain.registries.attestation import (
    AttestationRegistryClient,
    Batch,
    BatchKind,
    SettlementLeaf,
)
from trustshare.chain.registries.claims import Claim, ClaimRegistryClient, ClaimRequest
from trustshare.chain.registries.consent import (
    ConsentRegistryClient,
    ConsentState,
    PermissionStatus,
)
from trustshare.chain.registries.network import Registries
from trustshare.chain.registries.participants import (
    Participant,
    ParticipantRole,
    ParticipantsClient,
)

__all__ = [
    "AttestationRegistryClient",
    "Batch",
    "BatchKind",
    "Claim",
    "ClaimRegistryClient",
    "ClaimRequest",
    "ConsentRegistryClient",
    "ConsentState",
    "Participant",
    "ParticipantRole",
    "ParticipantsClient",
    "PermissionStatus",
    "Registries",
    "SettlementLeaf",
]
