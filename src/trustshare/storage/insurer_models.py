"""The insurer node's tables (its own database). Migrations live in ``storage/insurer_migrations``.

Money is integer fen (BigInteger); pseudonyms and settlement ids are raw 32-byte values. The
insurer knows people by the bureau's keyed pseudonym only.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    BigInteger,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Text,
    UniqueConstraint,
)
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
    AWAITING_PREMIUM = "awaiting_premium"
    """Stored before the premium debit is sent to the bureau; active once its receipt is in."""


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
    """A policy this insurer issued: who (pseudonym) holds which product, and when.

    One policy per ``(pseudonym, product, valid_from)``: two enrollments racing for the same
    cover cannot both issue.
    """

    __tablename__ = "policies"
    __table_args__ = (UniqueConstraint("pseudonym", "product", "valid_from"),)

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
    premium_debit_id: Mapped[bytes | None] = mapped_column(
        LargeBinary(32), unique=True, nullable=True
    )
    """The patient-signed personal-account debit paying the premium (one policy per debit)."""
    premium_json: Mapped[str | None] = mapped_column(Text, nullable=True)
    """That debit as signed (``authorisation``, ``signature``) and, once paid, the bureau's
    signed ``receipt``."""


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


class ClaimStatus:
    """Values of :attr:`ClaimRow.status`.

    ``received`` (being verified) → ``pending`` (bureau unreachable or batch not final: retried
    with back-off) → ``queued`` (verified; ``recordClaim`` in the outbox) → ``recorded`` (on
    chain, paid: one ``payouts`` row) → ``reversed`` (its settlement was superseded). A claim
    refused by this node or by the contract is ``refused`` with ``refusal_code``; nothing is
    paid for it.
    """

    RECEIVED = "received"
    PENDING = "pending"
    QUEUED = "queued"
    RECORDED = "recorded"
    REFUSED = "refused"
    REVERSED = "reversed"


class ClaimOrigin:
    """Values of :attr:`ClaimRow.origin`."""

    FAST = "fast"
    """A fast claim (快赔) asked for after discharge: paid to the patient."""
    WINDOW = "window"
    """The clearing of a real-time hold: the layer was paid at the hospital window."""


class ClaimRow(InsurerBase):
    """A claim of this insurer on one settlement (at most one per settlement).

    A fast claim (origin ``fast``) pays the patient. A window claim (origin ``window``) records
    on chain, at clearing, the layer this insurer authorised at discharge
    (:class:`AuthorisationRow` ``authorisation_id``), for exactly the held amount.
    """

    __tablename__ = "claims"
    __table_args__ = (
        Index("ix_claims_status_next_attempt_at", "status", "next_attempt_at"),
        Index("ix_claims_pseudonym_product", "pseudonym", "product"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    claim_id: Mapped[str] = mapped_column(String(64), unique=True)
    """This node's id of the claim, ``cl_`` + 32 hex digits."""
    settlement_id: Mapped[bytes] = mapped_column(LargeBinary(32), unique=True)
    bureau: Mapped[str] = mapped_column(String(42))
    pseudonym: Mapped[bytes | None] = mapped_column(LargeBinary(32), nullable=True)
    product: Mapped[str] = mapped_column(String(64))
    policy_number: Mapped[str] = mapped_column(String(64), default="")
    origin: Mapped[str] = mapped_column(String(16), default=ClaimOrigin.FAST)
    authorisation_id: Mapped[str | None] = mapped_column(String(64), nullable=True)
    """The real-time hold a window claim clears."""
    status: Mapped[str] = mapped_column(String(16))
    refusal_code: Mapped[str] = mapped_column(String(64), default="")
    """Why it is refused, or why it waits (``pending``): a stable code."""
    refusal_reason: Mapped[str] = mapped_column(String(500), default="")
    amount_fen: Mapped[int] = mapped_column(BigInteger, default=0)
    computed_fen: Mapped[int] = mapped_column(BigInteger, default=0)
    """What the product's rules pay, before the on-chain ceiling."""
    claim_ceiling_fen: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    batch_root: Mapped[bytes | None] = mapped_column(LargeBinary(32), nullable=True)
    record_commitment: Mapped[bytes | None] = mapped_column(LargeBinary(32), nullable=True)
    proof_json: Mapped[str] = mapped_column(Text, default="[]")
    """The leaf's proof under ``batch_root`` (0x-hex nodes), as the claim sends it."""
    benefits_json: Mapped[str] = mapped_column(Text, default="[]")
    """The product's benefit lines of the payout (the person's accumulators add them up)."""
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime | None] = mapped_column(UtcDateTime(), nullable=True)
    tx_hash: Mapped[str | None] = mapped_column(String(66), nullable=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utc_now)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utc_now)


class PayoutKind:
    """Values of :attr:`PayoutRow.kind`."""

    PAYOUT = "payout"
    """A fast claim paid to the patient."""
    WINDOW = "window"
    """A layer paid at the hospital window, settled with the bureau at clearing."""
    REVERSAL = "reversal"


class PayoutRow(InsurerBase):
    """The payouts ledger: one ``payout`` or ``window`` row per claim, at most one ``reversal``."""

    __tablename__ = "payouts"
    __table_args__ = (UniqueConstraint("claim_id", "kind"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    claim_id: Mapped[int] = mapped_column(Integer)
    """:attr:`ClaimRow.id`."""
    kind: Mapped[str] = mapped_column(String(16))
    settlement_id: Mapped[bytes] = mapped_column(LargeBinary(32), index=True)
    amount_fen: Mapped[int] = mapped_column(BigInteger)
    """Positive for a payout, negative for a reversal."""
    tx_hash: Mapped[str] = mapped_column(String(66))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utc_now)


class ClaimOutboxEntry(InsurerBase):
    """A chain write of the claims: ``record_claim`` or ``reverse_claim`` of one claim.

    ``pending`` → ``sent`` (signed transaction stored and committed before broadcast; several
    entries sent together share one ``recordClaims`` transaction) → ``done`` / ``failed``.
    """

    __tablename__ = "outbox"
    __table_args__ = (Index("ix_outbox_status_id", "status", "id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    kind: Mapped[str] = mapped_column(String(32))
    claim_id: Mapped[int] = mapped_column(Integer, index=True)
    status: Mapped[str] = mapped_column(String(16), default="pending")
    nonce: Mapped[int | None] = mapped_column(Integer, nullable=True)
    tx_hash: Mapped[str | None] = mapped_column(String(66), nullable=True)
    raw_tx: Mapped[str | None] = mapped_column(Text, nullable=True)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    error: Mapped[str | None] = mapped_column(Text, nullable=True)
    block_number: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utc_now)


class ClaimRequestKey(InsurerBase):
    """An ``Idempotency-Key`` of the claims API and its first answer.

    The columns of the bureau's :class:`~trustshare.storage.models.IdempotencyRecord`: one
    protocol (:mod:`trustshare.gateway.idempotency`) runs on both tables.
    """

    __tablename__ = "claim_request_keys"

    client: Mapped[str] = mapped_column(String(64), primary_key=True)
    key: Mapped[str] = mapped_column(String(128), primary_key=True)
    request_hash: Mapped[str] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(16), default="in_flight")
    """``in_flight`` or ``done``."""
    response_status: Mapped[int | None] = mapped_column(Integer)
    response_body: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utc_now)
