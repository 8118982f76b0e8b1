"""Repository queries of the insurer node: policies, holds, seen nonces."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from trustshare.storage.insurer_models import (
    AuthorisationRow,
    ClaimOrigin,
    ClaimRow,
    ClaimStatus,
    HoldStatus,
    InsurerSeenNonce,
    PolicyRow,
)
from trustshare.storage.nonces import SeenNonceTable

COUNTED_STATUSES = (HoldStatus.HELD, HoldStatus.CLAIMED)
"""Holds that use up a policy's annual cap: still held, or turned into a claim."""
COUNTED_CLAIMS = (ClaimStatus.QUEUED, ClaimStatus.RECORDED)
"""Fast claims that use up a policy's annual cap: on their way to the chain, or recorded."""


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
    fast claims count from the moment they are queued for the chain until reversed.
    """
    held = session.scalar(
        select(func.coalesce(func.sum(AuthorisationRow.authorised_fen), 0)).where(
            AuthorisationRow.pseudonym == pseudonym,
            AuthorisationRow.product == product,
            AuthorisationRow.created_at >= since,
            AuthorisationRow.created_at < until,
            AuthorisationRow.status.in_(COUNTED_STATUSES),
        )
    )
    claimed = session.scalar(
        select(func.coalesce(func.sum(ClaimRow.amount_fen), 0)).where(
            ClaimRow.pseudonym == pseudonym,
            ClaimRow.product == product,
            ClaimRow.origin == ClaimOrigin.FAST,
            ClaimRow.created_at >= since,
            ClaimRow.created_at < until,
            ClaimRow.status.in_(COUNTED_CLAIMS),
        )
    )
    return int(held or 0) + int(claimed or 0)
