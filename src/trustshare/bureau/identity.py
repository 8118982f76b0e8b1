"""Identity binding: a verified person's ID number → keyed pseudonym → wallet, on chain.

The bureau has verified the person off-chain (at a service counter, or through the national
platform's real-name check). This service turns the ID number into the keyed pseudonym at once
and forgets it: the number is never stored, logged or returned. The binding is stored locally
and its chain write (``ConsentRegistry.bindWallet``) queued in the outbox, in one transaction.
Rebinding after a lost key is the same call with the new wallet.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime

from eth_utils.address import is_address, is_checksum_address, to_checksum_address
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from trustshare.bureau.context import BureauContext
from trustshare.bureau.outbox import enqueue
from trustshare.crypto.errors import InvalidIdNumberError
from trustshare.crypto.pseudonym import PseudonymKey, pseudonym_of
from trustshare.storage.models import OutboxEntry, WalletBinding

log = logging.getLogger(__name__)

ZERO_ADDRESS = "0x" + "00" * 20
PSEUDONYM_BYTES = 32
#: Outbox states in which a queued binding will still reach (or has reached) the chain.
_LIVE_OUTBOX_STATES = frozenset({"pending", "sent", "done"})


class OperatorInputError(ValueError):
    """Operator input the bureau cannot accept; ``field`` names it, ``reason`` says why."""

    def __init__(self, field: str, reason: str) -> None:
        """Name the offending field and the reason (never echoing an ID number)."""
        super().__init__(f"{field}: {reason}")
        self.field = field
        self.reason = reason


class BoundByOtherBureau(Exception):
    """The pseudonym is bound on chain by another active bureau: only it may rebind."""

    def __init__(self, holder: str) -> None:
        """Name the bureau holding the binding."""
        super().__init__(f"the pseudonym is bound by bureau {holder}, which alone may rebind it")
        self.holder = holder


def pseudonym_for(id_number: str, key: PseudonymKey, *, field: str = "id_number") -> bytes:
    """The keyed pseudonym of ``id_number``; an invalid number is an :class:`OperatorInputError`."""
    try:
        return pseudonym_of(id_number, key)
    except InvalidIdNumberError as error:
        raise OperatorInputError(field, str(error)) from error


def checked_wallet(wallet: str, *, field: str = "wallet") -> str:
    """``wallet`` as a checksum address; refuses malformed, mis-checksummed and zero addresses."""
    if not isinstance(wallet, str) or not wallet.startswith("0x") or not is_address(wallet):
        raise OperatorInputError(field, "must be a 0x-prefixed 20-byte hex address")
    mixed_case = wallet != wallet.lower() and wallet[2:] != wallet[2:].upper()
    if mixed_case and not is_checksum_address(wallet):
        raise OperatorInputError(field, "mixed-case address fails its EIP-55 checksum")
    checksummed = str(to_checksum_address(wallet))
    if checksummed == ZERO_ADDRESS:
        raise OperatorInputError(field, "the zero address cannot hold a binding")
    return checksummed


def parse_pseudonym(text: str, *, field: str = "pseudonym") -> bytes:
    """A pseudonym from its 0x-prefixed (or bare) 64-digit hex form."""
    digits = text.removeprefix("0x")
    try:
        value = bytes.fromhex(digits)
    except ValueError:
        value = b""
    if len(value) != PSEUDONYM_BYTES:
        raise OperatorInputError(field, "must be 32 bytes of hex (64 hex digits)")
    return value


@dataclass(frozen=True)
class BindingQueued:
    """A binding stored and its chain write queued (or an identical one already live)."""

    pseudonym: bytes
    wallet: str
    outbox_id: int
    repeated: bool
    """True when the same wallet was already bound and its chain write is still live."""


def bind_identity(
    context: BureauContext, session: Session, id_number: str, wallet: str
) -> BindingQueued:
    """Bind the person with ``id_number`` to ``wallet`` and queue ``bindWallet``; commits."""
    chosen = checked_wallet(wallet)
    pseudonym = pseudonym_for(id_number, context.pseudonym_key)
    return queue_binding(context, session, pseudonym, chosen)


def locked_binding(session: Session, pseudonym: bytes) -> WalletBinding | None:
    """The stored binding of ``pseudonym``, locked for this transaction where the backend can."""
    return session.scalar(
        select(WalletBinding).where(WalletBinding.pseudonym == pseudonym).with_for_update()
    )


def queue_binding(
    context: BureauContext,
    session: Session,
    pseudonym: bytes,
    wallet: str,
    *,
    check: Callable[[WalletBinding | None], None] | None = None,
) -> BindingQueued:
    """Store ``pseudonym`` → ``wallet`` (checksummed) and queue ``bindWallet``; commits.

    ``check`` sees the stored binding (locked) first and may refuse by raising. The same
    binding already on its way (or done) is answered as a repeat. Two first bindings racing
    for one pseudonym meet the primary key: the loser starts again against the winner's row.
    """
    refuse_foreign_binding(context, pseudonym)
    binding = locked_binding(session, pseudonym)
    if check is not None:
        try:
            check(binding)
        except Exception:
            session.rollback()
            raise
    if binding is not None and binding.wallet == wallet and binding.outbox_id is not None:
        entry = session.get(OutboxEntry, binding.outbox_id)
        if entry is not None and entry.status in _LIVE_OUTBOX_STATES:
            return BindingQueued(pseudonym, wallet, entry.id, repeated=True)
    entry = enqueue(session, "bind_wallet", {"pseudonym": "0x" + pseudonym.hex(), "wallet": wallet})
    if binding is None:
        binding = WalletBinding(pseudonym=pseudonym)
        session.add(binding)
    binding.wallet = wallet
    binding.outbox_id = entry.id
    binding.bound_at = datetime.fromtimestamp(context.clock(), UTC)
    try:
        session.commit()
    except IntegrityError:
        session.rollback()
        return queue_binding(context, session, pseudonym, wallet, check=check)
    log.info("wallet binding queued: pseudonym %s, outbox %d", pseudonym.hex()[:16], entry.id)
    return BindingQueued(pseudonym, wallet, entry.id, repeated=False)


def refuse_foreign_binding(context: BureauContext, pseudonym: bytes) -> None:
    """Refuse early what the contract would refuse; a chain outage defers to the outbox."""
    try:
        _, holder = context.registries.consents.binding_of(pseudonym)
        foreign = holder not in (ZERO_ADDRESS, context.address)
        if foreign and context.registries.participants.is_active_bureau(holder):
            raise BoundByOtherBureau(holder)
    except OSError as error:  # the chain is unreachable: the publisher will meet the contract
        log.warning("binding pre-check skipped, chain unreachable: %s", error)


@dataclass(frozen=True)
class BindingStatus:
    """What the bureau and the chain each say about a pseudonym's wallet."""

    pseudonym: bytes
    local_wallet: str | None
    bound_at: datetime | None
    outbox_id: int | None
    outbox_status: str | None
    outbox_error: str | None
    chain_wallet: str | None
    chain_bureau: str | None

    @property
    def state(self) -> str:
        """``synced``, ``pending``, ``failed``, ``chain_only`` or ``unbound``."""
        if self.local_wallet is None:
            return "unbound" if self.chain_wallet is None else "chain_only"
        if self.chain_wallet == self.local_wallet:
            return "synced"
        if self.outbox_status == "failed":
            return "failed"
        return "pending"


def binding_status(context: BureauContext, session: Session, pseudonym: bytes) -> BindingStatus:
    """The local binding of ``pseudonym``, its outbox entry, and the chain's ``bindingOf``."""
    row = session.execute(
        select(WalletBinding, OutboxEntry)
        .outerjoin(OutboxEntry, OutboxEntry.id == WalletBinding.outbox_id)
        .where(WalletBinding.pseudonym == pseudonym)
    ).first()
    binding, entry = (row[0], row[1]) if row is not None else (None, None)
    chain_wallet, chain_bureau = context.registries.consents.binding_of(pseudonym)
    unbound = chain_wallet == ZERO_ADDRESS
    return BindingStatus(
        pseudonym=pseudonym,
        local_wallet=binding.wallet if binding else None,
        bound_at=binding.bound_at if binding else None,
        outbox_id=entry.id if entry else None,
        outbox_status=entry.status if entry else None,
        outbox_error=entry.error if entry else None,
        chain_wallet=None if unbound else chain_wallet,
        chain_bureau=None if unbound else chain_bureau,
    )
