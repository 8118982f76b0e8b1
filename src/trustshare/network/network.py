"""Start and stop a whole local network: anvil, the registries, bureaus and insurers.

``Network.start(state_dir)`` takes the state dir's lock, starts anvil (its state kept in the
state dir), deploys the registries (or finds them again after a restart), writes each node's
keys and config, registers every party with its endpoint, starts each node as its own
``trustshare … serve`` process and waits until all answer ``/v1/health``. ``Network.stop``
(``trustshare network down``) stops a network that another process started.
"""

from __future__ import annotations

import os
import signal
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from trustshare.domain import default_rules
from trustshare.network.errors import PlanError
from trustshare.network.nodes import NetworkDescription
from trustshare.network.pidfile import PidFile, ProcessRecord, StateLock, refuse_leftovers
from trustshare.network.plan import DEFAULT_PLAN, NetworkPlan
from trustshare.network.ports import PortPlan, assign_ports
from trustshare.network.running import RunningNetwork
from trustshare.network.startup import Startup, clear_state

DEFAULT_STATE_DIR = Path(".trustshare/network")

Progress = Callable[[str], None]


def _quiet(_: str) -> None:
    """Progress that prints nothing."""


@dataclass(frozen=True)
class StopReport:
    """What ``Network.stop`` found and did."""

    found: bool
    stopped: tuple[str, ...] = ()
    stale: bool = False


class Network:
    """Start a network in a state dir, stop one, or describe the one running there."""

    @classmethod
    def start(
        cls,
        state_dir: Path = DEFAULT_STATE_DIR,
        *,
        plan: NetworkPlan | None = None,
        ports: PortPlan | None = None,
        fresh: bool = False,
        bureau_settings: Mapping[str, Any] | None = None,
        insurer_settings: Mapping[str, Any] | None = None,
        progress: Progress = _quiet,
        cancel: threading.Event | None = None,
    ) -> RunningNetwork:
        """Start the network (module doc) and return it once every node is healthy.

        ``plan`` defaults to the saved one (after a restart) or :data:`DEFAULT_PLAN`; asking
        for another plan than the saved one needs ``fresh``, which deletes the saved network
        (chain state, keys, databases) first. ``bureau_settings`` / ``insurer_settings`` are
        written into every bureau's / insurer's config (e.g. ``batch_max_wait_ms``). Setting
        ``cancel`` stops what has started and raises :class:`NetworkCancelled`.
        """
        state_dir = state_dir.resolve()
        lock = StateLock(state_dir)
        lock.acquire()
        try:
            refuse_leftovers(state_dir)  # its pid file stays for `network down` to use
        except BaseException:
            lock.release()
            raise
        try:
            pid_file = PidFile(ProcessRecord.of("network", os.getpid()))
            pid_file.write(state_dir)
            saved = None if fresh else NetworkDescription.read(state_dir)
            chosen = _choose_plan(saved, plan)
            chosen.check(default_rules())
            assigned = assign_ports(
                ports or PortPlan(),
                [bureau.name for bureau in chosen.bureaus],
                [insurer.name for insurer in chosen.insurers],
            )
            if saved is None:
                clear_state(state_dir)
            startup = Startup(
                state_dir,
                chosen,
                assigned,
                pid_file,
                saved,
                dict(bureau_settings or {}),
                dict(insurer_settings or {}),
                progress,
                cancel,
            )
            return startup.run(lock)
        except BaseException:
            PidFile.remove(state_dir)
            lock.release()
            raise

    @staticmethod
    def stop(state_dir: Path = DEFAULT_STATE_DIR, *, timeout: float = 60.0) -> StopReport:
        """Stop the network running in ``state_dir`` (started by another process).

        Asks the process that started it to stop (SIGTERM), which stops the nodes and anvil in
        order; if that process is gone or hangs, stops whatever it left behind directly. Safe to
        repeat: with nothing running it reports so and changes nothing.
        """
        state_dir = state_dir.resolve()
        recorded = PidFile.read(state_dir)
        if recorded is None:
            PidFile.remove(state_dir)
            return StopReport(found=False)
        stale = not recorded.supervisor.is_running()
        running = [process.name for process in recorded.running()]
        if not stale:
            recorded.supervisor.signal(signal.SIGTERM)
            if not recorded.supervisor.wait_gone(timeout):
                recorded.supervisor.signal(signal.SIGKILL)
                recorded.supervisor.wait_gone(timeout)
        leftovers = recorded.running()
        for process in leftovers:
            process.stop()
        if not recorded.supervisor.is_running():
            PidFile.remove(state_dir)
        return StopReport(found=True, stopped=tuple(running), stale=stale)

    @staticmethod
    def describe(state_dir: Path = DEFAULT_STATE_DIR) -> NetworkDescription | None:
        """The network serving from ``state_dir``, or None if none does (yet)."""
        state_dir = state_dir.resolve()
        recorded = PidFile.read(state_dir)
        if recorded is None or not recorded.ready or not recorded.supervisor.is_running():
            return None  # none, still starting, or stale
        return NetworkDescription.read(state_dir)


def _choose_plan(saved: NetworkDescription | None, asked: NetworkPlan | None) -> NetworkPlan:
    if saved is None:
        return asked or DEFAULT_PLAN
    if asked is not None and asked != saved.plan:
        raise PlanError(
            f"{saved.state_dir} holds a network of other parties "
            f"({', '.join(node.name for node in saved.nodes)}): start it as it is, "
            "or start over with --fresh (deletes its chain, keys and databases)"
        )
    return saved.plan
