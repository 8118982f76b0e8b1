"""The real-time path's chain caches read ahead of expiry, and are never staler than before.

Unit tests drive :class:`TtlCache` with a hand-turned clock and an executor that runs what it
was given only when told; the last tests use the real chain: a revoked consent and a removed
bureau are seen within the cache's lifetime, with or without a read ahead.
"""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import Executor, Future
from dataclasses import dataclass, field
from typing import Any

import pytest

from trustshare.chain.registries.consent import PermissionStatus
from trustshare.insurer.chain_view import ChainView, TtlCache

from ..bureau.hospital_support import PATIENT_PSEUDONYM, consent_to_direct_settlement
from ..conftest import Network

TTL = 2.0


@dataclass
class Clock:
    """Seconds that pass only when the test says so."""

    now: float = 100.0

    def __call__(self) -> float:
        return self.now


@dataclass
class Chain:
    """What a lookup reads: the current answer; how often it was read; a failure to raise."""

    answer: str = "permitted"
    reads: int = 0
    failure: Exception | None = None
    clock: Clock | None = None
    read_takes: float = 0.0

    def read(self, key: str) -> str:
        self.reads += 1
        if self.clock is not None:
            self.clock.now += self.read_takes
        if self.failure is not None:
            raise self.failure
        return f"{key}:{self.answer}"


@dataclass
class HeldExecutor(Executor):
    """Keeps what is submitted until :meth:`run` (or drops it, if never run)."""

    held: list[Callable[[], object]] = field(default_factory=list)

    def submit(self, fn: Callable[..., Any], /, *args: Any, **kwargs: Any) -> Future[Any]:
        self.held.append(lambda: fn(*args, **kwargs))
        return Future()

    def run(self) -> None:
        held, self.held = self.held, []
        for call in held:
            call()


def _cache(chain: Chain, clock: Clock, executor: Executor | None) -> TtlCache[str, str]:
    return TtlCache(chain.read, ttl=TTL, clock=clock, refresh=executor)


def test_a_young_value_is_answered_from_the_cache_without_reading_ahead() -> None:
    clock, chain, executor = Clock(), Chain(), HeldExecutor()
    cache = _cache(chain, clock, executor)
    assert cache.get("p") == "p:permitted"
    clock.now += TTL / 2 - 0.01
    chain.answer = "revoked"
    assert cache.get("p") == "p:permitted"
    assert (chain.reads, executor.held) == (1, [])


def test_an_older_value_is_answered_and_read_again_in_the_background_once() -> None:
    clock, chain, executor = Clock(), Chain(), HeldExecutor()
    cache = _cache(chain, clock, executor)
    cache.get("p")
    chain.answer = "revoked"
    clock.now += TTL * 0.6
    assert [cache.get("p"), cache.get("p")] == ["p:permitted", "p:permitted"]
    assert (chain.reads, len(executor.held)) == (1, 1)  # one read ahead per key at a time
    executor.run()
    assert cache.get("p") == "p:revoked"  # seen before the first value's time was up
    assert chain.reads == 2


def test_a_value_as_old_as_the_ttl_is_read_again_before_it_is_answered() -> None:
    clock, chain, executor = Clock(), Chain(), HeldExecutor()
    cache = _cache(chain, clock, executor)
    cache.get("p")
    chain.answer = "revoked"
    clock.now += TTL * 0.6
    cache.get("p")  # a read ahead is asked for, but never runs
    clock.now += TTL * 0.4
    assert cache.get("p") == "p:revoked"


def test_a_value_ages_from_the_moment_its_read_began() -> None:
    clock = Clock()
    chain = Chain(clock=clock, read_takes=TTL * 0.75)
    cache = _cache(chain, clock, None)
    cache.get("p")  # read from 100.0 to 101.5
    chain.answer, chain.read_takes = "revoked", 0.0
    clock.now += TTL * 0.25  # 2 s after the read began, 0.5 s after it ended
    assert cache.get("p") == "p:revoked"


