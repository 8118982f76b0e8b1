"""Fast claims: claims, the payouts ledger, the chain-write outbox, the claims API's keys.

Constraint and index names follow the naming convention of ``InsurerBase.metadata``.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-24
"""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def _timestamp(name: str, *, nullable: bool = False) -> sa.Column[datetime]:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable)


def _hash32(name: str, *, nullable: bool = False) -> sa.Column[bytes]:
    return sa.Column(name, sa.LargeBinary(length=32), nullable=nullable)


def _text(name: str, length: int, *, nullable: bool = False) -> sa.Column[str]:
    return sa.Column(name, sa.String(length=length), nullable=nullable)


def upgrade() -> None:
    """Create the claims tables."""
    op.create_table(
        "claims",
        sa.Column("id", sa.Integer(), nullable=False),
        _text("claim_id", 64),
        _hash32("settlement_id"),
        _text("bureau", 42),
        _hash32("pseudonym", nullable=True),
        _text("product", 64),
        _text("policy_number", 64),
        _text("status", 16),
        _text("refusal_code", 64),
        _text("refusal_reason", 500),
        sa.Column("amount_fen", sa.BigInteger(), nullable=False),
        sa.Column("computed_fen", sa.BigInteger(), nullable=False),
        sa.Column("claim_ceiling_fen", sa.BigInteger(), nullable=True),
        _hash32("batch_root", nullable=True),
        _hash32("record_commitment", nullable=True),
        sa.Column("proof_json", sa.Text(), nullable=False),
        sa.Column("benefits_json", sa.Text(), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        _timestamp("next_attempt_at", nullable=True),
        _text("tx_hash", 66, nullable=True),
        _timestamp("created_at"),
        _timestamp("updated_at"),
        sa.PrimaryKeyConstraint("id", name="pk_claims"),
        sa.UniqueConstraint("claim_id", name="uq_claims_claim_id"),
        sa.UniqueConstraint("settlement_id", name="uq_claims_settlement_id"),
    )
    op.create_index("ix_claims_pseudonym_product", "claims", ["pseudonym", "product"])
    op.create_index("ix_claims_status_next_attempt_at", "claims", ["status", "next_attempt_at"])
    op.create_table(
        "payouts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("claim_id", sa.Integer(), nullable=False),
        _text("kind", 16),
        _hash32("settlement_id"),
        sa.Column("amount_fen", sa.BigInteger(), nullable=False),
        _text("tx_hash", 66),
        _timestamp("created_at"),
        sa.PrimaryKeyConstraint("id", name="pk_payouts"),
        sa.UniqueConstraint("claim_id", "kind", name="uq_payouts_claim_id_kind"),
    )
    op.create_index("ix_payouts_settlement_id", "payouts", ["settlement_id"])
    op.create_table(
        "outbox",
        sa.Column("id", sa.Integer(), nullable=False),
        _text("kind", 32),
        sa.Column("claim_id", sa.Integer(), nullable=False),
        _text("status", 16),
        sa.Column("nonce", sa.Integer(), nullable=True),
        _text("tx_hash", 66, nullable=True),
        sa.Column("raw_tx", sa.Text(), nullable=True),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("block_number", sa.BigInteger(), nullable=True),
        _timestamp("created_at"),
        sa.PrimaryKeyConstraint("id", name="pk_outbox"),
    )
    op.create_index("ix_outbox_claim_id", "outbox", ["claim_id"])
    op.create_index("ix_outbox_status_id", "outbox", ["status", "id"])
    op.create_table(
        "claim_request_keys",
        _text("key", 128),
        _text("fingerprint", 64),
        _text("status", 16),
        sa.Column("status_code", sa.Integer(), nullable=True),
        sa.Column("response_json", sa.Text(), nullable=True),
        _timestamp("created_at"),
        sa.PrimaryKeyConstraint("key", name="pk_claim_request_keys"),
    )


def downgrade() -> None:
    """Drop the claims tables."""
    op.drop_table("claim_request_keys")
    op.drop_index("ix_outbox_status_id", table_name="outbox")
    op.drop_index("ix_outbox_claim_id", table_name="outbox")
    op.drop_table("outbox")
    op.drop_index("ix_payouts_settlement_id", table_name="payouts")
    op.drop_table("payouts")
    op.drop_index("ix_claims_status_next_attempt_at", table_name="claims")
    op.drop_index("ix_claims_pseudonym_product", table_name="claims")
    op.drop_table("claims")
