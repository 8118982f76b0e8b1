"""Why a local network would not start or stop: each error names what to change."""

from __future__ import annotations


class NetworkError(Exception):
    """Root of every error raised by :mod:`trustshare.network`."""


class PlanError(NetworkError, ValueError):
    """The network asked for is not possible: unknown region or product, clashing names."""


class PortBusy(NetworkError):
    """A port the network needs is taken by another program."""

    def __init__(self, port: int, owner: str, option: str) -> None:
        self.port = port
        self.owner = owner
        self.option = option
        super().__init__(
            f"port {port} on 127.0.0.1 (for {owner}) is already in use by another program: "
            f"stop it, or choose another port with {option} N (0 picks free ports)"
        )


class StateDirBusy(NetworkError):
    """The state directory (and so its databases) belongs to a network that still runs."""


class NodeFailed(NetworkError):
    """A node process exited or never became healthy; the message quotes its log."""


class NetworkCancelled(NetworkError):
    """Starting was cancelled (Ctrl-C or ``network down``); what had started was stopped."""