def test_a_read_ahead_that_lands_late_does_not_replace_a_newer_value() -> None:
    clock, chain, executor = Clock(), Chain(), HeldExecutor()
    cache = _cache(chain, clock, executor)
    cache.get("p")
    clock.now += TTL * 0.6
    cache.get("p")  # a read ahead is asked for at 101.2
    chain.answer = "revoked"
    clock.now += TTL * 0.5
    assert cache.get("p") == "p:revoked"  # expired: read at once, at 102.2
    chain.answer = "permitted"
    clock.now -= TTL * 0.1  # the read ahead starts earlier than that read (101.99)…
    executor.run()  # …and lands after it: the newer value stays
    clock.now += TTL * 0.1
    assert cache.get("p") == "p:revoked"


def test_a_failed_read_ahead_keeps_the_value_until_it_expires_then_the_error_shows() -> None:
    clock, chain, executor = Clock(), Chain(), HeldExecutor()
    cache = _cache(chain, clock, executor)
    cache.get("p")
    clock.now += TTL * 0.6
    chain.failure = ConnectionError("the chain is down")
    cache.get("p")
    executor.run()  # logged, not raised
    assert cache.get("p") == "p:permitted"
    clock.now += TTL * 0.4
    with pytest.raises(ConnectionError):
        cache.get("p")


def test_without_an_executor_or_with_a_zero_ttl_every_expiry_is_read_when_asked() -> None:
    clock, chain = Clock(), Chain()
    cache = _cache(chain, clock, None)
    cache.get("p")
    clock.now += TTL * 0.9
    assert (cache.get("p"), chain.reads) == ("p:permitted", 1)
    uncached = TtlCache(chain.read, ttl=0, clock=clock, refresh=HeldExecutor())
    uncached.get("p")
    uncached.get("p")
    assert chain.reads == 3


def test_a_revoked_consent_is_seen_ahead_of_expiry_or_at_it(network: Network) -> None:
    consent_to_direct_settlement(network, network.insurer)
    clock = Clock()
    view = ChainView(network.registries(), network.insurer.address, ttl=TTL, clock=clock)
    ahead = ChainView(network.registries(), network.insurer.address, ttl=TTL, clock=clock)
    assert view.direct_settlement_permission(PATIENT_PSEUDONYM) is PermissionStatus.PERMITTED
    assert ahead.direct_settlement_permission(PATIENT_PSEUDONYM) is PermissionStatus.PERMITTED
    consents = network.registries(network.patient).consents
    state = consents.consent_of(PATIENT_PSEUDONYM, network.insurer.address)
    consents.revoke(PATIENT_PSEUDONYM, network.insurer.address, state.consent_id)

    clock.now += TTL * 0.6
    ahead.direct_settlement_permission(PATIENT_PSEUDONYM)  # reads ahead in its thread
    ahead.close(wait=True)
    assert ahead.direct_settlement_permission(PATIENT_PSEUDONYM) is PermissionStatus.REVOKED

    view.close()  # no read ahead: the cached answer holds until the TTL, not a moment longer
    assert view.direct_settlement_permission(PATIENT_PSEUDONYM) is PermissionStatus.PERMITTED
    clock.now += TTL * 0.4
    assert view.direct_settlement_permission(PATIENT_PSEUDONYM) is PermissionStatus.REVOKED


def test_a_removed_bureau_is_refused_once_its_status_expires(network: Network) -> None:
    clock = Clock()
    view = ChainView(network.registries(), network.insurer.address, ttl=TTL, clock=clock)
    bureau = network.bureau.address
    assert view.is_active_bureau(bureau)
    network.registries(network.operator).participants.remove(bureau)
    clock.now += TTL * 0.6
    assert view.is_active_bureau(bureau)  # within the TTL, as before; read ahead now
    view.close(wait=True)
    assert not view.is_active_bureau(bureau)
    clock.now += TTL
    assert not view.is_active_bureau(bureau)
    assert view.bureau_endpoint(bureau) is None
