"""Faults in clearing: killed publishers, lost broadcasts, a stopped chain, dropped transactions.

Each test runs its own anvil (never the shared session chain) so it can stop mining, drop
transactions or stop the node. The claim under test: whatever happens, every confirmed record
ends up committed, and every batch root is committed exactly once.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from hexbytes import HexBytes
from pydantic import SecretStr
from web3 import Web3
from web3.exceptions import TransactionNotFound

from trustshare.bureau.batching import cut_due_batches
from trustshare.bureau.context import BureauContext
from trustshare.bureau.publisher import Publisher
from trustshare.bureau.settings import BureauSettings
from trustshare.chain.deployment import deploy_registries
from trustshare.chain.devchain import DevChain, dev_accounts
from trustshare.chain.journal import JournalEntry, MemoryJournal
from trustshare.chain.registries import BatchKind, Registries
from trustshare.chain.sender import TransactionSender
from trustshare.crypto.hashing import keccak256
from trustshare.storage.migrate import upgrade

from .clearing_helpers import (
    assert_committed_exactly_once,
    batches,
    committed_events,
    insert_settlements,
    outbox,
)

PSEUDONYM_KEY_HEX = "5e" * 32


@dataclass
class FaultNode:
    """A bureau node on an anvil of its own."""

    chain: DevChain
    settings: BureauSettings
    context: BureauContext
    state_file: Path

    @property
    def w3(self) -> Web3:
        return self.context.w3

    def rpc(self, method: str, *params: Any) -> Any:
        answer = self.w3.provider.make_request(method, list(params))  # type: ignore[arg-type]
        assert "error" not in answer, answer
        return answer.get("result")

    def stop_mining(self) -> None:
        self.rpc("evm_setAutomine", False)

    def mine(self) -> None:
        self.rpc("evm_setAutomine", True)
        self.rpc("evm_mine")

    def in_mempool(self, tx_hash: str) -> bool:
        found = self.w3.eth.get_transaction(HexBytes(tx_hash))
        return found["blockNumber"] is None

    def knows(self, tx_hash: str) -> bool:
        try:
            self.w3.eth.get_transaction(HexBytes(tx_hash))
        except TransactionNotFound:
            return False
        return True

    def restart_chain(self) -> None:
        """Stop anvil cleanly (it writes its state) and start it again on the same port."""
        self.chain.stop()
        self.chain = DevChain.start(port=self.chain.port, state_file=self.state_file)


@pytest.fixture
def node(tmp_path: Path, database_url: str) -> Iterator[FaultNode]:
    state_file = tmp_path / "anvil-state.json"
    chain = DevChain.start(state_file=state_file)
    try:
        w3 = Web3(Web3.HTTPProvider(chain.rpc_url))
        operator, bureau = dev_accounts(2)
        deployment = deploy_registries(TransactionSender(w3, operator))
        Registries.connect(
            w3, deployment, TransactionSender(w3, operator)
        ).participants.register_bureau(bureau.address, "Fault-test bureau", "http://127.0.0.1:9001")
        deployment_file = tmp_path / "deployment.json"
        deployment.write(deployment_file)
        settings = BureauSettings(
            database_url=database_url,
            rpc_url=chain.rpc_url,
            deployment_file=deployment_file,
            chain_key=SecretStr(bytes(bureau.key).hex()),
            pseudonym_key=SecretStr(PSEUDONYM_KEY_HEX),
            batch_max_wait_ms=0,
            publisher_poll_ms=20,
            run_publisher=False,
        )
        upgrade(database_url)
        context = BureauContext.from_settings(settings)
        fault_node = FaultNode(chain, settings, context, state_file)
        yield fault_node
        context.engine.dispose()
        chain = fault_node.chain
    finally:
        chain.stop()


def wait_for(condition: Callable[[], bool], what: str, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.005)


def sole_entry_hash(node: FaultNode) -> str:
    [entry] = outbox(node.context)
    assert entry.tx_hash is not None
    return entry.tx_hash


# -- a publisher process killed -------------------------------------------------------------

PUBLISHER_PROCESS = """
import time
from trustshare.bureau.context import BureauContext
from trustshare.bureau.publisher import Publisher
from trustshare.bureau.settings import BureauSettings

