"""The claims API's keys take the columns of the bureau's ``idempotency_keys``: one protocol.

``claim_request_keys`` gains ``client`` (the existing keys belong to the claims API, its one
client) in its primary key, and ``fingerprint``, ``status_code``, ``response_json`` are renamed
``request_hash``, ``response_status``, ``response_body``. Every row is kept.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-26
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

CLAIMS_CLIENT = "claims"
"""``trustshare.insurer.claims.CLAIMS_CLIENT`` when this revision was written."""
RENAMED = (
    ("fingerprint", "request_hash", sa.String(length=64), False),
    ("status_code", "response_status", sa.Integer(), True),
    ("response_json", "response_body", sa.Text(), True),
)
PRIMARY_KEY = "pk_claim_request_keys"


def upgrade() -> None:
    """Add ``client`` (filled in) to the primary key; rename the three columns."""
    op.add_column("claim_request_keys", sa.Column("client", sa.String(length=64), nullable=True))
    op.execute(
        sa.text("UPDATE claim_request_keys SET client = :client").bindparams(client=CLAIMS_CLIENT)
    )
    with op.batch_alter_table("claim_request_keys") as keys:
        keys.alter_column("client", existing_type=sa.String(length=64), nullable=False)
        for old, new, kind, nullable in RENAMED:
            keys.alter_column(
                old, new_column_name=new, existing_type=kind, existing_nullable=nullable
            )
        keys.drop_constraint(PRIMARY_KEY, type_="primary")
        keys.create_primary_key(PRIMARY_KEY, ["client", "key"])


def downgrade() -> None:
    """Back to keys alone (every key is the claims API's) and the old column names."""
    with op.batch_alter_table("claim_request_keys") as keys:
        keys.drop_constraint(PRIMARY_KEY, type_="primary")
        keys.create_primary_key(PRIMARY_KEY, ["key"])
        for old, new, kind, nullable in RENAMED:
            keys.alter_column(
                new, new_column_name=old, existing_type=kind, existing_nullable=nullable
            )
        keys.drop_column("client")
