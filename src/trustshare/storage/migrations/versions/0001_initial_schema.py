"""Initial schema: every table of the bureau node.

Constraints carry explicit names (pk_/uq_/fk_ + table + column) so later revisions can drop or
alter them by name on PostgreSQL and in SQLite batch mode alike.

Revision ID: 0001
Revises:
Create Date: 2026-11-24
"""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

_TABLES_IN_CREATION_ORDER = (
    "batches",
    "outbox",
    "settlements",
    "enrollments",
    "wallet_bindings",
    "idempotency_keys",
    "access_log",
    "seen_nonces",
)


def _hash32(name: str, *, nullable: bool = False) -> sa.Column[bytes]:
    return sa.Column(name, sa.LargeBinary(length=32), nullable=nullable)


def _timestamp(name: str, *, nullable: bool = False) -> sa.Column[datetime]:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable)


def _batch_reference(table: str) -> tuple[sa.Column[int], sa.Column[int], sa.Constraint]:
    return (
        sa.Column("batch_id", sa.Integer(), nullable=True),
        sa.Column("leaf_index", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(["batch_id"], ["batches.id"], name=f"fk_{table}_batch_id_batches"),
    )


def upgrade() -> None:
    """Create every table of the bureau node."""
    op.create_table(
        "batches",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        _hash32("root"),
        sa.Column("leaf_count", sa.Integer(), nullable=False),
        _hash32("rules_version"),
        sa.Column("tree", sa.LargeBinary(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("tx_hash", sa.String(length=66), nullable=True),
        sa.Column("block_number", sa.BigInteger(), nullable=True),
        _timestamp("created_at"),
        _timestamp("committed_at", nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_batches"),
        sa.UniqueConstraint("root", name="uq_batches_root"),
    )
    op.create_index("ix_batches_status", "batches", ["status"])

    op.create_table(
        "outbox",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("payload_json", sa.Text(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("batch_id", sa.Integer(), nullable=True),
        sa.Column("nonce", sa.BigInteger(), nullable=True),
        sa.Column("tx_hash", sa.String(length=66), nullable=True),
        sa.Column("raw_tx", sa.Text(), nullable=True),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("block_number", sa.BigInteger(), nullable=True),
        sa.Column("gas_used", sa.BigInteger(), nullable=True),
        _timestamp("created_at"),
        _timestamp("updated_at"),
        sa.PrimaryKeyConstraint("id", name="pk_outbox"),
        sa.ForeignKeyConstraint(["batch_id"], ["batches.id"], name="fk_outbox_batch_id_batches"),
    )
    op.create_index("ix_outbox_status", "outbox", ["status"])

    op.create_table(
        "settlements",
        sa.Column("id", sa.Integer(), nullable=False),
        _hash32("settlement_id"),
        sa.Column("setl_id", sa.String(length=64), nullable=False),
        sa.Column("mdtrt_id", sa.String(length=64), nullable=True),
        _hash32("pseudonym"),
        sa.Column("source", sa.String(length=64), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        _hash32("supersedes", nullable=True),
        _hash32("superseded_by", nullable=True),
        sa.Column("record_json", sa.Text(), nullable=False),
        sa.Column("salts", sa.LargeBinary(), nullable=False),
        _hash32("record_commitment"),
        sa.Column("claim_ceiling_fen", sa.BigInteger(), nullable=False),
        sa.Column("result_json", sa.Text(), nullable=True),
        _hash32("rules_digest"),
        *_batch_reference("settlements"),
        _timestamp("created_at"),
        sa.PrimaryKeyConstraint("id", name="pk_settlements"),
        sa.UniqueConstraint("settlement_id", name="uq_settlements_settlement_id"),
        sa.UniqueConstraint("setl_id", name="uq_settlements_setl_id"),
    )
    op.create_index("ix_settlements_batch", "settlements", ["batch_id", "id"])
    op.create_index("ix_settlements_pseudonym", "settlements", ["pseudonym"])

    op.create_table(
        "enrollments",
        sa.Column("id", sa.Integer(), nullable=False),
        _hash32("enrollment_id"),
        _hash32("pseudonym"),
        sa.Column("record_json", sa.Text(), nullable=False),
        sa.Column("salts", sa.LargeBinary(), nullable=False),
        _hash32("record_commitment"),
        *_batch_reference("enrollments"),
        _timestamp("created_at"),
        sa.PrimaryKeyConstraint("id", name="pk_enrollments"),
        sa.UniqueConstraint("enrollment_id", name="uq_enrollments_enrollment_id"),
    )
    op.create_index("ix_enrollments_batch", "enrollments", ["batch_id", "id"])
    op.create_index("ix_enrollments_pseudonym", "enrollments", ["pseudonym"])

    op.create_table(
        "wallet_bindings",
        _hash32("pseudonym"),
        sa.Column("wallet", sa.String(length=42), nullable=False),
        sa.Column("outbox_id", sa.Integer(), nullable=True),
        _timestamp("bound_at"),
        sa.PrimaryKeyConstraint("pseudonym", name="pk_wallet_bindings"),
        sa.ForeignKeyConstraint(
            ["outbox_id"], ["outbox.id"], name="fk_wallet_bindings_outbox_id_outbox"
        ),
    )
    op.create_index("ix_wallet_bindings_wallet", "wallet_bindings", ["wallet"])

    op.create_table(
        "idempotency_keys",
        sa.Column("client", sa.String(length=64), nullable=False),
        sa.Column("key", sa.String(length=128), nullable=False),
        sa.Column("request_hash", sa.String(length=64), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("response_status", sa.Integer(), nullable=True),
        sa.Column("response_body", sa.Text(), nullable=True),
        _timestamp("created_at"),
        sa.PrimaryKeyConstraint("client", "key", name="pk_idempotency_keys"),
    )

    op.create_table(
        "access_log",
        sa.Column("id", sa.Integer(), nullable=False),
        _timestamp("occurred_at"),
        sa.Column("insurer", sa.String(length=42), nullable=False),
        _hash32("pseudonym", nullable=True),
        sa.Column("record_type", sa.String(length=16), nullable=False),
        _hash32("record_id", nullable=True),
        sa.Column("purpose", sa.Integer(), nullable=False),
        sa.Column("scopes_requested", sa.Integer(), nullable=False),
        sa.Column("scopes_released", sa.Integer(), nullable=False),
        sa.Column("outcome", sa.String(length=16), nullable=False),
        sa.Column("reason", sa.String(length=200), nullable=False),
        _hash32("entry_hash"),
        *_batch_reference("access_log"),
        sa.PrimaryKeyConstraint("id", name="pk_access_log"),
    )
    op.create_index("ix_access_log_batch", "access_log", ["batch_id", "id"])
    op.create_index("ix_access_log_insurer", "access_log", ["insurer"])
    op.create_index("ix_access_log_pseudonym", "access_log", ["pseudonym"])

    op.create_table(
        "seen_nonces",
        sa.Column("signer", sa.String(length=42), nullable=False),
        sa.Column("nonce", sa.String(length=64), nullable=False),
        _timestamp("seen_at"),
        # The primary key is what makes a nonce single-use (per signer).
        sa.PrimaryKeyConstraint("signer", "nonce", name="pk_seen_nonces"),
    )
    op.create_index("ix_seen_nonces_seen_at", "seen_nonces", ["seen_at"])


def downgrade() -> None:
    """Drop every table (their indexes go with them), dependents first."""
    for table in reversed(_TABLES_IN_CREATION_ORDER):
        op.drop_table(table)
