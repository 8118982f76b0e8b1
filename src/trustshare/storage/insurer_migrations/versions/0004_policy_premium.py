"""Premiums paid from the personal account: the paying debit and its receipt on each policy.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-25
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Add ``policies.premium_debit_id`` (unique) and ``policies.premium_json``."""
    with op.batch_alter_table("policies") as policies:
        policies.add_column(sa.Column("premium_debit_id", sa.LargeBinary(length=32), nullable=True))
        policies.add_column(sa.Column("premium_json", sa.Text(), nullable=True))
        policies.create_unique_constraint("uq_policies_premium_debit_id", ["premium_debit_id"])


def downgrade() -> None:
    """Drop them again."""
    with op.batch_alter_table("policies") as policies:
        policies.drop_constraint("uq_policies_premium_debit_id", type_="unique")
        policies.drop_column("premium_json")
        policies.drop_column("premium_debit_id")
