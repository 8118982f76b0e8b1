"""Participants: the operator admits, removes and updates bureaus and insurers."""

from __future__ import annotations

import pytest

from trustshare.chain.contract_errors import (
    OwnableUnauthorizedAccount,
    ParticipantsAlreadyRegistered,
    ParticipantsInvalidEncryptionKey,
    ParticipantsNotActive,
    ParticipantsUnauthorized,
)
from trustshare.chain.registries import ParticipantRole

from ..conftest import INSURER_KEY, Network


def test_registered_parties_are_visible_with_their_details(network: Network) -> None:
    participants = network.registries().participants
    insurer = participants.participant(network.insurer.address)
    assert insurer.role is ParticipantRole.INSURER
    assert insurer.active and insurer.encryption_key == INSURER_KEY
    assert insurer.name == "Insurer A"
    assert participants.is_active_bureau(network.bureau.address)
    assert not participants.is_active_insurer(network.bureau.address)
    assert participants.operator() == network.operator.address


def test_only_the_operator_registers(network: Network) -> None:
    participants = network.registries(network.outsider).participants
    with pytest.raises(OwnableUnauthorizedAccount) as refused:
        participants.register_bureau(network.outsider.address, "rogue", "http://rogue")
    assert refused.value.account == network.outsider.address


def test_zero_encryption_key_is_refused(network: Network) -> None:
    participants = network.registries(network.operator).participants
    with pytest.raises(ParticipantsInvalidEncryptionKey):
        participants.register_insurer(network.outsider.address, "X", bytes(32), "http://x")


def test_removed_insurer_stays_removed(network: Network) -> None:
    participants = network.registries(network.operator).participants
    participants.remove(network.insurer_b.address)
    assert not participants.is_active_insurer(network.insurer_b.address)
    assert participants.participant(network.insurer_b.address).removed_at > 0
    with pytest.raises(ParticipantsAlreadyRegistered):
        participants.register_insurer(network.insurer_b.address, "B", INSURER_KEY, "http://b")
    with pytest.raises(ParticipantsNotActive):
        participants.remove(network.insurer_b.address)


def test_insurer_rotates_its_own_key_but_not_anothers(network: Network) -> None:
    own = network.registries(network.insurer).participants
    new_key = bytes.fromhex("33" * 32)
    outcome = own.rotate_encryption_key(network.insurer.address, new_key)
    assert own.events(outcome, "EncryptionKeyRotated")[0]["newKey"] == new_key
    assert own.participant(network.insurer.address).encryption_key == new_key
    with pytest.raises(ParticipantsUnauthorized) as refused:
        own.rotate_encryption_key(network.insurer_b.address, new_key)
    assert refused.value.caller == network.insurer.address
