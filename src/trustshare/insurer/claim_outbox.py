"""The claim sender: turns the claims outbox into on-chain claims, and claims into payouts.

Each round (:meth:`ClaimSender.run_once`, or a background thread) retries the waiting claims
that are due, settles what a previous round or process left ``sent``, queues the reversal of
recorded claims whose settlement was superseded (:mod:`.claims_corrections`), then sends
``pending`` entries: several ``record_claim`` entries go as one ``recordClaims`` transaction (all or
nothing; if the chain would refuse the batch, each is sent alone to learn which one and why).

The signed transaction is stored on its entries and committed before it is broadcast
(:class:`ClaimJournal`); the receipt is recorded in ONE database transaction with its effect:
entries ``done``, claims ``recorded`` and their ``payouts`` rows. So a crash between the chain
and the ledger ends, on the next round, in exactly one payout:

- a ``sent`` entry whose claim the chain holds is recorded from the chain;
- a ``sent`` entry whose nonce went to another transaction is signed again;
- any other ``sent`` entry is re-broadcast from its raw bytes (same hash) and awaited.

A contract refusal (``ClaimRegistryConsentMissing``, ``ClaimRegistryCeilingExceeded``, …)
refuses the claim with the error's name as its code; nothing is paid for it.
"""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Final

from sqlalchemy import func, select
from sqlalchemy.orm import Session
from web3.exceptions import Web3Exception
from web3.types import TxReceipt

from trustshare.chain import recovery
from trustshare.chain.contract_errors import ClaimRegistryDuplicateClaim, ClaimRegistryNoActiveClaim
from trustshare.chain.errors import ContractRevert, TransactionError
from trustshare.chain.journal import JournalEntry
from trustshare.chain.registries import Registries
from trustshare.chain.registries.claims import ClaimRequest
from trustshare.chain.sender import TransactionSender, TxOutcome
from trustshare.crypto.leaves import SettlementLeaf
from trustshare.insurer import clearing, payouts
from trustshare.insurer.claims_bulk import FetchMany, fetch_releases, retry_due
from trustshare.insurer.claims_corrections import REVERSE, queue_reversals
from trustshare.insurer.context import InsurerContext
from trustshare.insurer.reconcile import event_tx
from trustshare.storage.database import transaction
from trustshare.storage.insurer_models import ClaimOutboxEntry, ClaimRow, ClaimStatus

log = logging.getLogger(__name__)

TRANSPORT_ERRORS: Final = (OSError, TransactionError, Web3Exception)
RECORD: Final = "record_claim"
ZERO_ADDRESS: Final = "0x" + "00" * 20


_RUNNING: dict[int, ClaimSender] = {}
"""The started sender of each node, by ``id()`` of its context (one sender per node)."""
_RUNNING_LOCK = threading.Lock()


def wake_sender(context: InsurerContext) -> None:
    """Tell ``context``'s running claim sender that a claim was queued (none running: nothing)."""
    with _RUNNING_LOCK:
        sender = _RUNNING.get(id(context))
    if sender is not None and sender.context is context:
        sender.wake()


class ClaimJournal:
    """The sender's journal, kept on the outbox entries being sent (one sender per node)."""

    def __init__(self, context: InsurerContext) -> None:
        """Journal into ``context``'s database."""
        self._sessions = context.sessions
        self._entry_ids: list[int] = []

    @contextmanager
    def sending(self, entry_ids: list[int]) -> Iterator[None]:
        """Attribute the transaction signed inside the block to these outbox entries."""
        self._entry_ids = list(entry_ids)
        try:
            yield
        finally:
            self._entry_ids = []

    def record(self, entry: JournalEntry) -> None:
        """Store the signed transaction on the current entries, status ``sent``, and commit."""
        if not self._entry_ids:
            raise TransactionError("the insurer key signs claim outbox entries only")
        with transaction(self._sessions) as session:
            for row in _entries(session, self._entry_ids):
                row.status = "sent"
                row.nonce, row.tx_hash, row.raw_tx = entry.nonce, entry.tx_hash, entry.raw
                row.attempts += 1

    def mark_done(self, tx_hash: str) -> None:
        """Nothing to store: the sender records the receipt together with its effect."""

    def pending(self) -> list[JournalEntry]:
        """One entry per transaction signed whose outcome is not recorded yet."""
        with self._sessions() as session:
            rows = session.scalars(
                select(ClaimOutboxEntry)
                .where(ClaimOutboxEntry.status == "sent")
                .order_by(ClaimOutboxEntry.nonce)
            )
            seen: dict[str, JournalEntry] = {}
            for row in rows:
                seen.setdefault(
                    row.tx_hash or "",
                    JournalEntry(row.nonce or 0, row.tx_hash or "", row.raw_tx or "", "claims"),
                )
            return list(seen.values())

    def next_nonce(self) -> int | None:
        """One above the highest nonce an entry was ever signed with."""
        with self._sessions() as session:
            highest = session.scalar(select(func.max(ClaimOutboxEntry.nonce)))
        return None if highest is None else int(highest) + 1


