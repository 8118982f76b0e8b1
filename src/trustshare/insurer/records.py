"""Repository queries of the insurer node: policies, holds, seen nonces."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from trustshare.insurer.year_book import YearBook
from trustshare.storage.insurer_models import (
    AuthorisationRow,
    InsurerSeenNonce,
    PolicyRow,
)
from trustshare.storage.nonces import SeenNonceTable


class InsurerNonceStore(SeenNonceTable):
    """The insurer's single-use nonces of signed requests (table ``seen_nonces``)."""

    def __init__(self, sessions: sessionmaker[Session]) -> None:
        """Use sessions from ``sessions`` (one per call)."""
        super().__init__(sessions, InsurerSeenNonce)


def policy_by_number(session: Session, policy_number: str) -> PolicyRow | None:
    """The policy numbered ``policy_number``."""
    return session.scalar(select(PolicyRow).where(PolicyRow.policy_number == policy_number))


def authorisation_for(
    session: Session, settlement_id: bytes, product: str
) -> AuthorisationRow | None:
    """The answer already given for ``(settlement_id, product)``."""
    return session.scalar(
        select(AuthorisationRow).where(
            AuthorisationRow.settlement_id == settlement_id, AuthorisationRow.product == product
        )
    )


def authorisation_by_id(session: Session, authorisation_id: str) -> AuthorisationRow | None:
    """The authorisation with this node's id ``authorisation_id``."""
    return session.scalar(
        select(AuthorisationRow).where(AuthorisationRow.authorisation_id == authorisation_id)
    )


def used_fen(
    session: Session, pseudonym: bytes, product: str, *, since: datetime, until: datetime
) -> int:
    """What holds and claims of ``product`` for ``pseudonym`` took in ``[since, until)``.

    Holds count while held and once cleared (their window claim is counted through them);
    fast claims count from the moment they are queued for the chain until reversed
    (:class:`~trustshare.insurer.year_book.YearBook`).
    """
    book = YearBook.read(session, [(pseudonym, product)], since=since, until=until)
    return book.of(pseudonym, product, since).used_fen
