"""Read-only chain lookups on the real-time path, reused for a short time.

A real-time authorisation must answer within the bureau's deadline (hundreds of ms; the issue's
target is p99 ≤ 20 ms), so it cannot make two RPC calls per request. Whether a bureau is active
and what a patient's consent permits change rarely and are read again after ``ttl`` seconds:
a revocation reaches this node at most ``ttl`` seconds late. That only bounds how long the node
may go on *holding* money; no record is released on it, and a claim re-checks consent on chain.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Generic, TypeVar

from trustshare.chain.registries import Registries
from trustshare.chain.registries.attestation import Batch, BatchKind
from trustshare.chain.registries.consent import PermissionStatus
from trustshare.crypto.vocabulary import Purpose, Scope

_Key = TypeVar("_Key")
_Value = TypeVar("_Value")
_MAX_ENTRIES = 100_000


class TtlCache(Generic[_Key, _Value]):
    """Values computed by ``load`` and kept for ``ttl`` seconds (thread-safe, bounded)."""

    def __init__(
        self,
        load: Callable[[_Key], _Value],
        *,
        ttl: float,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        """Cache ``load``'s results for ``ttl`` seconds by ``clock``."""
        self._load = load
        self._ttl = ttl
        self._clock = clock
        self._entries: dict[_Key, tuple[float, _Value]] = {}
        self._lock = threading.Lock()

    def get(self, key: _Key) -> _Value:
        """The cached value, or a fresh one (loaded outside the lock)."""
        now = self._clock()
        with self._lock:
            entry = self._entries.get(key)
        if entry is not None and now - entry[0] < self._ttl:
            return entry[1]
        value = self._load(key)
        with self._lock:
            if len(self._entries) >= _MAX_ENTRIES:
                self._entries.clear()
            self._entries[key] = (now, value)
        return value


class ChainView:
    """What the node asks the chain often, through short-lived caches.

    Whether a bureau is active (and where it answers) and what a consent permits for direct
    settlement are kept ``ttl`` seconds; a committed batch never changes, so it is kept for good
    once seen. What a claim must see fresh (its consent, the claimed total, supersession) is
    not read through here.
    """

    def __init__(self, registries: Registries, insurer: str, *, ttl: float) -> None:
        """Look up as seen by ``insurer`` (this node's address)."""
        self._registries = registries
        self._insurer = insurer
        self._bureaus: TtlCache[str, bool] = TtlCache(
            registries.participants.is_active_bureau, ttl=ttl
        )
        self._permissions: TtlCache[bytes, PermissionStatus] = TtlCache(
            self._direct_settlement_permission, ttl=ttl
        )
        self._endpoints: TtlCache[str, str | None] = TtlCache(self._bureau_endpoint, ttl=ttl)
        self._committed: dict[bytes, Batch] = {}
        self._committed_lock = threading.Lock()

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
