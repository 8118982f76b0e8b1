"""The signing insurer's registry record, kept for a couple of seconds.

Every release asks the chain twice about the insurer that signed it: whether it is an active
insurer (before its nonce is spent) and for its registered X25519 key (to seal the disclosure
to). Both come from one ``Participants.participant`` record, which :class:`SigningInsurers`
keeps for :data:`SIGNER_TTL_SECONDS` per address.

Why this is safe: the cache decides only who may *ask*. Whether anything is *released* is
decided by the patient's consent, which the bureau reads on chain at the latest block for every
record of every request and never caches — and the consent registry's ``permissionOf`` checks
again that the insurer is active (``INSURER_INACTIVE``). So an insurer removed from the network
may still get its requests through for up to the TTL, but every one of them is refused (403,
logged). A rotated encryption key takes effect within the TTL; the insurer keeps its earlier
keys to open what was sealed to them.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

from trustshare.chain.registries.participants import (
    Participant,
    ParticipantRole,
    ParticipantsClient,
)

SIGNER_TTL_SECONDS = 2.0
"""How long a participant record is reused before the chain is asked again."""
MAX_KEPT = 10_000
"""More distinct signers than this (the network has a handful of insurers) start afresh."""


class SigningInsurers:
    """Participant records of request signers, each read again ``ttl`` seconds after the last.

    Thread-safe: the records are kept under a lock; a miss is read outside it, so two threads
    missing the same address at once may both read it (the later answer is kept).
    """

    def __init__(
        self,
        participants: ParticipantsClient,
        *,
        ttl: float = SIGNER_TTL_SECONDS,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        """Read through ``participants``; ``clock`` (seconds) decides when a record is stale."""
        self._participants, self._ttl, self._clock = participants, ttl, clock
        self._lock = threading.Lock()
        self._kept: dict[str, tuple[float, Participant]] = {}  # address → (read at, record)

    def participant(self, address: str) -> Participant:
        """The ``Participants`` record of ``address``, at most ``ttl`` seconds old."""
        asked_at = self._clock()
        with self._lock:
            read_at, record = self._kept.get(address, (None, None))
        if record is None or read_at is None or asked_at - read_at >= self._ttl:
            record = self._participants.participant(address)
            self._keep(address, asked_at, record)
        return record

    def _keep(self, address: str, read_at: float, record: Participant) -> None:
        with self._lock:
            if address not in self._kept and len(self._kept) >= MAX_KEPT:
                self._kept.clear()
            self._kept[address] = (read_at, record)

    def is_active_insurer(self, address: str) -> bool:
        """``Participants.isActiveInsurer`` (active, with the insurer role) of the kept record."""
        record = self.participant(address)
        return record.active and record.role is ParticipantRole.INSURER
