"""The bureau node's tables (SQLAlchemy 2, typed). Migrations live in ``storage/migrations``.

Money is integer fen (BigInteger). Hashes, ids and pseudonyms are raw 32-byte values. No ID
number is ever stored: people are known by their keyed pseudonym only.
"""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import (
    BigInteger,
    DateTime,
    Dialect,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    TypeDecorator,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


def utc_now() -> datetime:
    """The current time, timezone-aware UTC."""
    return datetime.now(UTC)


class UtcDateTime(TypeDecorator[datetime]):
    """A timezone-aware instant stored in UTC and read back in UTC, on every backend.

    SQLite has no timezone type: SQLAlchemy writes the wall-clock time without its offset and
    reads it back naive. Normalising to UTC on the way in keeps instants (and their text order,
    which range queries on SQLite rely on) right; naive datetimes are refused.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        """Refuse naive datetimes; store aware ones in UTC."""
        if value is None:
            return None
        if value.utcoffset() is None:
            raise ValueError(f"naive datetime {value!r}: pass a timezone-aware one")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        """An aware UTC datetime, whether the backend kept the offset or not."""
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class Base(DeclarativeBase):
    """Declarative base of every TrustShare table."""


class Batch(Base):
    """A Merkle batch (ENROLLMENT, SETTLEMENT or ACCESS_LOG) and what serves its proofs.

    ``status``: ``pending`` (built, its commit queued in the outbox) → ``final`` (receipt seen).
    ``tree`` is ``StandardMerkleTree.to_bytes()``: serving a proof reads this one row.
    """

    __tablename__ = "batches"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    kind: Mapped[str] = mapped_column(String(16))
    root: Mapped[bytes] = mapped_column(LargeBinary(32), unique=True)
    leaf_count: Mapped[int] = mapped_column(Integer)
    rules_version: Mapped[bytes] = mapped_column(LargeBinary(32))
    tree: Mapped[bytes] = mapped_column(LargeBinary)
    status: Mapped[str] = mapped_column(String(16), default="pending", index=True)
    tx_hash: Mapped[str | None] = mapped_column(String(66))
    block_number: Mapped[int | None] = mapped_column(BigInteger)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utc_now)
    committed_at: Mapped[datetime | None] = mapped_column(UtcDateTime())


class SettlementRow(Base):
    """One settlement record (or correction) held by the bureau.

    ``batch_id`` NULL means pending clearing: confirming a settlement and queueing it for the
    chain are the same database write. ``record_json`` holds the disclosure groups' fields
    (canonical JSON ``{group: {field: value}}``) and ``salts`` their 32-byte salts, in
    ``GROUP_NAMES`` order; deleting the salts makes the committed data unverifiable (withdrawal).
    """

    __tablename__ = "settlements"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    settlement_id: Mapped[bytes] = mapped_column(LargeBinary(32), unique=True)
    setl_id: Mapped[str] = mapped_column(String(64), unique=True)
    mdtrt_id: Mapped[str | None] = mapped_column(String(64))
    pseudonym: Mapped[bytes] = mapped_column(LargeBinary(32), index=True)
    source: Mapped[str] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(16), default="confirmed")
    supersedes: Mapped[bytes | None] = mapped_column(LargeBinary(32))
    superseded_by: Mapped[bytes | None] = mapped_column(LargeBinary(32))
    record_json: Mapped[str] = mapped_column(Text)
    salts: Mapped[bytes] = mapped_column(LargeBinary)
    record_commitment: Mapped[bytes] = mapped_column(LargeBinary(32))
    claim_ceiling_fen: Mapped[int] = mapped_column(BigInteger)
    result_json: Mapped[str | None] = mapped_column(Text)
    rules_digest: Mapped[bytes] = mapped_column(LargeBinary(32))
    batch_id: Mapped[int | None] = mapped_column(ForeignKey("batches.id"))
    leaf_index: Mapped[int | None] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utc_now)

    __table_args__ = (Index("ix_settlements_batch", "batch_id", "id"),)


class EnrollmentRow(Base):
    """One enrollment record (insurance type, region, validity) committed in ENROLLMENT batches."""

    __tablename__ = "enrollments"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    enrollment_id: Mapped[bytes] = mapped_column(LargeBinary(32), unique=True)
    pseudonym: Mapped[bytes] = mapped_column(LargeBinary(32), index=True)
    record_json: Mapped[str] = mapped_column(Text)
    salts: Mapped[bytes] = mapped_column(LargeBinary)
    record_commitment: Mapped[bytes] = mapped_column(LargeBinary(32))
    batch_id: Mapped[int | None] = mapped_column(ForeignKey("batches.id"))
    leaf_index: Mapped[int | None] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utc_now)

    __table_args__ = (Index("ix_enrollments_batch", "batch_id", "id"),)


class WalletBinding(Base):
    """The wallet a verified person's pseudonym is bound to (mirrors the chain)."""

    __tablename__ = "wallet_bindings"

    pseudonym: Mapped[bytes] = mapped_column(LargeBinary(32), primary_key=True)
    wallet: Mapped[str] = mapped_column(String(42), index=True)
    outbox_id: Mapped[int | None] = mapped_column(ForeignKey("outbox.id"))
    bound_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utc_now)


