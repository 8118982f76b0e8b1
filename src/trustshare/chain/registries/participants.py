"""Client of the Participants registry: bureaus and insurers of the network."""

from __future__ import annotations

from dataclasses import dataclass
from enum import IntEnum

from trustshare.chain.registries.base import RegistryClient
from trustshare.chain.sender import TxOutcome


class ParticipantRole(IntEnum):
    """Mirror of ``IParticipants.Role``."""

    NONE = 0
    BUREAU = 1
    INSURER = 2


@dataclass(frozen=True)
class Participant:
    """A registered bureau or insurer."""

    address: str
    role: ParticipantRole
    active: bool
    registered_at: int
    removed_at: int
    encryption_key: bytes
    name: str
    endpoint: str


class ParticipantsClient(RegistryClient):
    """The operator's registry of bureaus and insurers."""

    contract_name = "Participants"

    def register_bureau(self, bureau: str, name: str, endpoint: str) -> TxOutcome:
        """Admit a bureau (operator only)."""
        return self._send(self.contract.functions.registerBureau(bureau, name, endpoint))

    def register_insurer(
        self, insurer: str, name: str, encryption_key: bytes, endpoint: str
    ) -> TxOutcome:
        """Admit an insurer with its 32-byte X25519 public key (operator only)."""
        return self._send(
            self.contract.functions.registerInsurer(insurer, name, encryption_key, endpoint)
        )

    def remove(self, account: str) -> TxOutcome:
        """Remove a participant for good (operator only)."""
        return self._send(self.contract.functions.removeParticipant(account))

    def designate_successor(self, removed_bureau: str, successor: str) -> TxOutcome:
        """Name the active bureau that takes over a removed bureau's bindings (operator only)."""
        return self._send(self.contract.functions.designateSuccessor(removed_bureau, successor))

    def successor_of(self, removed_bureau: str) -> str | None:
        """The bureau designated to take over ``removed_bureau``'s bindings, or None."""
        successor = str(self._call(self.contract.functions.successorOf(removed_bureau)))
        return None if int(successor, 16) == 0 else successor

    def rotate_encryption_key(self, insurer: str, new_key: bytes) -> TxOutcome:
        """Replace an insurer's X25519 key (the insurer itself or the operator)."""
        return self._send(self.contract.functions.rotateEncryptionKey(insurer, new_key))

    def update_endpoint(self, account: str, endpoint: str) -> TxOutcome:
        """Move a participant's node (the participant itself or the operator)."""
        return self._send(self.contract.functions.updateEndpoint(account, endpoint))

    def is_active_bureau(self, account: str) -> bool:
        """Whether ``account`` is an active bureau."""
        return bool(self._call(self.contract.functions.isActiveBureau(account)))

    def is_active_insurer(self, account: str) -> bool:
        """Whether ``account`` is an active insurer."""
        return bool(self._call(self.contract.functions.isActiveInsurer(account)))

    def participant(self, account: str) -> Participant:
        """The record of ``account`` (role NONE if never registered)."""
        role, active, registered, removed, key, name, endpoint = self._call(
            self.contract.functions.participant(account)
        )
        return Participant(
            account, ParticipantRole(role), active, registered, removed, bytes(key), name, endpoint
        )

    def operator(self) -> str:
        """The network operator (the registry's owner)."""
        return str(self._call(self.contract.functions.owner()))
