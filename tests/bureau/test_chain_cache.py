"""The bureau's 2 s cache of signing insurers, against the real Participants registry."""

from __future__ import annotations

from trustshare.bureau.chain_cache import SIGNER_TTL_SECONDS, SigningInsurers
from trustshare.crypto.sealing import SealingPrivateKey

from ..conftest import Network


class Clock:
    def __init__(self) -> None:
        self.now = 50.0

    def __call__(self) -> float:
        return self.now


def test_a_rotated_key_is_seen_once_the_kept_record_expires(network: Network) -> None:
    clock = Clock()
    insurers = SigningInsurers(network.registries().participants, clock=clock)
    before = insurers.participant(network.insurer.address).encryption_key
    rotated = SealingPrivateKey.generate().public_key().to_bytes()
    own = network.registries(network.insurer).participants
    own.rotate_encryption_key(network.insurer.address, rotated)

    clock.now += SIGNER_TTL_SECONDS - 0.01
    kept = insurers.participant(network.insurer.address).encryption_key
    clock.now += 0.01
    fresh = insurers.participant(network.insurer.address).encryption_key

    assert before != rotated
    assert (kept, fresh) == (before, rotated)


def test_only_active_insurers_may_sign_and_a_removal_shows_after_the_ttl(
    network: Network,
) -> None:
    clock = Clock()
    insurers = SigningInsurers(network.registries().participants, clock=clock)
    assert insurers.is_active_insurer(network.insurer.address)
    assert not insurers.is_active_insurer(network.bureau.address)  # active, but a bureau
    assert not insurers.is_active_insurer(network.outsider.address)  # never registered

    network.registries(network.operator).participants.remove(network.insurer.address)
    assert insurers.is_active_insurer(network.insurer.address)  # kept for the TTL
    clock.now += SIGNER_TTL_SECONDS
    assert not insurers.is_active_insurer(network.insurer.address)
