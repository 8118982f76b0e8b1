"""Personal medical-insurance accounts (个人账户): one account per pseudonym, append-only entries.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-25
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Create the accounts and their entries."""
    op.create_table(
        "personal_accounts",
        sa.Column("pseudonym", sa.LargeBinary(length=32), nullable=False),
        sa.Column("balance_fen", sa.BigInteger(), nullable=False),
        sa.Column("opened_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("pseudonym", name="pk_personal_accounts"),
    )
    op.create_table(
        "personal_account_entries",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("pseudonym", sa.LargeBinary(length=32), nullable=False),
        sa.Column("kind", sa.String(length=8), nullable=False),
        sa.Column("amount_fen", sa.BigInteger(), nullable=False),
        sa.Column("balance_after_fen", sa.BigInteger(), nullable=False),
        sa.Column("entry_key", sa.String(length=80), nullable=False),
        sa.Column("fingerprint", sa.String(length=64), nullable=False),
        sa.Column("reference", sa.String(length=64), nullable=False),
        sa.Column("counterparty", sa.String(length=42), nullable=True),
        sa.Column("signer", sa.String(length=42), nullable=True),
        sa.Column("receipt_json", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_personal_account_entries"),
        sa.UniqueConstraint("entry_key", name="uq_personal_account_entries_entry_key"),
        sa.ForeignKeyConstraint(
            ["pseudonym"],
            ["personal_accounts.pseudonym"],
            name="fk_personal_account_entries_pseudonym_personal_accounts",
        ),
    )
    op.create_index(
        "ix_personal_account_entries_pseudonym_id",
        "personal_account_entries",
        ["pseudonym", "id"],
    )


def downgrade() -> None:
    """Drop the entries, then the accounts."""
    op.drop_table("personal_account_entries")
    op.drop_table("personal_accounts")
