"""Shared fixtures: a real anvil and a deployed network for integration tests."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from eth_account import Account
from eth_account.signers.local import LocalAccount
from web3 import Web3

from trustshare.chain.deployment import Deployment, deploy_registries
from trustshare.chain.devchain import DevChain, dev_accounts
from trustshare.chain.registries import Registries
from trustshare.chain.sender import TransactionSender

INSURER_KEY = bytes.fromhex("11" * 32)
INSURER_B_KEY = bytes.fromhex("22" * 32)


@pytest.fixture(scope="session")
def dev_chain() -> Iterator[DevChain]:
    with DevChain.start() as chain:
        yield chain


@pytest.fixture(scope="session")
def w3(dev_chain: DevChain) -> Web3:
    return Web3(Web3.HTTPProvider(dev_chain.rpc_url))


@dataclass
class Network:
    """A deployed network with one bureau, two insurers and a patient wallet."""

    w3: Web3
    deployment: Deployment
    operator: LocalAccount
    bureau: LocalAccount
    insurer: LocalAccount
    insurer_b: LocalAccount
    outsider: LocalAccount
    patient: LocalAccount

    def sender(self, account: LocalAccount) -> TransactionSender:
        return TransactionSender(self.w3, account)

    def registries(self, account: LocalAccount | None = None) -> Registries:
        sender = self.sender(account) if account is not None else None
        return Registries.connect(self.w3, self.deployment, sender)

    def now(self) -> int:
        return int(self.w3.eth.get_block("latest")["timestamp"])

    def fund(self, account: LocalAccount) -> None:
        """Give ``account`` test ether (dev chain only) so it can send its own transactions."""
        self.w3.provider.make_request(  # type: ignore[arg-type]
            "anvil_setBalance", [account.address, hex(10**20)]
        )

    def advance_time(self, seconds: int) -> None:
        """Move the chain's clock forward and mine a block."""
        self.w3.provider.make_request("evm_increaseTime", [seconds])  # type: ignore[arg-type]
        self.w3.provider.make_request("evm_mine", [])  # type: ignore[arg-type]


@dataclass
class _Snapshot:
    network: Network
    snapshot_id: str


def _snapshot(w3: Web3) -> str:
    return str(w3.provider.make_request("evm_snapshot", [])["result"])  # type: ignore[arg-type]


@pytest.fixture(scope="session")
def _deployed(w3: Web3) -> _Snapshot:
    operator, bureau, insurer, insurer_b, outsider = dev_accounts(5)
    deployment = deploy_registries(TransactionSender(w3, operator))
    network = Network(
        w3,
        deployment,
        operator,
        bureau,
        insurer,
        insurer_b,
        outsider,
        Account.from_key(bytes.fromhex("a1" * 32)),
    )
    participants = network.registries(operator).participants
    participants.register_bureau(bureau.address, "Demo Bureau", "http://127.0.0.1:9001")
    participants.register_insurer(
        insurer.address, "Insurer A", INSURER_KEY, "http://127.0.0.1:9101"
    )
    participants.register_insurer(
        insurer_b.address, "Insurer B", INSURER_B_KEY, "http://127.0.0.1:9102"
    )
    return _Snapshot(network, _snapshot(w3))


@pytest.fixture
def network(_deployed: _Snapshot) -> Iterator[Network]:
    """The deployed network, reset to its freshly-registered state after every test."""
    yield _deployed.network
    w3 = _deployed.network.w3
    w3.provider.make_request("evm_revert", [_deployed.snapshot_id])  # type: ignore[arg-type]
    # anvil forgets a snapshot once reverted to: take a new one for the next test.
    _deployed.snapshot_id = _snapshot(w3)
