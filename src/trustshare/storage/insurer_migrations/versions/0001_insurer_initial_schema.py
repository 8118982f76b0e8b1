"""Initial schema of the insurer node: policies, authorisations (holds), seen nonces.

Constraint and index names follow the naming convention of ``InsurerBase.metadata``.

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


def _timestamp(name: str) -> sa.Column[datetime]:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=False)


def _hash32(name: str) -> sa.Column[bytes]:
    return sa.Column(name, sa.LargeBinary(length=32), nullable=False)


def upgrade() -> None:
    """Create the insurer node's tables."""
    op.create_table(
        "policies",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("policy_number", sa.String(length=64), nullable=False),
        _hash32("pseudonym"),
        sa.Column("product", sa.String(length=64), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        _timestamp("valid_from"),
        _timestamp("valid_to"),
        _timestamp("created_at"),
        sa.PrimaryKeyConstraint("id", name="pk_policies"),
        sa.UniqueConstraint("policy_number", name="uq_policies_policy_number"),
    )
    op.create_index("ix_policies_pseudonym", "policies", ["pseudonym"])
    op.create_table(
        "authorisations",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("authorisation_id", sa.String(length=64), nullable=False),
        _hash32("settlement_id"),
        sa.Column("settlement_reference", sa.String(length=64), nullable=False),
        sa.Column("bureau", sa.String(length=42), nullable=False),
        _hash32("pseudonym"),
        sa.Column("product", sa.String(length=64), nullable=False),
        sa.Column("policy_number", sa.String(length=64), nullable=False),
        sa.Column("computed_fen", sa.BigInteger(), nullable=False),
        sa.Column("authorised_fen", sa.BigInteger(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("reason", sa.String(length=64), nullable=False),
        sa.Column("rules_version", sa.String(length=64), nullable=False),
        _timestamp("created_at"),
        _timestamp("expires_at"),
        sa.PrimaryKeyConstraint("id", name="pk_authorisations"),
        sa.UniqueConstraint("authorisation_id", name="uq_authorisations_authorisation_id"),
        sa.UniqueConstraint(
            "settlement_id", "product", name="uq_authorisations_settlement_id_product"
        ),
    )
    op.create_index(
        "ix_authorisations_pseudonym_product",
        "authorisations",
        ["pseudonym", "product", "created_at"],
    )
    op.create_index(
        "ix_authorisations_status_expires_at", "authorisations", ["status", "expires_at"]
    )
    op.create_table(
        "seen_nonces",
        sa.Column("signer", sa.String(length=42), nullable=False),
        sa.Column("nonce", sa.String(length=64), nullable=False),
        _timestamp("seen_at"),
        sa.PrimaryKeyConstraint("signer", "nonce", name="pk_seen_nonces"),
    )
    op.create_index("ix_seen_nonces_seen_at", "seen_nonces", ["seen_at"])


def downgrade() -> None:
    """Drop the insurer node's tables."""
    op.drop_index("ix_seen_nonces_seen_at", table_name="seen_nonces")
    op.drop_table("seen_nonces")
    op.drop_index("ix_authorisations_status_expires_at", table_name="authorisations")
    op.drop_index("ix_authorisations_pseudonym_product", table_name="authorisations")
    op.drop_table("authorisations")
    op.drop_index("ix_policies_pseudonym", table_name="policies")
    op.drop_table("policies")
