"""Memory of the processes a benchmark runs: RSS and PSS from Linux's ``/proc``.

Outside Linux the readings are 0 (the figures are then absent, not wrong).
"""

from __future__ import annotations

import contextlib
import os
import resource
import threading
from pathlib import Path


def peak_rss_mb() -> float:
    """The peak resident set size of this process so far (Linux reports KiB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def rss_mb(pid: int | str = "self") -> float:
    """A process's resident set size now (0 if it is gone)."""
    try:
        with open(f"/proc/{pid}/statm") as statm:
            return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20
    except (FileNotFoundError, ProcessLookupError):
        return 0.0


def pss_mb(pid: int | str = "self") -> float:
    """A process's proportional set size: pages shared after fork counted once overall."""
    try:
        with open(f"/proc/{pid}/smaps_rollup") as rollup:
            for line in rollup:
                if line.startswith("Pss:"):
                    return int(line.split()[1]) / 1024
    except (FileNotFoundError, ProcessLookupError):
        pass
    return 0.0


def child_pids() -> list[int]:
    """The children of this process (ingest workers, the publisher, anvil)."""
    pids: list[int] = []
    with contextlib.suppress(FileNotFoundError):
        for task in Path("/proc/self/task").iterdir():
            with contextlib.suppress(FileNotFoundError):
                pids += [int(pid) for pid in (task / "children").read_text().split()]
    return pids


class ResidentSampler:
    """Samples the node's memory: its RSS, and the PSS of it and its children but one (anvil)."""

    def __init__(self, excluded: int, interval: float = 0.2) -> None:
        self.excluded = excluded
        self.interval = interval
        self.peak_total_mb = 0.0
        self.peak_node_mb = 0.0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self._stop.wait(self.interval):
            node = rss_mb()
            workers = sum(pss_mb(pid) for pid in child_pids() if pid != self.excluded)
            self.peak_node_mb = max(self.peak_node_mb, node)
            self.peak_total_mb = max(self.peak_total_mb, pss_mb() + workers)

    def __enter__(self) -> ResidentSampler:
        self._thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._stop.set()
        self._thread.join()
