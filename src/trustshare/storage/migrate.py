"""The bureau database's migrations (Alembic, shipped inside the package).

A node calls :func:`upgrade` at start-up; it is idempotent. To add a revision after changing
``models.py``, generate one against a database at head and tidy it by hand::

    from alembic import command
    command.revision(alembic_config(url), message="what changed", autogenerate=True)
"""

from __future__ import annotations

from pathlib import Path

from trustshare.storage.migrations_runner import MigrationSet

MIGRATIONS_DIR = Path(__file__).with_name("migrations")
BUREAU_MIGRATIONS = MigrationSet(MIGRATIONS_DIR)

alembic_config = BUREAU_MIGRATIONS.alembic_config
upgrade = BUREAU_MIGRATIONS.upgrade
current_revision = BUREAU_MIGRATIONS.current_revision
head_revision = BUREAU_MIGRATIONS.head_revision
