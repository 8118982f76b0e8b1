"""Window claims (clearing of real-time holds) and one policy per person, product and start.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-24
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Add ``claims.origin`` and ``claims.authorisation_id``; make policies unique."""
    with op.batch_alter_table("claims") as claims:
        claims.add_column(
            sa.Column("origin", sa.String(length=16), nullable=False, server_default="fast")
        )
        claims.add_column(sa.Column("authorisation_id", sa.String(length=64), nullable=True))
    with op.batch_alter_table("claims") as claims:
        claims.alter_column("origin", server_default=None)
    with op.batch_alter_table("policies") as policies:
        policies.create_unique_constraint(
            "uq_policies_pseudonym_product_valid_from", ["pseudonym", "product", "valid_from"]
        )


def downgrade() -> None:
    """Drop them again."""
    with op.batch_alter_table("policies") as policies:
        policies.drop_constraint("uq_policies_pseudonym_product_valid_from", type_="unique")
    with op.batch_alter_table("claims") as claims:
        claims.drop_column("authorisation_id")
        claims.drop_column("origin")