class OutboxEntry(Base):
    """A chain write, stored in the same transaction as the business change that needs it.

    ``status``: ``pending`` → ``sent`` (signed; ``nonce``, ``tx_hash``, ``raw_tx`` stored
    before broadcast) → ``done`` (receipt final) or ``failed`` (the contract refused it;
    ``error`` says why). One publisher per node processes entries in ``id`` order.
    """

    __tablename__ = "outbox"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    kind: Mapped[str] = mapped_column(String(32))
    payload_json: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(16), default="pending", index=True)
    batch_id: Mapped[int | None] = mapped_column(ForeignKey("batches.id"))
    nonce: Mapped[int | None] = mapped_column(BigInteger)
    tx_hash: Mapped[str | None] = mapped_column(String(66))
    raw_tx: Mapped[str | None] = mapped_column(Text)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    error: Mapped[str | None] = mapped_column(Text)
    block_number: Mapped[int | None] = mapped_column(BigInteger)
    gas_used: Mapped[int | None] = mapped_column(BigInteger)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utc_now)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utc_now, onupdate=utc_now)


class IdempotencyRecord(Base):
    """The first answer to a money-moving request, replayed for repeats of its key."""

    __tablename__ = "idempotency_keys"

    client: Mapped[str] = mapped_column(String(64), primary_key=True)
    key: Mapped[str] = mapped_column(String(128), primary_key=True)
    request_hash: Mapped[str] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(16), default="in_flight")
    response_status: Mapped[int | None] = mapped_column(Integer)
    response_body: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utc_now)


class AccessLogEntry(Base):
    """One release of a record to an insurer, or one refused attempt; committed in batches."""

    __tablename__ = "access_log"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    occurred_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utc_now)
    insurer: Mapped[str] = mapped_column(String(42), index=True)
    pseudonym: Mapped[bytes | None] = mapped_column(LargeBinary(32), index=True)
    record_type: Mapped[str] = mapped_column(String(16))
    record_id: Mapped[bytes | None] = mapped_column(LargeBinary(32))
    purpose: Mapped[int] = mapped_column(Integer)
    scopes_requested: Mapped[int] = mapped_column(Integer)
    scopes_released: Mapped[int] = mapped_column(Integer, default=0)
    outcome: Mapped[str] = mapped_column(String(16))
    reason: Mapped[str] = mapped_column(String(200), default="")
    entry_hash: Mapped[bytes] = mapped_column(LargeBinary(32))
    batch_id: Mapped[int | None] = mapped_column(ForeignKey("batches.id"))
    leaf_index: Mapped[int | None] = mapped_column(Integer)

    __table_args__ = (Index("ix_access_log_batch", "batch_id", "id"),)


class SeenNonce(Base):
    """A signed request's single-use nonce, kept for twice the timestamp window."""

    __tablename__ = "seen_nonces"

    signer: Mapped[str] = mapped_column(String(42), primary_key=True)
    nonce: Mapped[str] = mapped_column(String(64), primary_key=True)
    seen_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utc_now, index=True)


class PersonalAccount(Base):
    """A person's personal medical-insurance account (个人账户) at this bureau, by pseudonym.

    ``balance_fen`` is the running total of the account's entries; it is changed only in the
    transaction that appends the entry, by a conditional update that never lets it go negative.
    """

    __tablename__ = "personal_accounts"

    pseudonym: Mapped[bytes] = mapped_column(LargeBinary(32), primary_key=True)
    balance_fen: Mapped[int] = mapped_column(BigInteger, default=0)
    opened_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utc_now)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utc_now)


class PersonalAccountEntry(Base):
    """One append-only entry of a personal account: a ``credit`` or a ``debit``, never edited.

    ``entry_key`` makes each entry happen once: ``credit:<reference>`` for a contribution
    credited by the operator, ``debit:0x<debit id>`` for a premium debit the patient signed.
    ``fingerprint`` tells a repeat (same key, same content) from a reuse (same key, other
    content). A debit keeps the signing wallet, the paid insurer and the bureau's signed receipt.
    """

    __tablename__ = "personal_account_entries"
    __table_args__ = (Index("ix_personal_account_entries_pseudonym_id", "pseudonym", "id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    pseudonym: Mapped[bytes] = mapped_column(ForeignKey("personal_accounts.pseudonym"))
    kind: Mapped[str] = mapped_column(String(8))
    amount_fen: Mapped[int] = mapped_column(BigInteger)
    """Always positive; ``kind`` says which way it moved."""
    balance_after_fen: Mapped[int] = mapped_column(BigInteger)
    entry_key: Mapped[str] = mapped_column(String(80), unique=True)
    fingerprint: Mapped[str] = mapped_column(String(64))
    reference: Mapped[str] = mapped_column(String(64))
    """A credit's reference at the national platform; a debit's ``policyReference``."""
    counterparty: Mapped[str | None] = mapped_column(String(42))
    """The insurer a debit paid."""
    signer: Mapped[str | None] = mapped_column(String(42))
    """The wallet that authorised a debit."""
    receipt_json: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utc_now)
