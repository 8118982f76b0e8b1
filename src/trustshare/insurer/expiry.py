"""The holds worker: opens window claims for held holds (clearing) and releases expired ones.

It runs in a background thread of the node every ``interval`` seconds; the claim worker
(:mod:`.claim_outbox`) then fetches, verifies and records the window claims it opened.
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass
from datetime import UTC, datetime

from trustshare.insurer import clearing
from trustshare.insurer.context import InsurerContext

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class HoldsReport:
    """What one round did: window claims opened, holds released."""

    opened: int
    released: int


class HoldsWorker:
    """Every ``interval`` seconds, clear the held holds and release the expired ones."""

    def __init__(self, context: InsurerContext, *, interval: float = 5.0) -> None:
        """Work on ``context``'s database."""
        self._context = context
        self._interval = interval
        self._stopping = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        """Start the thread (once)."""
        if self._thread is None:
            self._thread = threading.Thread(target=self._run, name="holds-worker", daemon=True)
            self._thread.start()

    def stop(self) -> None:
        """Stop the thread and wait for it."""
        self._stopping.set()
        if self._thread is not None:
            self._thread.join(timeout=10)

    def run_once(self) -> HoldsReport:
        """Release what has expired by the node's clock, then open window claims for the rest."""
        now = datetime.fromtimestamp(self._context.clock(), UTC)
        released = clearing.release_expired(self._context, now=now)
        opened = clearing.open_window_claims(self._context, now=now)
        return HoldsReport(opened=opened, released=released)

    def _run(self) -> None:
        while not self._stopping.is_set():
            try:
                report = self.run_once()
                if report.opened or report.released:
                    logger.info(
                        "holds: %d window claims opened, %d released",
                        report.opened,
                        report.released,
                    )
            except Exception:  # a database hiccup must not end the thread
                logger.exception("the holds worker failed")
            self._stopping.wait(self._interval)