def _entries(session: Session, ids: list[int]) -> list[ClaimOutboxEntry]:
    query = select(ClaimOutboxEntry).where(ClaimOutboxEntry.id.in_(ids)).with_for_update()
    return list(session.scalars(query.order_by(ClaimOutboxEntry.id)))


def _claim_request(claim: ClaimRow) -> ClaimRequest:
    if claim.pseudonym is None or claim.batch_root is None:
        raise ValueError(f"claim {claim.claim_id} is not verified")
    leaf = SettlementLeaf(
        claim.settlement_id,
        claim.pseudonym,
        claim.record_commitment or b"",
        claim.claim_ceiling_fen or 0,
    )
    proof = [bytes.fromhex(node[2:]) for node in json.loads(claim.proof_json)]
    return ClaimRequest(claim.batch_root, leaf, proof, claim.amount_fen)


@dataclass
class SendReport:
    """What one round did (claim ids of this node) and why it stopped early, if it did."""

    retried: int = 0
    recorded: list[str] = field(default_factory=list)
    refused: list[str] = field(default_factory=list)
    reversed: list[str] = field(default_factory=list)
    reversals_queued: list[str] = field(default_factory=list)
    interrupted: str | None = None


class ClaimSender:
    """Sends the claims outbox for one node: ``run_once()``, or ``start()``/``stop()``."""

    def __init__(
        self,
        context: InsurerContext,
        *,
        fetch_many: FetchMany = fetch_releases,
        batch_size: int | None = None,
        interval: float | None = None,
        receipt_timeout: float = 60.0,
        receipt_poll: float | None = None,
    ) -> None:
        """Send for ``context``; ``fetch_many`` asks a bureau for records (tests may redirect it).

        ``interval`` (default: the node's ``claim_sender_poll_ms``) is how long the thread
        sleeps between rounds when nothing wakes it (:meth:`wake`); ``receipt_poll`` (default:
        ``claim_receipt_poll_ms``) how often a sent transaction's receipt is asked for;
        ``batch_size`` (default: ``claim_batch_size``) the most claims in one ``recordClaims``.
        """
        self.context = context
        self.fetch_many = fetch_many
        self.batch_size = context.settings.claim_batch_size if batch_size is None else batch_size
        if interval is None:
            interval = context.settings.claim_sender_poll_ms / 1000
        self.interval = interval
        self.receipt_timeout = receipt_timeout
        if receipt_poll is None:
            receipt_poll = context.settings.claim_receipt_poll_ms / 1000
        self.receipt_poll = receipt_poll
        self.journal = ClaimJournal(context)
        self._sender: TransactionSender | None = None
        self._registries: Registries | None = None
        self._superseded_from = 0
        self._stopping = threading.Event()
        self._woken = threading.Event()
        self._thread: threading.Thread | None = None

    # -- running --------------------------------------------------------------------------

    def run_once(self) -> SendReport:
        """One round: retry due claims, settle ``sent`` entries, send ``pending`` ones."""
        report = SendReport()
        try:
            report.retried = retry_due(self.context, fetch_many=self.fetch_many)
            self._settle_sent(report)
            reversals, self._superseded_from = queue_reversals(
                self.context, from_block=self._superseded_from
            )
            report.reversals_queued = reversals
            self._send_pending(report)
        except TRANSPORT_ERRORS as exc:
            report.interrupted = f"{type(exc).__name__}: {exc}"
            self._sender = None  # read the chain's nonce again when it is back
        return report

    def start(self) -> None:
        """Run rounds in a background thread until :meth:`stop`.

        A round starts when :meth:`wake` is called (a claim was queued), or ``interval``
        seconds after the previous one (retries, entries left ``sent``, reversals). Claims
        queued while a round sends go together in the next round's ``recordClaims``.
        """
        if self._thread is None:
            self._stopping.clear()
            self._thread = threading.Thread(target=self._serve, name="claim-sender", daemon=True)
            self._thread.start()
            with _RUNNING_LOCK:
                _RUNNING[id(self.context)] = self

    def stop(self, timeout: float = 30.0) -> None:
        """Ask the thread to stop after its current round and wait for it."""
        self._stopping.set()
        self._woken.set()
        with _RUNNING_LOCK:
            if _RUNNING.get(id(self.context)) is self:
                del _RUNNING[id(self.context)]
        if self._thread is not None:
            self._thread.join(timeout)
            self._thread = None

    def wake(self) -> None:
        """Start the next round now (a claim was queued) instead of after ``interval``."""
        self._woken.set()

    def _serve(self) -> None:
        while not self._stopping.is_set():
            self._woken.clear()  # a claim queued from here on gets a round after this one
            try:
                report = self.run_once()
                if report.interrupted:
                    log.warning("claim sender paused: %s", report.interrupted)
            except Exception:  # a database hiccup must not end the thread
                log.exception("claim sender round failed")
            self._woken.wait(self.interval)

    @property
    def sender(self) -> TransactionSender:
        """The insurer key's sender, journalling into the outbox."""
        if self._sender is None:
            self._sender = TransactionSender(
                self.context.w3,
                self.context.keystore.account,
                journal=self.journal,
                receipt_timeout=self.receipt_timeout,
                poll_interval=self.receipt_poll,
            )
            self._registries = None
        return self._sender

    @property
    def registries(self) -> Registries:
        """The registries, sending as the insurer through the journalled sender."""
        sender = self.sender
        if self._registries is None:
            self._registries = self.context.registries.acting_as(sender)
        return self._registries

    # -- entries left sent ------------------------------------------------------------------

    def _settle_sent(self, report: SendReport) -> None:
        with self.context.sessions() as session:
            sent = list(
                session.scalars(
                    select(ClaimOutboxEntry)
                    .where(ClaimOutboxEntry.status == "sent")
                    .order_by(ClaimOutboxEntry.id)
                )
            )
            by_tx: dict[str, list[int]] = {}
            nonces: dict[str, int] = {}
            raws: dict[str, str] = {}
            for entry in sent:
                by_tx.setdefault(entry.tx_hash or "", []).append(entry.id)
                nonces[entry.tx_hash or ""] = entry.nonce or 0
                raws[entry.tx_hash or ""] = entry.raw_tx or ""
        for tx_hash, ids in by_tx.items():
            receipt = self._receipt(tx_hash)
            if receipt is None and self._nonce_taken(nonces[tx_hash]):
                receipt = self._receipt(tx_hash)  # ours may have been mined in between
                if receipt is None:
                    self._found_or_reopen(ids, report)
                    continue
            if receipt is None:
                self._rebroadcast(tx_hash, raws[tx_hash])
                receipt = self.sender.wait(tx_hash)
            if receipt["status"] == 1:
                self._record_done(ids, tx_hash, receipt["blockNumber"], report)
            else:
                self._found_or_reopen(ids, report)

    def _receipt(self, tx_hash: str) -> TxReceipt | None:
        return recovery.receipt_of(self.context.w3, tx_hash)

    def _nonce_taken(self, nonce: int) -> bool:
        return recovery.nonce_taken(self.context.w3, self.context.keystore.account.address, nonce)

    def _rebroadcast(self, tx_hash: str, raw: str) -> None:
        recovery.rebroadcast(self.context.w3, tx_hash, raw)

    def _found_or_reopen(self, ids: list[int], report: SendReport) -> None:
        """Entries whose transaction did not take effect: done if the chain has it, else again."""
        for entry_id, kind, settlement_id in self._describe(ids):
            claim = self.context.registries.claims.claim_of(settlement_id, self.context.address)
            found = claim.insurer != ZERO_ADDRESS and (kind == RECORD or claim.reversed)
            if found:
                tx_hash = event_tx(self.context, settlement_id, reversal=kind == REVERSE)
                self._record_done([entry_id], tx_hash or "", None, report)
            else:
                with transaction(self.context.sessions) as session:
                    for entry in _entries(session, [entry_id]):
                        entry.status, entry.nonce, entry.tx_hash, entry.raw_tx = (
                            "pending",
                            None,
                            None,
                            None,
                        )
        self._sender = None  # its nonce cache predates the replacement

    def _describe(self, ids: list[int]) -> list[tuple[int, str, bytes]]:
        with self.context.sessions() as session:
            rows = session.execute(
                select(ClaimOutboxEntry.id, ClaimOutboxEntry.kind, ClaimRow.settlement_id)
                .join(ClaimRow, ClaimRow.id == ClaimOutboxEntry.claim_id)
                .where(ClaimOutboxEntry.id.in_(ids))
            ).all()
        return [(entry_id, kind, bytes(settlement)) for entry_id, kind, settlement in rows]

    # -- pending entries --------------------------------------------------------------------

    def _send_pending(self, report: SendReport) -> None:
        while True:
            with self.context.sessions() as session:
                pending = session.execute(
                    select(ClaimOutboxEntry.id, ClaimOutboxEntry.kind)
                    .where(ClaimOutboxEntry.status == "pending")
                    .order_by(ClaimOutboxEntry.id)
                    .limit(self.batch_size)
                ).all()
            if not pending:
                return
            records = [entry_id for entry_id, kind in pending if kind == RECORD]
            if len(records) > 1:
                self._send_batch(records, report)
            elif records:
                self._send_one(records[0], report)
            for entry_id, kind in pending:
                if kind != RECORD:
                    self._send_one(entry_id, report)

    def _send_batch(self, ids: list[int], report: SendReport) -> None:
        requests = self._requests(ids)
        try:
            with self.journal.sending(ids):
                outcome = self.registries.claims.record_claims(requests)
        except ContractRevert:  # some claim is refused: send each alone to learn which
            for entry_id in ids:
                self._send_one(entry_id, report)
            return
        self._record_done(ids, outcome.tx_hash, outcome.block_number, report)

    def _send_one(self, entry_id: int, report: SendReport) -> None:
        ((_, kind, settlement_id),) = self._describe([entry_id])
        outcome: TxOutcome
        try:
            with self.journal.sending([entry_id]):
                if kind == RECORD:
                    (request,) = self._requests([entry_id])
                    outcome = self.registries.claims.record_claim(request)
                else:
                    outcome = self.registries.claims.reverse_claim(
                        settlement_id, self.context.address
                    )
        except (ClaimRegistryDuplicateClaim, ClaimRegistryNoActiveClaim):
            self._found_or_reopen([entry_id], report)  # the chain has it already
            return
        except ContractRevert as refused:
            self._record_refused(entry_id, refused, report)
            return
        self._record_done([entry_id], outcome.tx_hash, outcome.block_number, report)

    def _requests(self, ids: list[int]) -> list[ClaimRequest]:
        """The on-chain claim of each outbox entry, in the order of ``ids`` (one query)."""
        with self.context.sessions() as session:
            rows = session.execute(
                select(ClaimOutboxEntry.id, ClaimRow)
                .join(ClaimRow, ClaimRow.id == ClaimOutboxEntry.claim_id)
                .where(ClaimOutboxEntry.id.in_(ids))
            ).all()
            claims_of = {entry_id: claim for entry_id, claim in rows}
            return [_claim_request(claims_of[entry_id]) for entry_id in ids]

    # -- recording outcomes -----------------------------------------------------------------

    def _record_done(
        self, ids: list[int], tx_hash: str, block_number: int | None, report: SendReport
    ) -> None:
        with transaction(self.context.sessions) as session:
            entries = [entry for entry in _entries(session, ids) if entry.status != "done"]
            claims_of = {
                claim.id: claim
                for claim in session.scalars(
                    select(ClaimRow)
                    .where(ClaimRow.id.in_([entry.claim_id for entry in entries]))
                    .with_for_update()
                )
            }
            paid = payouts.paid_claims(session, list(claims_of))
            for entry in entries:
                entry.status, entry.error = "done", None
                entry.tx_hash, entry.block_number = tx_hash or entry.tx_hash, block_number
                claim = claims_of[entry.claim_id]
                if entry.kind == RECORD and claim.status == ClaimStatus.QUEUED:
                    claim.status, claim.tx_hash = ClaimStatus.RECORDED, tx_hash
                    if claim.id not in paid:
                        payouts.add_payout(session, claim, tx_hash)
                    clearing.settle_hold(session, claim, recorded=True)
                    report.recorded.append(claim.claim_id)
                elif entry.kind == REVERSE and claim.status == ClaimStatus.RECORDED:
                    claim.status = ClaimStatus.REVERSED
                    payouts.reverse(session, claim, tx_hash)
                    report.reversed.append(claim.claim_id)

    def _record_refused(self, entry_id: int, refused: ContractRevert, report: SendReport) -> None:
        name = refused.error_name
        text = str(refused)
        log.warning("claim outbox %d refused by the chain: %s", entry_id, text)
        with transaction(self.context.sessions) as session:
            (entry,) = _entries(session, [entry_id])
            entry.status = "failed"
            entry.error = text if text.startswith(name) else f"{name}: {text}"
            claim = session.get_one(ClaimRow, entry.claim_id)
            if entry.kind == RECORD and claim.status == ClaimStatus.QUEUED:
                claim.status = ClaimStatus.REFUSED
                claim.refusal_code, claim.refusal_reason = name, text[:500]
                clearing.settle_hold(session, claim, recorded=False)
                report.refused.append(claim.claim_id)
