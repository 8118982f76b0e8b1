"""A network this process started and supervises: its chain, its nodes, their descriptions."""

from __future__ import annotations

import threading
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from pathlib import Path

from eth_account.signers.local import LocalAccount
from web3 import Web3

from trustshare.chain.deployment import Deployment
from trustshare.chain.devchain import DevChain
from trustshare.chain.registries import Registries
from trustshare.chain.sender import TransactionSender
from trustshare.network.errors import NodeFailed
from trustshare.network.nodes import BureauNode, InsurerNode, NetworkDescription
from trustshare.network.pidfile import PidFile, StateLock
from trustshare.network.processes import NodeProcess, stop_all


@dataclass
class RunningNetwork(AbstractContextManager["RunningNetwork"]):
    """A network this process started: use as a context manager, or call :meth:`stop`."""

    description: NetworkDescription
    chain: DevChain
    nodes: list[NodeProcess]
    operator: LocalAccount = field(repr=False)
    _lock: StateLock = field(repr=False)
    _stopped: bool = field(default=False, repr=False)

    @property
    def state_dir(self) -> Path:
        """Where its chain state, configs, keys, databases and logs live."""
        return self.description.state_dir

    @property
    def rpc_url(self) -> str:
        """The chain's JSON-RPC endpoint."""
        return self.description.rpc_url

    @property
    def deployment(self) -> Deployment:
        """Where the registries live."""
        return self.description.deployment

    @property
    def bureaus(self) -> tuple[BureauNode, ...]:
        """The bureau nodes, in plan order."""
        return self.description.bureaus

    @property
    def insurers(self) -> tuple[InsurerNode, ...]:
        """The insurer nodes, in plan order."""
        return self.description.insurers

    def registries(self, account: LocalAccount | None = None) -> Registries:
        """The registries, sending as ``account`` (read-only if None)."""
        w3 = Web3(Web3.HTTPProvider(self.rpc_url))
        sender = TransactionSender(w3, account) if account is not None else None
        return Registries.connect(w3, self.deployment, sender)

    def check(self) -> None:
        """Raise :class:`NodeFailed` if anvil or a node has exited."""
        if not self.chain.is_running():
            raise NodeFailed(f"anvil exited (code {self.chain.process.returncode})")
        for node in self.nodes:
            if not node.is_running():
                raise node.failure(f"exited with code {node.process.returncode}")

    def serve_until(self, stop: threading.Event) -> None:
        """Keep watching until ``stop`` is set; raise :class:`NodeFailed` if a process dies."""
        while not stop.wait(0.5):
            self.check()

    def stop(self) -> None:
        """Stop the nodes, then anvil (which writes its state); release the state dir (once)."""
        if self._stopped:
            return
        self._stopped = True
        stop_all(self.nodes)
        self.chain.stop()
        PidFile.remove(self.state_dir)
        self._lock.release()

    def __exit__(self, *_: object) -> None:
        """Leaving a ``with`` block stops the network."""
        self.stop()
