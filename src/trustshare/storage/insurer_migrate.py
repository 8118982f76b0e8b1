"""The insurer database's migrations (Alembic, shipped inside the package).

The insurer's database is not the bureau's: its revisions live in ``storage/insurer_migrations``
and run through the same :class:`~trustshare.storage.migrations_runner.MigrationSet`. A node
calls :func:`upgrade` at start-up; it is idempotent.
"""

from __future__ import annotations

from pathlib import Path

from trustshare.storage.migrations_runner import MigrationSet

MIGRATIONS_DIR = Path(__file__).with_name("insurer_migrations")
INSURER_MIGRATIONS = MigrationSet(MIGRATIONS_DIR)

alembic_config = INSURER_MIGRATIONS.alembic_config
upgrade = INSURER_MIGRATIONS.upgrade
current_revision = INSURER_MIGRATIONS.current_revision
head_revision = INSURER_MIGRATIONS.head_revision
