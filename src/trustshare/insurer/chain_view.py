"""Read-only chain lookups on the real-time path, reused for a short time.

A real-time authorisation must answer within the bureau's deadline (hundreds of ms; the issue's
target is p99 ≤ 20 ms), so it cannot make two RPC calls per request. Whether a bureau is active
and what a patient's consent permits change rarely and are read again after ``ttl`` seconds:
a revocation reaches this node at most ``ttl`` seconds late. That only bounds how long the node
may go on *holding* money; no record is released on it, and a claim re-checks consent on chain.

A value still asked for in the second half of its life is read again *ahead* of expiry, in a
background thread, so that a steady stream of requests never waits for the chain; the bound
is unchanged: no value is used more than ``ttl`` seconds after its chain read began, and an
expired one is read again before it is answered, as without refresh-ahead.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from concurrent.futures import Executor, ThreadPoolExecutor
from typing import Generic, TypeVar

from trustshare.chain.registries import Registries
from trustshare.chain.registries.attestation import Batch, BatchKind
from trustshare.chain.registries.consent import PermissionStatus
from trustshare.crypto.vocabulary import Purpose, Scope

_Key = TypeVar("_Key")
_Value = TypeVar("_Value")
_MAX_ENTRIES = 100_000

logger = logging.getLogger(__name__)


class TtlCache(Generic[_Key, _Value]):
    """Values computed by ``load`` and kept for ``ttl`` seconds (thread-safe, bounded).

    A value read in the last ``ttl - refresh_after`` seconds of its life is answered from the
    cache and loaded again by ``refresh`` (a background executor; one load per key at a time),
    so that the next reader finds it fresh. A value as old as ``ttl`` is never answered: it
    is loaded again first. Its age counts from the moment its load *began*.
    """

    def __init__(
        self,
        load: Callable[[_Key], _Value],
        *,
        ttl: float,
        clock: Callable[[], float] = time.monotonic,
        refresh: Executor | None = None,
        refresh_after: float | None = None,
    ) -> None:
        """Cache ``load``'s results for ``ttl`` seconds by ``clock``.

        With a ``refresh`` executor, reads after ``refresh_after`` seconds (default half the
        ``ttl``) load the value again there; without one, a value is loaded when it expires.
        """
        self._load = load
        self._ttl = ttl
        self._clock = clock
        self._refresh = refresh
        self._refresh_after = ttl / 2 if refresh_after is None else min(refresh_after, ttl)
        self._entries: dict[_Key, tuple[float, _Value]] = {}
        self._refreshing: set[_Key] = set()
        self._lock = threading.Lock()

    def get(self, key: _Key) -> _Value:
        """The cached value, or a fresh one (loaded outside the lock)."""
        now = self._clock()
        with self._lock:
            entry = self._entries.get(key)
            if entry is not None and now - entry[0] < self._ttl:
                if now - entry[0] >= self._refresh_after:
                    self._refresh_ahead(key)
                return entry[1]
        return self._load_and_keep(key, now)

    def _refresh_ahead(self, key: _Key) -> None:
        """Load ``key`` again in the background unless that is already under way (lock held)."""
        if self._refresh is None or key in self._refreshing:
            return
        self._refreshing.add(key)
        try:
            self._refresh.submit(self._background_load, key)
        except RuntimeError:  # the executor is shut down: the value is loaded when it expires
            self._refreshing.discard(key)

    def _background_load(self, key: _Key) -> None:
        try:
            self._load_and_keep(key, self._clock())
        except Exception:  # the chain is unreachable: the value expires and is loaded then
            logger.warning("refreshing a chain lookup ahead of expiry failed", exc_info=True)
        finally:
            with self._lock:
                self._refreshing.discard(key)

    def _load_and_keep(self, key: _Key, started: float) -> _Value:
        value = self._load(key)
        with self._lock:
            known = self._entries.get(key)
            if known is not None and known[0] > started:  # a later read already landed
                return value
            if len(self._entries) >= _MAX_ENTRIES:
                self._entries.clear()
            self._entries[key] = (started, value)
        return value


class ChainView:
    """What the node asks the chain often, through short-lived caches.

    Whether a bureau is active (and where it answers) and what a consent permits for direct
    settlement are kept ``ttl`` seconds, and read again ahead of expiry in one background thread
    while they are in use (see :class:`TtlCache`); a committed batch never changes, so it is
    kept for good once seen. What a claim must see fresh (its consent, the claimed total,
    supersession) is not read through here.
    """

    def __init__(
        self,
        registries: Registries,
        insurer: str,
        *,
        ttl: float,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        """Look up as seen by ``insurer`` (this node's address); ages by ``clock``."""
        self._registries = registries
        self._insurer = insurer
        self._refresh = ThreadPoolExecutor(max_workers=1, thread_name_prefix="chain-refresh")
        self._bureaus: TtlCache[str, bool] = TtlCache(
            registries.participants.is_active_bureau, ttl=ttl, clock=clock, refresh=self._refresh
        )
        self._permissions: TtlCache[bytes, PermissionStatus] = TtlCache(
            self._direct_settlement_permission, ttl=ttl, clock=clock, refresh=self._refresh
        )
        self._endpoints: TtlCache[str, str | None] = TtlCache(
            self._bureau_endpoint, ttl=ttl, clock=clock, refresh=self._refresh
        )
        self._committed: dict[bytes, Batch] = {}
        self._committed_lock = threading.Lock()

    def close(self, *, wait: bool = False) -> None:
        """Stop reading ahead (lookups still work: an expired value is read when asked).

        ``wait``: let a read already under way finish first (it still lands in the cache).
        """
        self._refresh.shutdown(wait=wait, cancel_futures=not wait)

    def is_active_bureau(self, address: str) -> bool:
        """Whether ``address`` is an active bureau of the network."""
        return self._bureaus.get(address)

    def bureau_endpoint(self, address: str) -> str | None:
        """The endpoint of ``address`` if it is an active bureau (None if it is not)."""
        return self._endpoints.get(address)

    def committed_batch(self, root: bytes) -> Batch | None:
        """The batch committed under ``root``, or None if none is (yet)."""
        with self._committed_lock:
            known = self._committed.get(root)
        if known is not None:
            return known
        batch = self._registries.attestations.batch_of(root)
        if batch.kind is BatchKind.NONE:
            return None
        with self._committed_lock:
            if len(self._committed) >= _MAX_ENTRIES:
                self._committed.clear()
            self._committed[root] = batch
        return batch

    def direct_settlement_permission(self, pseudonym: bytes) -> PermissionStatus:
        """What the patient's consent says about DIRECT_SETTLEMENT of the settlement summary."""
        return self._permissions.get(pseudonym)

    def _direct_settlement_permission(self, pseudonym: bytes) -> PermissionStatus:
        return self._registries.consents.permission_of(
            pseudonym, self._insurer, Scope.SETTLEMENT_SUMMARY, Purpose.DIRECT_SETTLEMENT
        )

    def _bureau_endpoint(self, address: str) -> str | None:
        participants = self._registries.participants
        if not participants.is_active_bureau(address):
            return None
        return participants.participant(address).endpoint.rstrip("/")
