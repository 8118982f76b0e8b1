"""Binding at the patient's request: a voucher from the counter, redeemed by the wallet's key.

Two proofs meet here. The person proves who they are to the bureau off-chain (at a service
counter, or through the national platform's real-name check); the clerk then issues a
*binding voucher* for them. The patient's wallet redeems the voucher in a request signed with
its own key (the gateway's signed-request scheme), which proves it holds the key it wants
bound. Only then is the binding stored and its chain write queued, as an operator binding is.

A voucher is ``tsbv1.`` followed by the unpadded base64url of 56 bytes::

    pseudonym (32) ‖ issued_at_ms (8, big-endian unix milliseconds) ‖ tag (16)

``tag`` is the first 16 bytes of HMAC-SHA256, under a key derived from the bureau's pseudonym
key, over the bureau's address, the pseudonym and ``issued_at_ms``: only this bureau can have made
it and nobody can alter it. The ID number is turned into the pseudonym at once and is not in
the voucher. A voucher expires :data:`VOUCHER_LIFETIME_S` after issue, and is spent once its
pseudonym has been bound at or after its issue: redeeming it again with the same wallet
answers the same binding, with another wallet it is refused.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import logging
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Final

from eth_utils.address import to_canonical_address
from sqlalchemy.orm import Session

from trustshare.bureau.context import BureauContext
from trustshare.bureau.identity import (
    BindingQueued,
    checked_wallet,
    pseudonym_for,
    queue_binding,
)
from trustshare.storage.models import WalletBinding

log = logging.getLogger(__name__)

VOUCHER_PREFIX: Final = "tsbv1."
VOUCHER_LIFETIME_S: Final = 30 * 60
"""How long a voucher may wait between the counter and the wallet."""
_TAG_BYTES: Final = 16
_BODY_BYTES: Final = 32 + 8
_KEY_LABEL: Final = b"trustshare/binding-voucher-key/v1"


class VoucherRefused(ValueError):
    """A voucher the bureau does not accept; ``code`` says why (stable, for clients)."""

    def __init__(self, code: str, message: str) -> None:
        """Name the refusal."""
        super().__init__(message)
        self.code = code
        self.message = message


@dataclass(frozen=True)
class Voucher:
    """A verified voucher: whom it binds and when the clerk issued it."""

    pseudonym: bytes
    issued_at_ms: int

    @property
    def expires_at(self) -> int:
        """Unix seconds after which the voucher is refused."""
        return self.issued_at_ms // 1000 + VOUCHER_LIFETIME_S


def _voucher_key(context: BureauContext) -> bytes:
    return context.pseudonym_key.mac(_KEY_LABEL)


def _tag(context: BureauContext, body: bytes) -> bytes:
    message = to_canonical_address(context.address) + body
    return hmac.new(_voucher_key(context), message, hashlib.sha256).digest()[:_TAG_BYTES]


def issue_voucher(context: BureauContext, id_number: str) -> tuple[str, Voucher]:
    """A voucher for the person with ``id_number`` (verified off-chain by the caller)."""
    issued_at_ms = int(context.clock() * 1000)
    voucher = Voucher(pseudonym_for(id_number, context.pseudonym_key), issued_at_ms)
    body = voucher.pseudonym + voucher.issued_at_ms.to_bytes(8, "big")
    token = base64.urlsafe_b64encode(body + _tag(context, body)).rstrip(b"=").decode()
    return VOUCHER_PREFIX + token, voucher


def read_voucher(context: BureauContext, text: str) -> Voucher:
    """The voucher ``text`` stands for, if this bureau issued it and it has not expired."""
    token = text.strip()
    if not token.startswith(VOUCHER_PREFIX):
        raise VoucherRefused("invalid_voucher", f"a binding voucher starts with {VOUCHER_PREFIX}")
    encoded = token.removeprefix(VOUCHER_PREFIX)
    try:
        raw = base64.urlsafe_b64decode(encoded + "=" * (-len(encoded) % 4))
    except (binascii.Error, ValueError):
        raw = b""
    body, tag = raw[:_BODY_BYTES], raw[_BODY_BYTES:]
    if len(raw) != _BODY_BYTES + _TAG_BYTES or not hmac.compare_digest(tag, _tag(context, body)):
        raise VoucherRefused(
            "invalid_voucher", "this is not a voucher issued by this bureau (or it was mistyped)"
        )
    voucher = Voucher(body[:32], int.from_bytes(body[32:], "big"))
    if context.clock() > voucher.expires_at:
        raise VoucherRefused(
            "voucher_expired", "the voucher has expired: ask the bureau's counter for a new one"
        )
    return voucher


def redeem_voucher(
    context: BureauContext, session: Session, voucher: Voucher, wallet: str
) -> BindingQueued:
    """Bind ``voucher``'s pseudonym to ``wallet`` (which proved its key) and queue the write.

    The binding row is locked first, so two wallets racing with one voucher cannot both win.
    """
    chosen = checked_wallet(wallet)

    def unspent(binding: WalletBinding | None) -> None:
        spent = binding is not None and _unix_ms(binding.bound_at) >= voucher.issued_at_ms
        if spent and binding is not None and binding.wallet != chosen:
            raise VoucherRefused(
                "voucher_spent", "this voucher already bound another wallet; ask for a new one"
            )

    queued = queue_binding(context, session, voucher.pseudonym, chosen, check=unspent)
    if not queued.repeated:
        log.info("binding requested: pseudonym %s", voucher.pseudonym.hex()[:16])
    return queued


def _unix_ms(moment: datetime) -> int:
    # SQLite hands back naive datetimes; every stored time is UTC.
    aware = moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)
    return int(aware.timestamp() * 1000)
