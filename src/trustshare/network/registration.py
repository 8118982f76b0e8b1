"""Admitting the network's parties on chain, as its operator does, and finding them there.

Registration is idempotent, so a restart converges instead of failing: a party not yet known
is registered, a changed endpoint is updated, an insurer whose keystore has a newer sealing key
gets it rotated. Each party's account is topped up with test ether from the operator so it can
send its own transactions (batch commits, relayed consents, claims).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from eth_typing import ChecksumAddress
from web3 import Web3
from web3.types import TxParams, Wei

from trustshare.chain.registries import Registries
from trustshare.chain.registries.participants import Participant, ParticipantRole
from trustshare.chain.sender import TransactionSender, TxOutcome
from trustshare.network.errors import NetworkError

#: What each party holds after a top-up (dev chain test ether).
TOP_UP_WEI = Web3.to_wei(100, "ether")

Progress = Callable[[str], None]


@dataclass(frozen=True)
class Party:
    """A bureau (no encryption key) or an insurer, as the registry should show it."""

    address: str
    name: str
    endpoint: str
    encryption_key: bytes | None = None

    @property
    def role(self) -> ParticipantRole:
        """The role it is registered with."""
        return ParticipantRole.BUREAU if self.encryption_key is None else ParticipantRole.INSURER


def top_up(sender: TransactionSender, addresses: Sequence[str]) -> list[TxOutcome]:
    """Send each address enough test ether to hold :data:`TOP_UP_WEI`."""
    outcomes = []
    for address in addresses:
        account: ChecksumAddress = Web3.to_checksum_address(address)
        balance = sender.w3.eth.get_balance(account)
        if balance < TOP_UP_WEI:
            tx: TxParams = {
                "from": sender.address,
                "to": account,
                "value": Wei(TOP_UP_WEI - balance),
            }
            outcomes.append(sender.send(tx, label="top up"))
    return outcomes


def register(operator: Registries, parties: Sequence[Party], progress: Progress) -> None:
    """Bring each party's on-chain entry to what it should be (module doc)."""
    participants = operator.participants
    for party in parties:
        known = participants.participant(party.address)
        if known.role == ParticipantRole.NONE:
            if party.encryption_key is None:
                participants.register_bureau(party.address, party.name, party.endpoint)
            else:
                participants.register_insurer(
                    party.address, party.name, party.encryption_key, party.endpoint
                )
            progress(f"registered {party.role.name.lower()} {party.name} at {party.endpoint}")
            continue
        _refuse_mismatch(party, known)
        if known.endpoint != party.endpoint:
            participants.update_endpoint(party.address, party.endpoint)
            progress(f"moved {party.name}'s endpoint to {party.endpoint}")
        if party.encryption_key is not None and known.encryption_key != party.encryption_key:
            participants.rotate_encryption_key(party.address, party.encryption_key)
            progress(f"rotated {party.name}'s encryption key")


def _refuse_mismatch(party: Party, known: Participant) -> None:
    if known.role != party.role or not known.active:
        state = "removed" if not known.active else f"a {known.role.name.lower()}"
        raise NetworkError(
            f"{party.address} ({party.name}) is {state} on chain, not an active "
            f"{party.role.name.lower()}: start over with --fresh"
        )