Publisher(BureauContext.from_settings(BureauSettings())).start()
time.sleep(600)
"""


def spawn_publisher(node: FaultNode, *, max_leaves: int = 10_000) -> subprocess.Popen[bytes]:
    settings = node.settings
    environment = {
        **os.environ,
        "TRUSTSHARE_BUREAU_DATABASE_URL": settings.database_url,
        "TRUSTSHARE_BUREAU_RPC_URL": settings.rpc_url,
        "TRUSTSHARE_BUREAU_DEPLOYMENT_FILE": str(settings.deployment_file),
        "TRUSTSHARE_BUREAU_CHAIN_KEY": settings.chain_key.get_secret_value(),
        "TRUSTSHARE_BUREAU_PSEUDONYM_KEY": PSEUDONYM_KEY_HEX,
        "TRUSTSHARE_BUREAU_BATCH_MAX_LEAVES": str(max_leaves),
        "TRUSTSHARE_BUREAU_BATCH_MAX_WAIT_MS": "0",
        "TRUSTSHARE_BUREAU_PUBLISHER_POLL_MS": "20",
    }
    environment.pop("TRUSTSHARE_BUREAU_CONFIG", None)
    return subprocess.Popen([sys.executable, "-c", PUBLISHER_PROCESS], env=environment)


def kill(process: subprocess.Popen[bytes]) -> None:
    process.send_signal(signal.SIGKILL)
    process.wait(timeout=10)


def test_a_publisher_killed_between_broadcast_and_receipt_commits_once_after_restart(
    node: FaultNode,
) -> None:
    insert_settlements(node.context, range(6))
    node.stop_mining()
    process = spawn_publisher(node)
    try:
        wait_for(
            lambda: (
                [e.status for e in outbox(node.context)] == ["sent"]
                and node.in_mempool(sole_entry_hash(node))
            ),
            "the commit to be broadcast",
        )
    finally:
        kill(process)
    broadcast = sole_entry_hash(node)
    [batch] = batches(node.context)
    assert batch.status == "pending"  # no receipt yet: not final

    node.mine()
    report = Publisher(node.context).run_once()

    assert report.interrupted is None
    [batch] = batches(node.context)
    assert (batch.status, batch.tx_hash) == ("final", broadcast)
    assert sole_entry_hash(node) == broadcast
    assert_committed_exactly_once(node.context)


def signed_count(node: FaultNode) -> int:
    return sum(entry.status in ("sent", "done") for entry in outbox(node.context))


def test_a_publisher_killed_again_and_again_never_loses_or_doubles_a_batch(
    node: FaultNode,
) -> None:
    arrivals = iter([range(0, 12), range(12, 20), range(20, 27), range(27, 30)])
    for kills in range(3):
        insert_settlements(node.context, next(arrivals))
        signed_before = signed_count(node)
        process = spawn_publisher(node, max_leaves=3)
        try:
            # Kill as soon as one more entry is signed: before, during or after its broadcast.
            wait_for(
                lambda before=signed_before: signed_count(node) > before,  # type: ignore[misc]
                f"a commit to be signed before kill {kills + 1}",
            )
        finally:
            kill(process)
    insert_settlements(node.context, next(arrivals))

    publisher = Publisher(node.context)
    while publisher.run_once().done:
        pass

    assert_committed_exactly_once(node.context)
    assert sum(batch.leaf_count for batch in batches(node.context)) == 30
    assert all(entry.status == "done" for entry in outbox(node.context))


# -- a lost broadcast, a slow receipt --------------------------------------------------------


def test_a_commit_journalled_but_never_broadcast_is_broadcast_on_restart(
    node: FaultNode,
) -> None:
    context = node.context
    insert_settlements(context, range(4))
    [built] = cut_due_batches(context.sessions, max_leaves=10, max_wait_ms=0, now=time.time())
    [entry] = outbox(context)
    # The process signs and stores the commit, then dies before broadcasting it.
    crashed = Publisher(context)
    call = context.registries.attestations.contract.functions.commitBatch(
        int(BatchKind.SETTLEMENT), built.root, built.leaf_count, bytes.fromhex(context.rules.digest)
    )
    transaction = {
        "from": context.address,
        "to": call.address,
        "data": call._encode_transaction_data(),
        "value": 0,
    }
    nonce = crashed.sender._take_nonce()
    signed = crashed.sender._sign(transaction, nonce, 300_000)  # type: ignore[arg-type]
    journalled = "0x" + bytes(signed.hash).hex()
    with crashed.journal.sending(entry.id):
        crashed.journal.record(
            JournalEntry(nonce, journalled, "0x" + bytes(signed.raw_transaction).hex())
        )
    assert batches(context)[0].status == "pending"

    report = Publisher(context).run_once()

    assert report.done == [entry.id]
    assert sole_entry_hash(node) == journalled
    assert batches(context)[0].tx_hash == journalled
    assert_committed_exactly_once(context)


def test_a_receipt_that_does_not_come_leaves_the_batch_pending_for_the_next_round(
    node: FaultNode,
) -> None:
    insert_settlements(node.context, range(3))
    node.stop_mining()
    impatient = Publisher(node.context, receipt_timeout=0.3)

    report = impatient.run_once()

    assert report.interrupted is not None and "not mined" in report.interrupted
    [entry] = outbox(node.context)
    assert entry.status == "sent" and entry.raw_tx and entry.nonce is not None
    assert batches(node.context)[0].status == "pending"
    broadcast = sole_entry_hash(node)
    node.mine()
    assert impatient.run_once().done == [entry.id]
    assert batches(node.context)[0].tx_hash == broadcast
    assert_committed_exactly_once(node.context)


# -- the chain stopped -----------------------------------------------------------------------


def test_clearing_resumes_when_a_stopped_chain_comes_back(node: FaultNode) -> None:
    insert_settlements(node.context, range(5))
    node.chain.stop()
    publisher = Publisher(node.context)

    stalled = publisher.run_once()

    assert [b.leaf_count for b in stalled.batches] == [5]  # cut: the database is up
    assert stalled.interrupted is not None and stalled.done == []
    assert [e.status for e in outbox(node.context)] == ["pending"]
    node.chain = DevChain.start(port=node.chain.port, state_file=node.state_file)
    insert_settlements(node.context, range(5, 7))

    resumed = publisher.run_once()

    assert resumed.interrupted is None and len(resumed.done) == 2
    assert_committed_exactly_once(node.context)


def test_a_commit_lost_with_a_restarted_chains_mempool_is_sent_again(node: FaultNode) -> None:
    insert_settlements(node.context, range(5))
    node.stop_mining()
    Publisher(node.context, receipt_timeout=0.3).run_once()
    broadcast = sole_entry_hash(node)
    assert node.in_mempool(broadcast)

    node.restart_chain()  # anvil keeps its chain state, not its pending transactions
    assert not node.knows(broadcast)
    report = Publisher(node.context).run_once()

    assert report.interrupted is None
    assert batches(node.context)[0].status == "final"
    assert_committed_exactly_once(node.context)


# -- dropped and replaced transactions -------------------------------------------------------


def broadcast_then_drop(node: FaultNode) -> tuple[str, int]:
    node.stop_mining()
    Publisher(node.context, receipt_timeout=0.3).run_once()
    [entry] = outbox(node.context)
    assert entry.tx_hash is not None and entry.nonce is not None
    node.rpc("anvil_dropTransaction", entry.tx_hash)
    assert not node.knows(entry.tx_hash)
    node.rpc("evm_setAutomine", True)
    return entry.tx_hash, entry.nonce


def test_a_dropped_commit_is_broadcast_again_with_the_same_hash(node: FaultNode) -> None:
    insert_settlements(node.context, range(4))
    dropped, _ = broadcast_then_drop(node)

    Publisher(node.context).run_once()

    assert batches(node.context)[0].tx_hash == dropped
    assert_committed_exactly_once(node.context)


def test_a_dropped_commit_whose_nonce_was_taken_is_signed_again(node: FaultNode) -> None:
    insert_settlements(node.context, range(4))
    dropped, nonce = broadcast_then_drop(node)
    # Another transaction of the bureau's key takes the nonce (an operator's tool, say).
    other = Registries.connect(
        node.w3, node.context.deployment, TransactionSender(node.w3, node.context.account)
    )
    taken = other.consents.bind_wallet(keccak256(b"someone"), dev_accounts(3)[2].address)
    assert node.w3.eth.get_transaction(HexBytes(taken.tx_hash))["nonce"] == nonce

    Publisher(node.context).run_once()

    [entry] = outbox(node.context)
    assert entry.status == "done" and entry.tx_hash != dropped and entry.nonce == nonce + 1
    assert entry.attempts == 2
    assert_committed_exactly_once(node.context)


def test_a_replacement_that_committed_the_root_is_recorded_not_repeated(
    node: FaultNode,
) -> None:
    insert_settlements(node.context, range(4))
    broadcast_then_drop(node)
    # An earlier incarnation's replacement (same nonce, other fee) committed the same root.
    [batch] = batches(node.context)
    replacement = Registries.connect(
        node.w3,
        node.context.deployment,
        TransactionSender(node.w3, node.context.account, journal=MemoryJournal()),
    ).attestations.commit_batch(
        BatchKind.SETTLEMENT, batch.root, batch.leaf_count, batch.rules_version
    )

    report = Publisher(node.context).run_once()

    assert report.failed == [] and report.interrupted is None
    [batch] = batches(node.context)
    assert (batch.status, batch.tx_hash) == ("final", replacement.tx_hash)
    assert batch.block_number == replacement.block_number
    assert len(committed_events(node.w3, node.context.registries)) == 1
    assert_committed_exactly_once(node.context)
