"""Helpers for the network tests: run `network up` as a user would, find what still runs."""

from __future__ import annotations

import os
import queue
import re
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

TRUSTSHARE = [sys.executable, "-m", "trustshare.cli"]
FREE_PORTS = ["--chain-port", "0", "--bureau-port", "0", "--insurer-port", "0"]
NODE_LINE = re.compile(
    r"^(?P<name>\S.*?)\s{2,}(?P<role>bureau|insurer)\s+(?P<address>0x[0-9a-fA-F]{40})"
)
URL_LINE = re.compile(r"^\s+url (?P<url>http://127\.0\.0\.1:\d+)\s+OpenAPI (?P<docs>\S+)$")
CHAIN_LINE = re.compile(r"^chain\s+(?P<rpc>http://127\.0\.0\.1:\d+)")


@dataclass(frozen=True)
class PrintedNode:
    """One node as `network up` printed it."""

    name: str
    role: str
    address: str
    url: str
    docs: str


@dataclass
class UpProcess:
    """A running `trustshare network up` and what it printed."""

    process: subprocess.Popen[str]
    lines: list[str] = field(default_factory=list)
    _queue: queue.Queue[str | None] = field(default_factory=queue.Queue)

    def read_until(self, marker: str, timeout: float = 90.0) -> None:
        """Collect output lines until one contains ``marker`` (fail on exit or timeout)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                line = self._queue.get(timeout=0.5)
            except queue.Empty:
                continue
            if line is None:
                raise AssertionError(f"network up ended before {marker!r}:\n{self.output}")
            self.lines.append(line)
            if marker in line:
                return
        raise AssertionError(f"no {marker!r} within {timeout:.0f} s:\n{self.output}")

    def finish(self, timeout: float = 60.0) -> int:
        """Wait for the process to exit and collect the rest of its output."""
        code = self.process.wait(timeout=timeout)
        while (line := self._queue.get(timeout=5)) is not None:
            self.lines.append(line)
        return code

    @property
    def output(self) -> str:
        """Everything read so far."""
        return "".join(self.lines)

    @property
    def rpc_url(self) -> str:
        """The chain's URL as printed."""
        return next(m["rpc"] for line in self.lines if (m := CHAIN_LINE.match(line)))

    def nodes(self) -> list[PrintedNode]:
        """The printed nodes (a name line followed by its URL line)."""
        found = []
        for line, following in zip(self.lines, self.lines[1:], strict=False):
            head, urls = NODE_LINE.match(line), URL_LINE.match(following.rstrip("\n"))
            if head and urls:
                found.append(
                    PrintedNode(
                        head["name"], head["role"], head["address"], urls["url"], urls["docs"]
                    )
                )
        return found


def network_up(state_dir: Path, *arguments: str) -> UpProcess:
    """Start `trustshare network up` on free ports in ``state_dir`` (stderr merged)."""
    process = subprocess.Popen(
        [*TRUSTSHARE, "network", "up", "--state-dir", str(state_dir), *FREE_PORTS, *arguments],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    up = UpProcess(process)

    def pump() -> None:
        assert process.stdout is not None
        for line in process.stdout:
            up._queue.put(line)
        up._queue.put(None)

    threading.Thread(target=pump, daemon=True).start()
    return up


def processes_using(state_dir: Path) -> list[int]:
    """Pids of live processes whose command line or environment names ``state_dir``."""
    needle = str(state_dir.resolve()).encode()
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit() or int(entry.name) == os.getpid():
            continue
        try:
            if (entry / "stat").read_text().rsplit(")", 1)[1].split()[0] == "Z":
                continue
            seen = (entry / "cmdline").read_bytes() + (entry / "environ").read_bytes()
        except OSError:
            continue
        if needle in seen:
            found.append(int(entry.name))
    return found
