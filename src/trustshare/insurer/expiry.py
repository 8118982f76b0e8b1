"""Release of real-time holds whose settlement was never cleared, in a background thread."""

from __future__ import annotations

import logging
import threading

from trustshare.insurer.context import InsurerContext
from trustshare.insurer.realtime import release_expired_holds

logger = logging.getLogger(__name__)


class HoldReleaser:
    """Every ``interval`` seconds, release the holds past their expiry."""

    def __init__(self, context: InsurerContext, *, interval: float = 30.0) -> None:
        """Release holds of ``context``'s database."""
        self._context = context
        self._interval = interval
        self._stopping = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        """Start the thread (once)."""
        if self._thread is None:
            self._thread = threading.Thread(target=self._run, name="hold-releaser", daemon=True)
            self._thread.start()

    def stop(self) -> None:
        """Stop the thread and wait for it."""
        self._stopping.set()
        if self._thread is not None:
            self._thread.join(timeout=10)

    def run_once(self) -> int:
        """Release what has expired now; how many holds were released."""
        return release_expired_holds(self._context.sessions, now=self._context.clock())

    def _run(self) -> None:
        while not self._stopping.is_set():
            try:
                released = self.run_once()
                if released:
                    logger.info("released %d expired holds", released)
            except Exception:  # a database hiccup must not end the thread
                logger.exception("releasing expired holds failed")
            self._stopping.wait(self._interval)
