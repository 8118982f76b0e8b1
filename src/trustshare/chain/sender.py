"""Sending transactions: local signing, local nonce tracking, receipts, typed reverts.

The sender checks every transaction with ``eth_estimateGas`` first: a call that would revert is
refused with the typed contract error and consumes no nonce, so bad input changes nothing.
Signed transactions go through a :class:`~trustshare.chain.journal.SendJournal` before they are
broadcast; :meth:`TransactionSender.resume` re-broadcasts whatever a crash left unconfirmed.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from typing import Any

from eth_account.signers.local import LocalAccount
from eth_typing import HexStr
from hexbytes import HexBytes
from web3 import Web3
from web3.contract.contract import ContractFunction
from web3.exceptions import (
    ContractLogicError,
    TimeExhausted,
    TransactionNotFound,
    Web3RPCError,
)
from web3.types import TxParams, TxReceipt, Wei

from trustshare.chain.calldata import encode_call
from trustshare.chain.contract_errors import ERRORS_BY_SELECTOR
from trustshare.chain.errors import ContractRevert, TransactionError, UnknownRevert, decode_revert
from trustshare.chain.journal import JournalEntry, MemoryJournal, SendJournal

#: Head-room over the estimate: estimates are exact on a quiet chain, but state can move
#: between estimate and inclusion (another claim landing first adds a storage read).
GAS_MARGIN_NUMERATOR = 6
GAS_MARGIN_DENOMINATOR = 5


@dataclass(frozen=True)
class TxOutcome:
    """A mined, successful transaction."""

    tx_hash: str
    block_number: int
    gas_used: int
    receipt: TxReceipt = field(repr=False)


def revert_from_exception(exc: ContractLogicError) -> ContractRevert:
    """The typed contract error carried by a web3 ``ContractLogicError``."""
    data = exc.data
    if isinstance(data, str) and data.startswith("0x"):
        return decode_revert(bytes.fromhex(data[2:]), ERRORS_BY_SELECTOR)
    if isinstance(data, bytes | HexBytes):
        return decode_revert(bytes(data), ERRORS_BY_SELECTOR)
    return UnknownRevert(raw=b"")


def call_checked(function: ContractFunction, **call_args: Any) -> Any:
    """``function.call()``, raising the typed contract error if it reverts."""
    try:
        return function.call(call_args or None)  # type: ignore[arg-type]
    except ContractLogicError as exc:
        raise revert_from_exception(exc) from exc


class TransactionSender:
    """Signs locally with ``account`` and tracks its nonces; one sender per key per process."""

    def __init__(
        self,
        w3: Web3,
        account: LocalAccount,
        *,
        journal: SendJournal | None = None,
        receipt_timeout: float = 120.0,
        poll_interval: float = 0.05,
    ) -> None:
        self.w3 = w3
        self.account = account
        self.journal: SendJournal = journal if journal is not None else MemoryJournal()
        self.receipt_timeout = receipt_timeout
        self.poll_interval = poll_interval
        self._lock = threading.Lock()
        self._chain_id = w3.eth.chain_id
        self._next_nonce: int | None = None

    @property
    def address(self) -> str:
        """The sending account's checksum address."""
        return str(self.account.address)

    # -- nonces -----------------------------------------------------------------------------

    def _take_nonce(self) -> int:
        if self._next_nonce is None:
            on_chain = self.w3.eth.get_transaction_count(self.account.address, "pending")
            journalled = self.journal.next_nonce() or 0
            self._next_nonce = max(on_chain, journalled)
        nonce = self._next_nonce
        self._next_nonce += 1
        return nonce

    # -- sending ----------------------------------------------------------------------------

    def transact(self, function: ContractFunction, *, label: str = "") -> TxOutcome:
        """Send a contract call and wait for it to be mined; raise its typed error if refused."""
        tx: TxParams = {"from": self.account.address, "to": function.address, "value": Wei(0)}
        tx["data"] = HexStr(encode_call(function))
        return self.send(tx, label=label or function.fn_name)

    def deploy(self, abi: list[dict[str, Any]], bytecode: str, *args: Any) -> TxOutcome:
        """Deploy a contract; the outcome's receipt carries ``contractAddress``."""
        factory = self.w3.eth.contract(abi=abi, bytecode=bytecode)
        data = factory.constructor(*args).data_in_transaction
        tx: TxParams = {"from": self.account.address, "data": data, "value": Wei(0)}
        return self.send(tx, label="deploy")

    def send(self, tx: TxParams, *, label: str = "") -> TxOutcome:
        """Estimate (typed error if it would revert), sign, journal, broadcast, wait."""
        try:
            estimate = self.w3.eth.estimate_gas(tx)
        except ContractLogicError as exc:
            raise revert_from_exception(exc) from exc
        with self._lock:
            nonce = self._take_nonce()
            signed = self._sign(
                tx, nonce, estimate * GAS_MARGIN_NUMERATOR // GAS_MARGIN_DENOMINATOR
            )
            tx_hash = "0x" + bytes(signed.hash).hex()
            raw = "0x" + bytes(signed.raw_transaction).hex()
            self.journal.record(JournalEntry(nonce, tx_hash, raw, label))
            self._broadcast(raw, tx_hash)
        receipt = self.wait(tx_hash)
        if receipt["status"] != 1:
            raise self._revert_of_mined(tx, receipt)
        return TxOutcome(tx_hash, receipt["blockNumber"], receipt["gasUsed"], receipt)

    def _sign(self, tx: TxParams, nonce: int, gas: int) -> Any:
        latest = self.w3.eth.get_block("latest")
        base_fee = int(latest.get("baseFeePerGas", 0) or 0)
        priority = Web3.to_wei(1, "gwei")
        full: dict[str, Any] = {
            **tx,
            "nonce": nonce,
            "gas": gas,
            "chainId": self._chain_id,
            "maxPriorityFeePerGas": priority,
            "maxFeePerGas": 2 * base_fee + priority,
            "type": 2,
        }
        return self.account.sign_transaction(full)

    def _broadcast(self, raw: str, tx_hash: str) -> None:
        try:
            self.w3.eth.send_raw_transaction(HexStr(raw))
        except (ValueError, Web3RPCError) as exc:  # web3 7 reports RPC errors as Web3RPCError
            message = str(exc).lower()
            if "already known" in message or "already imported" in message:
                return  # the node has it already: a re-broadcast after a restart
            raise TransactionError(f"broadcast of {tx_hash} refused: {exc}") from exc

    def wait(self, tx_hash: str) -> TxReceipt:
        """Wait for ``tx_hash``'s receipt and mark it done in the journal."""
        try:
            receipt = self.w3.eth.wait_for_transaction_receipt(
                HexBytes(tx_hash), timeout=self.receipt_timeout, poll_latency=self.poll_interval
            )
        except TimeExhausted as exc:
            raise TransactionError(
                f"{tx_hash} not mined within {self.receipt_timeout:.0f} s; it stays in the "
                "journal and is re-broadcast by resume()"
            ) from exc
        self.journal.mark_done(tx_hash)
        return receipt

    def _revert_of_mined(self, tx: TxParams, receipt: TxReceipt) -> ContractRevert:
        # Replay the call at the block before inclusion to read the revert data.
        replay: TxParams = {k: v for k, v in tx.items() if k in ("from", "to", "data", "value")}  # type: ignore[assignment]
        try:
            self.w3.eth.call(replay, receipt["blockNumber"] - 1)
        except ContractLogicError as exc:
            return revert_from_exception(exc)
        return UnknownRevert(raw=b"")

    # -- recovery ---------------------------------------------------------------------------

    def resume(self) -> list[str]:
        """Re-broadcast every journalled transaction not yet mined; wait for all of them.

        Returns the hashes that were still pending. Safe to call on every start.
        """
        pending = self.journal.pending()
        for entry in pending:
            try:
                self.w3.eth.get_transaction_receipt(HexBytes(entry.tx_hash))
                self.journal.mark_done(entry.tx_hash)
                continue
            except TransactionNotFound:
                pass
            self._broadcast(entry.raw, entry.tx_hash)
        for entry in pending:
            self.wait(entry.tx_hash)
        return [entry.tx_hash for entry in pending]
