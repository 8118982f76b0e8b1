"""The clearing publisher: one per node, it turns outbox entries into mined transactions.

Each round cuts the batches that are due (:mod:`trustshare.bureau.batching`), settles what a
previous round (or a previous process) left ``sent``, then sends ``pending`` entries in id
order. A transaction is signed and stored on its entry (nonce, hash, raw bytes, status
``sent``) and committed before it is broadcast; the entry becomes ``done`` — and a batch
``final`` — only in the transaction that records the receipt. So a crash at any point leaves
either an entry to send or a signed transaction to find or re-broadcast, never a lost or a
doubled write:

- a ``sent`` entry with a receipt is recorded from that receipt;
- a ``commit_batch`` whose root the chain already holds is recorded from the chain's
  ``BatchCommitted`` log (a root is never committed twice);
- a ``sent`` entry whose nonce went to another transaction is signed again with a fresh nonce;
- any other ``sent`` entry is re-broadcast from its raw bytes (same hash) and awaited.

A contract refusal marks the entry ``failed`` with the typed error; a transport error (node
unreachable, receipt not in time) ends the round and leaves the entry for the next one.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Final

from web3.exceptions import ContractLogicError, Web3Exception
from web3.types import TxParams, TxReceipt

from trustshare.bureau import batching, chain_writes
from trustshare.bureau.batching import proof_for
from trustshare.bureau.chain_writes import AlreadyOnChain, Deferred, Refused
from trustshare.bureau.context import BureauContext
from trustshare.chain import recovery
from trustshare.chain.errors import ContractRevert, TransactionError, UnknownRevert
from trustshare.chain.journal import JournalEntry
from trustshare.chain.registries import Registries
from trustshare.chain.sender import TransactionSender, revert_from_exception
from trustshare.storage import clearing
from trustshare.storage.database import transaction
from trustshare.storage.models import Batch, OutboxEntry

__all__ = ["OutboxJournal", "PublishReport", "Publisher", "proof_for"]

log = logging.getLogger(__name__)

#: Failures that say nothing about the entry, only that the chain could not be reached in time.
TRANSPORT_ERRORS: Final = (OSError, TransactionError, Web3Exception)

_ENTRIES_PER_QUERY: Final = 100


class OutboxJournal:
    """The sender's journal, kept on the outbox entry being sent (one publisher per node).

    ``record`` commits the signed transaction on the entry before it is broadcast. The outcome
    is recorded by the publisher, in the same database transaction as its effect (a batch
    turning final), so ``mark_done`` stores nothing: until then the entry is still ``sent``
    and a restart looks its receipt up.
    """

    def __init__(self, context: BureauContext) -> None:
        self._sessions = context.sessions
        self._entry_id: int | None = None

    @contextmanager
    def sending(self, entry_id: int) -> Iterator[None]:
        """Attribute every transaction signed inside the block to outbox entry ``entry_id``."""
        self._entry_id = entry_id
        try:
            yield
        finally:
            self._entry_id = None

    def record(self, entry: JournalEntry) -> None:
        """Store the signed transaction on the current entry, status ``sent``, and commit."""
        if self._entry_id is None:
            raise TransactionError("the bureau key signs outbox entries only")
        with transaction(self._sessions) as session:
            row = clearing.outbox_entry(session, self._entry_id)
            row.status = "sent"
            row.nonce, row.tx_hash, row.raw_tx = entry.nonce, entry.tx_hash, entry.raw
            row.attempts += 1

    def mark_done(self, tx_hash: str) -> None:
        """Nothing to store: the publisher records the receipt together with its effect."""

    def pending(self) -> list[JournalEntry]:
        """The entries signed whose outcome is not recorded yet, lowest nonce first."""
        with transaction(self._sessions) as session:
            return [
                JournalEntry(
                    row.nonce or 0, row.tx_hash or "", row.raw_tx or "", f"outbox:{row.id}"
                )
                for row in clearing.sent_outbox_entries(session)
            ]

    def next_nonce(self) -> int | None:
        """One above the highest nonce an entry was ever signed with."""
        with transaction(self._sessions) as session:
            highest = clearing.highest_outbox_nonce(session)
        return None if highest is None else highest + 1


@dataclass
class PublishReport:
    """What one round did: batches cut, entries done, failed, deferred; why it stopped early."""

    batches: list[batching.BuiltBatch] = field(default_factory=list)
    done: list[int] = field(default_factory=list)
    failed: list[int] = field(default_factory=list)
    deferred: list[int] = field(default_factory=list)
    interrupted: str | None = None


class Publisher:
    """Cuts batches and sends the outbox for one node: ``run_once()``, or ``start()``/``stop()``."""

    def __init__(self, context: BureauContext, *, receipt_timeout: float = 60.0) -> None:
        self.context = context
        self.journal = OutboxJournal(context)
        self.receipt_timeout = receipt_timeout
        self._sender: TransactionSender | None = None
        self._sending_registries: Registries | None = None
        self._stopping = threading.Event()
        self._thread: threading.Thread | None = None

    # -- running ------------------------------------------------------------------------------

    def run_once(self) -> PublishReport:
        """One round: cut due batches, settle ``sent`` entries, send ``pending`` ones."""
        settings = self.context.settings
        report = PublishReport()
        report.batches = batching.cut_due_batches(
            self.context.sessions,
            max_leaves=settings.batch_max_leaves,
            max_wait_ms=settings.batch_max_wait_ms,
            now=self.context.clock(),
        )
        try:
            self._settle_sent(report)
            self._send_pending(report)
        except TRANSPORT_ERRORS as exc:
            report.interrupted = f"{type(exc).__name__}: {exc}"
            self._sender = None  # re-read the chain's nonce when it is back
        return report

    def start(self) -> None:
        """Run rounds in a background thread every ``publisher_poll_ms`` until :meth:`stop`."""
        if self._thread is not None:
            raise RuntimeError("the publisher is already running")
        self._stopping.clear()
        self._thread = threading.Thread(target=self._serve, name="clearing-publisher", daemon=True)
        self._thread.start()

    def stop(self, timeout: float = 30.0) -> None:
        """Ask the background thread to stop after its current step and wait for it."""
        self._stopping.set()
        if self._thread is not None:
            self._thread.join(timeout)
            self._thread = None

    def _serve(self) -> None:
        pause = self.context.settings.publisher_poll_ms / 1000
        while not self._stopping.is_set():
            try:
                report = self.run_once()
            except Exception:  # keep the node's publisher alive; the next round retries
                log.exception("clearing publisher round failed")
            else:
                if report.interrupted:
                    log.warning("clearing publisher paused: %s", report.interrupted)
            self._stopping.wait(pause)

    # -- the chain ----------------------------------------------------------------------------

    @property
    def sender(self) -> TransactionSender:
        """The bureau key's sender, journalling into the outbox."""
        if self._sender is None:
            self._sender = TransactionSender(
                self.context.w3,
                self.context.account,
                journal=self.journal,
                receipt_timeout=self.receipt_timeout,
            )
            self._sending_registries = None
        return self._sender

    @property
    def _registries(self) -> Registries:
        sender = self.sender
        if self._sending_registries is None:
            self._sending_registries = self.context.registries.acting_as(sender)
        return self._sending_registries

    # -- entries left sent --------------------------------------------------------------------

    def _settle_sent(self, report: PublishReport) -> None:
        with transaction(self.context.sessions) as session:
            sent = clearing.sent_outbox_entries(session)
        for entry in sent:
            tx_hash = entry.tx_hash or ""
            receipt = self._receipt(tx_hash)
            if receipt is None and entry.kind == "commit_batch":
                found = chain_writes.committed_root(
                    self.context, chain_writes.batch_of_entry(self.context, entry).root
                )
                if found is not None:
                    self._record_found(entry.id, found, report)
                    continue
            if receipt is None and self._nonce_taken(entry.nonce or 0):
                # Our own transaction may have been mined in between: look once more.
                receipt = self._receipt(tx_hash)
                if receipt is None:
                    log.warning("outbox %d: %s was replaced; signing it again", entry.id, tx_hash)
                    self._reopen(entry.id)
                    continue
            if receipt is None:
                self._rebroadcast(entry)
                receipt = self.sender.wait(tx_hash)
            self._record_receipt(entry, receipt, report)

    def _receipt(self, tx_hash: str) -> TxReceipt | None:
        return recovery.receipt_of(self.context.w3, tx_hash)

    def _nonce_taken(self, nonce: int) -> bool:
        return recovery.nonce_taken(self.context.w3, self.context.account.address, nonce)

    def _rebroadcast(self, entry: OutboxEntry) -> None:
        if recovery.rebroadcast(self.context.w3, entry.tx_hash or "", entry.raw_tx or ""):
            log.info("outbox %d: re-broadcast %s", entry.id, entry.tx_hash)

    def _record_receipt(
        self, entry: OutboxEntry, receipt: TxReceipt, report: PublishReport
    ) -> None:
        if receipt["status"] == 1:
            self._record_done(entry.id, entry.tx_hash, receipt["blockNumber"], receipt["gasUsed"])
            report.done.append(entry.id)
        else:
            self._record_failed(entry.id, _describe(self._revert_of_mined(receipt)))
            report.failed.append(entry.id)

    def _revert_of_mined(self, receipt: TxReceipt) -> ContractRevert:
        sent = self.context.w3.eth.get_transaction(receipt["transactionHash"])
        replay: TxParams = {"from": sent["from"], "to": sent["to"], "data": sent["input"]}
        try:
            self.context.w3.eth.call(replay, receipt["blockNumber"] - 1)
        except ContractLogicError as exc:
            return revert_from_exception(exc)
        return UnknownRevert(raw=b"")

    # -- pending entries ----------------------------------------------------------------------

    def _send_pending(self, report: PublishReport) -> None:
        after = 0
        while True:
            with transaction(self.context.sessions) as session:
                ids = clearing.pending_outbox_ids(session, after_id=after, limit=_ENTRIES_PER_QUERY)
            if not ids:
                return
            for entry_id in ids:
                self._send_entry(entry_id, report)
                after = entry_id

    def _send_entry(self, entry_id: int, report: PublishReport) -> None:
        with transaction(self.context.sessions) as session:
            entry = clearing.outbox_entry(session, entry_id)
        try:
            prepared = chain_writes.prepare(self.context, self._registries, entry)
        except (KeyError, ValueError, TypeError) as exc:
            prepared = Refused(f"malformed {entry.kind} payload: {exc!r}")
        except ContractRevert as refused:
            prepared = Refused(_describe(refused))
        if isinstance(prepared, Deferred):
            report.deferred.append(entry_id)
            return
        if isinstance(prepared, AlreadyOnChain | Refused):
            self._record_found(entry_id, prepared, report)
            return
        try:
            with self.journal.sending(entry_id):
                outcome = prepared()
        except ContractRevert as refused:
            self._record_failed(entry_id, _describe(refused))
            report.failed.append(entry_id)
            return
        self._record_done(entry_id, outcome.tx_hash, outcome.block_number, outcome.gas_used)
        report.done.append(entry_id)

    # -- recording outcomes -------------------------------------------------------------------

    def _record_found(
        self, entry_id: int, found: AlreadyOnChain | Refused, report: PublishReport
    ) -> None:
        if isinstance(found, Refused):
            self._record_failed(entry_id, found.reason)
            report.failed.append(entry_id)
        else:
            self._record_done(entry_id, found.tx_hash, found.block_number, None)
            report.done.append(entry_id)

    def _record_done(
        self, entry_id: int, tx_hash: str | None, block_number: int | None, gas_used: int | None
    ) -> None:
        committed_at = datetime.now(UTC)
        if block_number is not None:
            block = self.context.w3.eth.get_block(block_number)
            committed_at = datetime.fromtimestamp(block["timestamp"], UTC)
        with transaction(self.context.sessions) as session:
            entry = clearing.outbox_entry(session, entry_id)
            entry.status, entry.error = "done", None
            entry.tx_hash = tx_hash or entry.tx_hash
            entry.block_number, entry.gas_used = block_number, gas_used
            if entry.kind == "commit_batch" and entry.batch_id is not None:
                batch = session.get_one(Batch, entry.batch_id)
                batch.status, batch.committed_at = "final", committed_at
                batch.tx_hash, batch.block_number = entry.tx_hash, block_number

    def _record_failed(self, entry_id: int, error: str) -> None:
        log.warning("outbox %d failed: %s", entry_id, error)
        with transaction(self.context.sessions) as session:
            entry = clearing.outbox_entry(session, entry_id)
            entry.status, entry.error = "failed", error

    def _reopen(self, entry_id: int) -> None:
        with transaction(self.context.sessions) as session:
            entry = clearing.outbox_entry(session, entry_id)
            entry.status = "pending"
            entry.nonce, entry.tx_hash, entry.raw_tx = None, None, None
        self._sender = None  # its nonce cache predates the replacement


def _describe(refused: ContractRevert) -> str:
    text = str(refused)
    return text if text.startswith(refused.error_name) else f"{refused.error_name}: {text}"
