"""Repository of the personal-account ledger: accounts, append-only entries, one-statement moves.

A move is one conditional ``UPDATE`` of the balance (``balance ≥ amount`` for a debit, ``balance
≤ limit − amount`` for a credit) followed by the entry's ``INSERT`` in the same transaction: two
concurrent debits can never both pass the check (the row's write lock serialises them on
PostgreSQL; SQLite has one writer), and an entry whose key exists already fails on the unique key,
rolling the balance change back with it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from trustshare.storage.database import transaction
from trustshare.storage.models import PersonalAccount, PersonalAccountEntry

CREDIT = "credit"
DEBIT = "debit"
MAX_BALANCE_FEN = 2**53 - 1
"""The most an account may hold: every amount stays exact in JSON (and far from BIGINT's end)."""


@dataclass(frozen=True)
class Move:
    """An entry to append, and what it is: its key, its fingerprint, who is involved."""

    pseudonym: bytes
    kind: str
    amount_fen: int
    entry_key: str
    fingerprint: str
    reference: str
    counterparty: str | None = None
    signer: str | None = None


def account_of(session: Session, pseudonym: bytes) -> PersonalAccount | None:
    """The account of ``pseudonym``, if one is open."""
    return session.get(PersonalAccount, pseudonym)


def entry_by_key(session: Session, entry_key: str) -> PersonalAccountEntry | None:
    """The entry stored under ``entry_key``."""
    return session.scalar(
        select(PersonalAccountEntry).where(PersonalAccountEntry.entry_key == entry_key)
    )


def open_account(sessions: sessionmaker[Session], pseudonym: bytes, now: datetime) -> None:
    """Open an empty account for ``pseudonym`` unless one is open (in its own transaction)."""
    with sessions() as session:
        if account_of(session, pseudonym) is not None:
            return
    try:
        with transaction(sessions) as session:
            session.add(
                PersonalAccount(pseudonym=pseudonym, balance_fen=0, opened_at=now, updated_at=now)
            )
    except IntegrityError:  # opened by a concurrent credit meanwhile
        pass


def append(session: Session, move: Move, now: datetime) -> PersonalAccountEntry | None:
    """Apply ``move`` to the balance and append its entry, in the caller's transaction.

    None (nothing changed) when the account is missing, a debit exceeds the balance or a credit
    would pass :data:`MAX_BALANCE_FEN`. Raises :class:`~sqlalchemy.exc.IntegrityError` (at the
    flush) when ``move.entry_key`` is taken: the caller rolls back.
    """
    if move.amount_fen <= 0:
        raise ValueError(f"a move is a positive amount, not {move.amount_fen}")
    balance = PersonalAccount.balance_fen
    if move.kind == DEBIT:
        change, allowed = balance - move.amount_fen, balance >= move.amount_fen
    elif move.kind == CREDIT:
        change, allowed = balance + move.amount_fen, balance <= MAX_BALANCE_FEN - move.amount_fen
    else:
        raise ValueError(f"unknown move kind {move.kind!r}")
    moved = session.execute(
        update(PersonalAccount)
        .where(PersonalAccount.pseudonym == move.pseudonym, allowed)
        .values(balance_fen=change, updated_at=now)
        .returning(balance)
    ).scalar_one_or_none()
    if moved is None:
        return None
    entry = PersonalAccountEntry(
        pseudonym=move.pseudonym,
        kind=move.kind,
        amount_fen=move.amount_fen,
        balance_after_fen=int(moved),
        entry_key=move.entry_key,
        fingerprint=move.fingerprint,
        reference=move.reference,
        counterparty=move.counterparty,
        signer=move.signer,
        created_at=now,
    )
    session.add(entry)
    session.flush()
    return entry


def entries_of(
    session: Session, pseudonym: bytes, *, after_id: int, limit: int
) -> list[PersonalAccountEntry]:
    """One page of the account's entries, oldest first, with ids above ``after_id``."""
    return list(
        session.scalars(
            select(PersonalAccountEntry)
            .where(PersonalAccountEntry.pseudonym == pseudonym, PersonalAccountEntry.id > after_id)
            .order_by(PersonalAccountEntry.id)
            .limit(limit)
        )
    )
