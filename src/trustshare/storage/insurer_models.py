"""The insurer node's tables (its own database). Migrations live in ``storage/insurer_migrations``.

Money is integer fen (BigInteger); pseudonyms and settlement ids are raw 32-byte values. The
insurer knows people by the bureau's keyed pseudonym only.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, Index, Integer, LargeBinary, MetaData, String, UniqueConstraint
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from trustshare.storage.models import UtcDateTime, utc_now


class InsurerBase(DeclarativeBase):
    """Declarative base of the insurer node's tables (a metadata apart from the bureau's).

    Constraints and indexes get deterministic names, so revisions can alter them by name.
    """

    metadata = MetaData(
        naming_convention={
            "pk": "pk_%(table_name)s",
            "uq": "uq_%(table_name)s_%(column_0_N_name)s",
            "ix": "ix_%(table_name)s_%(column_0_N_name)s",
        }
    )


class PolicyStatus:
    """Values of :attr:`PolicyRow.status`."""

    ACTIVE = "active"
    SUSPENDED = "suspended"
    CANCELLED = "cancelled"


class HoldStatus:
    """Values of :attr:`AuthorisationRow.status`.

    ``held`` → ``released`` (expired unconfirmed, or voided) or ``claimed`` (its settlement was
    committed and claimed, at clearing). ``refused`` rows record a 0 answer so that a repeat of
    the same request gets the same answer.
    """

    HELD = "held"
    RELEASED = "released"
    CLAIMED = "claimed"
    REFUSED = "refused"


class PolicyRow(InsurerBase):
    """A policy this insurer issued: who (pseudonym) holds which product, and when."""

    __tablename__ = "policies"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    policy_number: Mapped[str] = mapped_column(String(64), unique=True)
    pseudonym: Mapped[bytes] = mapped_column(LargeBinary(32), index=True)
    product: Mapped[str] = mapped_column(String(64))
    """The product's rules id in the settlement engine's rule set."""
    status: Mapped[str] = mapped_column(String(16), default=PolicyStatus.ACTIVE)
    valid_from: Mapped[datetime] = mapped_column(UtcDateTime())
    valid_to: Mapped[datetime] = mapped_column(UtcDateTime())
    """Exclusive end of cover."""
    created_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utc_now)


class AuthorisationRow(InsurerBase):
    """A real-time authorisation answered to a bureau: a hold on this insurer's layer.

    One row per ``(settlement_id, product)``: a repeated request returns this row's answer.
    """

    __tablename__ = "authorisations"
    __table_args__ = (
        UniqueConstraint("settlement_id", "product"),
        Index("ix_authorisations_pseudonym_product", "pseudonym", "product", "created_at"),
        Index("ix_authorisations_status_expires_at", "status", "expires_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    authorisation_id: Mapped[str] = mapped_column(String(64), unique=True)
    settlement_id: Mapped[bytes] = mapped_column(LargeBinary(32))
    settlement_reference: Mapped[str] = mapped_column(String(64))
    bureau: Mapped[str] = mapped_column(String(42))
    pseudonym: Mapped[bytes] = mapped_column(LargeBinary(32))
    product: Mapped[str] = mapped_column(String(64))
    policy_number: Mapped[str] = mapped_column(String(64))
    computed_fen: Mapped[int] = mapped_column(BigInteger)
    authorised_fen: Mapped[int] = mapped_column(BigInteger)
    status: Mapped[str] = mapped_column(String(16))
    reason: Mapped[str] = mapped_column(String(64), default="")
    """Why less than computed was authorised (a code, e.g. ``no_policy``); empty if all was."""
    rules_version: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())
    expires_at: Mapped[datetime] = mapped_column(UtcDateTime())
    """When an unclaimed hold is released."""


class InsurerSeenNonce(InsurerBase):
    """A signed request's single-use nonce, kept for twice the timestamp window."""

    __tablename__ = "seen_nonces"

    signer: Mapped[str] = mapped_column(String(42), primary_key=True)
    nonce: Mapped[str] = mapped_column(String(64), primary_key=True)
    seen_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utc_now, index=True)
