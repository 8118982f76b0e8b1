"""What a restarted sender asks the chain about a transaction it signed earlier.

A node that journals its signed transactions (the bureau's clearing publisher, the insurer's
claim sender) finds, after a crash or a dropped transaction, entries whose outcome it never
recorded. For each it asks: is there a receipt; has the account's nonce moved past it (then
the transaction was mined, or replaced by another); does the node still hold it, or must the
signed bytes be broadcast again.
"""

from __future__ import annotations

from eth_typing import HexStr
from hexbytes import HexBytes
from web3 import Web3
from web3.exceptions import TransactionNotFound, Web3Exception
from web3.types import TxReceipt

from trustshare.chain.errors import TransactionError


def receipt_of(w3: Web3, tx_hash: str) -> TxReceipt | None:
    """The transaction's receipt, or None while it is not mined (or unknown)."""
    try:
        return w3.eth.get_transaction_receipt(HexBytes(tx_hash))
    except TransactionNotFound:
        return None


def nonce_taken(w3: Web3, account: str, nonce: int) -> bool:
    """Whether a mined transaction of ``account`` already used ``nonce``."""
    return w3.eth.get_transaction_count(account, "latest") > nonce  # type: ignore[arg-type]


def rebroadcast(w3: Web3, tx_hash: str, raw: str) -> bool:
    """Send the signed bytes again unless the node still holds them; whether it was sent.

    "already known" answers count as held. Any other refusal raises :class:`TransactionError`.
    """
    try:
        w3.eth.get_transaction(HexBytes(tx_hash))
        return False  # the node still holds it
    except TransactionNotFound:
        pass
    try:
        w3.eth.send_raw_transaction(HexStr(raw))
    except (ValueError, Web3Exception) as exc:
        if "already" not in str(exc).lower():  # "already known" / "already imported"
            raise TransactionError(f"re-broadcast of {tx_hash} refused: {exc}") from exc
        return False
    return True
