"""Node processes: started as the operator would start them, watched, and stopped.

Each node is ``python -m trustshare.cli {bureau|insurer} serve`` with its generated config file
named in the environment, in its own session (a Ctrl-C in the terminal reaches only the network,
which then stops the nodes in order), writing to its own log file. On Linux a node also gets
SIGTERM if the process that started it dies, so a killed network leaves no node behind.
"""

from __future__ import annotations

import ctypes
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

from trustshare.network.errors import NetworkCancelled, NodeFailed
from trustshare.network.pidfile import ProcessRecord

_PR_SET_PDEATHSIG = 1
#: Settings a node would otherwise inherit from the caller's shell, overriding its config file.
NODE_ENV_PREFIXES = ("TRUSTSHARE_BUREAU_", "TRUSTSHARE_INSURER_")


def _die_with_parent() -> None:
    """In the child, before exec: ask the kernel for SIGTERM when the parent dies (Linux)."""
    if sys.platform == "linux":
        ctypes.CDLL(None).prctl(_PR_SET_PDEATHSIG, signal.SIGTERM)


def node_environment(config_env: str, config_file: Path) -> dict[str, str]:
    """The caller's environment without node settings, plus the one naming ``config_file``."""
    inherited = {k: v for k, v in os.environ.items() if not k.startswith(NODE_ENV_PREFIXES)}
    return {**inherited, config_env: str(config_file)}


@dataclass
class NodeProcess:
    """A node's running process and where it logs."""

    name: str
    url: str
    process: subprocess.Popen[bytes]
    log_file: Path

    @classmethod
    def spawn(
        cls, name: str, url: str, command: Sequence[str], env: Mapping[str, str], log_file: Path
    ) -> NodeProcess:
        """Start ``command`` with ``env``, output appended to ``log_file``."""
        log_file.parent.mkdir(parents=True, exist_ok=True)
        with open(log_file, "ab") as log:
            process = subprocess.Popen(
                list(command),
                env=dict(env),
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
                preexec_fn=_die_with_parent,  # only prctl, before exec
            )
        return cls(name, url, process, log_file)

    def record(self) -> ProcessRecord:
        """Its entry in the pid file."""
        return ProcessRecord.of(self.name, self.process.pid)

    def is_running(self) -> bool:
        """Whether the process is still alive."""
        return self.process.poll() is None

    def log_tail(self, lines: int = 15) -> str:
        """The last lines of its log, indented, for error messages."""
        try:
            text = self.log_file.read_text(errors="replace")
        except OSError:
            return "    (no log)"
        return "\n".join("    " + line for line in text.splitlines()[-lines:])

    def failure(self, what: str) -> NodeFailed:
        """An error naming the node, what went wrong, its log file and the log's last lines."""
        return NodeFailed(f"{self.name} {what}; log {self.log_file}:\n{self.log_tail()}")

    def terminate(self) -> None:
        """Ask it to stop (SIGTERM: uvicorn finishes requests and stops background threads)."""
        if self.is_running():
            self.process.terminate()

    def wait_stopped(self, timeout: float = 15.0) -> None:
        """Wait for it to exit after :meth:`terminate`, killing it if it hangs."""
        try:
            self.process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(timeout=timeout)


def stop_all(nodes: Sequence[NodeProcess]) -> None:
    """Stop every node: all asked at once, then each waited for."""
    for node in nodes:
        node.terminate()
    for node in nodes:
        node.wait_stopped()


def wait_until_healthy(
    nodes: Sequence[NodeProcess],
    *,
    timeout: float = 90.0,
    cancel: threading.Event | None = None,
) -> dict[str, dict[str, Any]]:
    """Wait until every node answers ``GET /v1/health``; return each node's answer by name.

    Raises :class:`NodeFailed` (with the log's tail) if a node exits or does not answer in
    time, :class:`NetworkCancelled` if ``cancel`` is set meanwhile.
    """
    answers: dict[str, dict[str, Any]] = {}
    deadline = time.monotonic() + timeout
    with httpx.Client(timeout=1.0) as client:
        while len(answers) < len(nodes):
            for node in nodes:
                if node.name in answers:
                    continue
                if not node.is_running():
                    raise node.failure(f"exited with code {node.process.returncode} while starting")
                try:
                    reply = client.get(f"{node.url}/v1/health")
                except httpx.HTTPError:
                    continue
                if reply.status_code == 200:
                    answers[node.name] = reply.json()
            if cancel is not None and cancel.is_set():
                raise NetworkCancelled("cancelled while the nodes were starting; all was stopped")
            if time.monotonic() > deadline:
                waiting = [node for node in nodes if node.name not in answers]
                raise waiting[0].failure(
                    f"did not answer on {waiting[0].url} within {timeout:.0f} s"
                )
            if len(answers) < len(nodes):
                time.sleep(0.1)
    return answers
