"""The steps of starting a network, in order; on any failure what has started is stopped."""

from __future__ import annotations

import shutil
import sys
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from eth_account import Account
from eth_account.signers.local import LocalAccount
from web3 import Web3

from trustshare.bureau.settings import CONFIG_FILE_ENV as BUREAU_CONFIG_ENV
from trustshare.chain.deployment import Deployment, deploy_registries
from trustshare.chain.devchain import DevChain, dev_accounts
from trustshare.chain.errors import ChainError
from trustshare.chain.registries import Registries
from trustshare.chain.sender import TransactionSender
from trustshare.insurer.keystore import Keystore
from trustshare.insurer.settings import CONFIG_FILE_ENV as INSURER_CONFIG_ENV
from trustshare.network.configs import (
    KEYSTORE_FILE,
    LOG_FILE,
    NODE_FILES,
    ChainPlace,
    bureau_settings,
    prepare_bureau,
    prepare_insurer,
)
from trustshare.network.errors import NetworkCancelled, NetworkError
from trustshare.network.nodes import (
    DEPLOYMENT_FILE,
    MANIFEST_FILE,
    BureauNode,
    InsurerNode,
    NetworkDescription,
)
from trustshare.network.pidfile import PidFile, ProcessRecord, StateLock
from trustshare.network.plan import NetworkPlan
from trustshare.network.ports import AssignedPorts
from trustshare.network.processes import NodeProcess, node_environment, stop_all, wait_until_healthy
from trustshare.network.registration import Party, register, top_up
from trustshare.network.running import RunningNetwork

CHAIN_STATE_FILE = "chain-state.json"
ANVIL_LOG_FILE = "anvil.log"

Progress = Callable[[str], None]


def clear_state(state_dir: Path) -> None:
    """Delete a previous network's files, and only those (never the user's other files)."""
    for name in (MANIFEST_FILE, DEPLOYMENT_FILE, CHAIN_STATE_FILE, ANVIL_LOG_FILE):
        (state_dir / name).unlink(missing_ok=True)
    for child in state_dir.iterdir():
        if child.is_dir() and any((child / name).exists() for name in NODE_FILES):
            shutil.rmtree(child)


