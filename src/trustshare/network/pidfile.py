"""Who runs a network in a state dir: an exclusive lock and a pid file.

``network.lock`` is held (``flock``) by the process that started the network for as long as it
runs; the kernel drops it when that process dies, however it dies. ``network.pid`` lists that
process and every child it started (anvil, the nodes), each with its start time read from
``/proc``, so a pid the kernel has since given to another program is never signalled.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import signal
import time
from dataclasses import asdict, dataclass, replace
from pathlib import Path
from typing import IO, Any

from trustshare.network.errors import StateDirBusy
from trustshare.network.files import replace_file

LOCK_FILE = "network.lock"
PID_FILE = "network.pid"


def _start_ticks(pid: int) -> int | None:
    """The process's start time in clock ticks since boot, or None if it is gone (or a zombie)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    fields = stat[stat.rindex(")") + 2 :].split()  # after "pid (comm) "
    if fields[0] == "Z":
        return None
    return int(fields[19])


@dataclass(frozen=True)
class ProcessRecord:
    """One process of a network: what it is, its pid, and when it started."""

    name: str
    pid: int
    started: int
    stop_signal: str = "SIGTERM"

    @classmethod
    def of(cls, name: str, pid: int, stop_signal: str = "SIGTERM") -> ProcessRecord:
        """The record of a running process."""
        started = _start_ticks(pid)
        if started is None:
            raise ProcessLookupError(f"{name} (pid {pid}) is not running")
        return cls(name, pid, started, stop_signal)

    def is_running(self) -> bool:
        """Whether this very process (same pid, same start time) is still alive."""
        return _start_ticks(self.pid) == self.started

    def signal(self, sig: signal.Signals | None = None) -> None:
        """Send ``sig`` (default: its stop signal) if it is still this process."""
        if self.is_running():
            with contextlib.suppress(ProcessLookupError):
                os.kill(self.pid, sig or signal.Signals[self.stop_signal])

    def stop(self, timeout: float = 10.0) -> None:
        """Stop it with its stop signal, then SIGKILL if it outlives ``timeout``."""
        self.signal()
        if not self.wait_gone(timeout):
            self.signal(signal.SIGKILL)
            self.wait_gone(timeout)

    def wait_gone(self, timeout: float) -> bool:
        """Wait until it has exited; False if it still runs after ``timeout`` seconds."""
        deadline = time.monotonic() + timeout
        while self.is_running():
            if time.monotonic() > deadline:
                return False
            time.sleep(0.05)
        return True


@dataclass(frozen=True)
class PidFile:
    """The content of ``network.pid``."""

    supervisor: ProcessRecord
    processes: tuple[ProcessRecord, ...] = ()
    ready: bool = False
    """Every node answered: the network serves (until then it is still starting)."""

    def running(self) -> list[ProcessRecord]:
        """The children that still run."""
        return [process for process in self.processes if process.is_running()]

    def with_process(self, process: ProcessRecord) -> PidFile:
        """A copy listing one more child."""
        return replace(self, processes=(*self.processes, process))

    def write(self, state_dir: Path) -> None:
        """Write atomically (readers never see half a file)."""
        data = {
            "supervisor": asdict(self.supervisor),
            "processes": [asdict(p) for p in self.processes],
            "ready": self.ready,
        }
        replace_file(state_dir / PID_FILE, json.dumps(data, indent=2) + "\n")

    @classmethod
    def read(cls, state_dir: Path) -> PidFile | None:
        """The pid file, or None if there is none or it is unreadable (a stale leftover)."""
        try:
            data: Any = json.loads((state_dir / PID_FILE).read_text())
            return cls(
                ProcessRecord(**data["supervisor"]),
                tuple(ProcessRecord(**process) for process in data["processes"]),
                bool(data.get("ready", False)),
            )
        except (OSError, ValueError, KeyError, TypeError):
            return None

    @staticmethod
    def remove(state_dir: Path) -> None:
        """Delete the pid file (no error if it is already gone)."""
        (state_dir / PID_FILE).unlink(missing_ok=True)


class StateLock:
    """The exclusive right to run a network in one state dir."""

    def __init__(self, state_dir: Path) -> None:
        """A lock on ``state_dir`` (not taken yet)."""
        self.state_dir = state_dir
        self._handle: IO[str] | None = None

    def acquire(self) -> None:
        """Take the lock, or raise :class:`StateDirBusy` naming the network that holds it."""
        self.state_dir.mkdir(parents=True, exist_ok=True)
        handle = open(self.state_dir / LOCK_FILE, "a")  # noqa: SIM115 (held while running)
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            handle.close()
            holder = PidFile.read(self.state_dir)
            who = f" (pid {holder.supervisor.pid})" if holder else ""
            raise StateDirBusy(
                f"state dir {self.state_dir} and the node databases in it are in use by "
                f"another running network{who}: stop it with `trustshare network down "
                f"--state-dir {self.state_dir}`, or choose another --state-dir"
            ) from None
        self._handle = handle

    def release(self) -> None:
        """Drop the lock (no error if it is not held)."""
        if self._handle is not None:
            self._handle.close()
            self._handle = None


def refuse_leftovers(state_dir: Path) -> None:
    """After taking the lock: clear a stale pid file, unless processes it lists still run.

    A network whose starter was killed (SIGKILL, a crash) can leave anvil or nodes behind that
    still use the state dir's chain and databases; those are refused by name, not shared.
    """
    stale = PidFile.read(state_dir)
    if stale is None:
        PidFile.remove(state_dir)  # absent, or unreadable: nothing it lists can be trusted
        return
    alive = stale.running()
    if alive:
        names = ", ".join(f"{process.name} (pid {process.pid})" for process in alive)
        raise StateDirBusy(
            f"processes of an earlier network still use {state_dir} and its databases: {names}; "
            f"stop them with `trustshare network down --state-dir {state_dir}`"
        )
    PidFile.remove(state_dir)