@dataclass
class Startup:
    """One start, step by step; on any failure what has started is stopped again."""

    state_dir: Path
    plan: NetworkPlan
    ports: AssignedPorts
    pid_file: PidFile
    saved: NetworkDescription | None
    bureau_overrides: Mapping[str, Any]
    insurer_overrides: Mapping[str, Any]
    progress: Progress
    cancel: threading.Event | None

    def _checkpoint(self) -> None:
        if self.cancel is not None and self.cancel.is_set():
            raise NetworkCancelled("cancelled while starting; everything started was stopped")

    def _record(self, process: ProcessRecord) -> None:
        self.pid_file = self.pid_file.with_process(process)
        self.pid_file.write(self.state_dir)

    def run(self, lock: StateLock) -> RunningNetwork:
        """Every step of :meth:`Network.start` after the checks."""
        self.progress(f"starting anvil on port {self.ports.chain} (state in {self.state_dir})")
        try:
            chain = DevChain.start(
                port=self.ports.chain,
                state_file=self.state_dir / CHAIN_STATE_FILE,
                log_file=self.state_dir / ANVIL_LOG_FILE,
            )
        except ChainError as error:
            raise NetworkError(f"anvil did not start: {error}") from error
        nodes: list[NodeProcess] = []
        try:
            self._record(ProcessRecord.of("anvil", chain.process.pid, "SIGINT"))
            self._checkpoint()
            w3 = Web3(Web3.HTTPProvider(chain.rpc_url))
            operator = dev_accounts(1)[0]
            deployment = self._deployment(w3, operator)
            place = ChainPlace(chain.rpc_url, self.state_dir / DEPLOYMENT_FILE)
            bureaus, insurers = self._prepare(place)
            self._register(w3, operator, deployment, bureaus, insurers)
            self._checkpoint()
            self._spawn(bureaus, insurers, nodes)
            self.progress("waiting for every node to answer /v1/health")
            wait_until_healthy(nodes, cancel=self.cancel)
            description = NetworkDescription(
                self.state_dir, chain.rpc_url, deployment, tuple(bureaus), tuple(insurers)
            )
            description.write()
            self.pid_file = replace(self.pid_file, ready=True)
            self.pid_file.write(self.state_dir)
            return RunningNetwork(description, chain, nodes, operator, lock)
        except BaseException:
            stop_all(nodes)
            chain.stop()
            raise

    def _deployment(self, w3: Web3, operator: LocalAccount) -> Deployment:
        saved = self.saved
        if saved is not None:
            try:
                saved.deployment.check(w3)
            except ChainError as error:
                raise NetworkError(
                    f"the chain state in {self.state_dir / CHAIN_STATE_FILE} does not hold this "
                    f"network's registries ({error}); was the network killed instead of "
                    "stopped? Start over with --fresh (deletes its chain, keys and databases)"
                ) from error
            self.progress(f"registries found again at Participants {saved.deployment.participants}")
            return saved.deployment
        self.progress("deploying the registries")
        deployment = deploy_registries(TransactionSender(w3, operator))
        deployment.write(self.state_dir / DEPLOYMENT_FILE)
        return deployment

    def _prepare(self, place: ChainPlace) -> tuple[list[BureauNode], list[InsurerNode]]:
        bureaus = []
        for bureau, port in zip(self.plan.bureaus, self.ports.bureaus, strict=True):
            directory = self.state_dir / bureau.slug
            config = prepare_bureau(directory, bureau, place, self.bureau_overrides)
            key = bureau_settings(config).chain_key.get_secret_value()
            bureaus.append(
                BureauNode(
                    name=bureau.name,
                    address=str(Account.from_key(key).address),
                    url=f"http://127.0.0.1:{port}",
                    config_file=config,
                    log_file=directory / LOG_FILE,
                    region=bureau.region,
                    hospital=bureau.hospital,
                )
            )
        insurers = []
        for insurer, port in zip(self.plan.insurers, self.ports.insurers, strict=True):
            directory = self.state_dir / insurer.slug
            config = prepare_insurer(directory, insurer, place, self.insurer_overrides)
            keystore_file = directory / KEYSTORE_FILE
            keystore = Keystore.read(keystore_file)
            insurers.append(
                InsurerNode(
                    name=insurer.name,
                    address=keystore.address,
                    url=f"http://127.0.0.1:{port}",
                    config_file=config,
                    log_file=directory / LOG_FILE,
                    products=insurer.products,
                    encryption_key=keystore.current.public.hex(),
                    keystore_file=keystore_file,
                )
            )
        return bureaus, insurers

    def _register(
        self,
        w3: Web3,
        operator: LocalAccount,
        deployment: Deployment,
        bureaus: list[BureauNode],
        insurers: list[InsurerNode],
    ) -> None:
        sender = TransactionSender(w3, operator)
        parties = [Party(b.address, b.name, b.url) for b in bureaus] + [
            Party(i.address, i.name, i.url, bytes.fromhex(i.encryption_key.removeprefix("0x")))
            for i in insurers
        ]
        top_up(sender, [party.address for party in parties])
        register(Registries.connect(w3, deployment, sender), parties, self.progress)

    def _spawn(
        self, bureaus: list[BureauNode], insurers: list[InsurerNode], nodes: list[NodeProcess]
    ) -> None:
        """Start each node's process, appending it to ``nodes`` and to the pid file."""
        serve = [sys.executable, "-m", "trustshare.cli"]
        for role, env_name, members in (
            ("bureau", BUREAU_CONFIG_ENV, bureaus),
            ("insurer", INSURER_CONFIG_ENV, insurers),
        ):
            for member in members:
                port = str(member.port)
                command = [*serve, role, "serve", "--host", "127.0.0.1", "--port", port]
                self.progress(f"starting {member.name} at {member.url} (log {member.log_file})")
                node = NodeProcess.spawn(
                    member.name,
                    member.url,
                    command,
                    node_environment(env_name, member.config_file),
                    member.log_file,
                )
                nodes.append(node)
                try:
                    self._record(node.record())
                except ProcessLookupError as gone:
                    raise node.failure("exited as soon as it started") from gone
