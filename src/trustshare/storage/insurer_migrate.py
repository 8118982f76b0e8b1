"""Schema migrations of the insurer node's database (Alembic, shipped inside the package).

The insurer's database is not the bureau's: its revisions live in ``storage/insurer_migrations``
with the same conventions as ``storage/migrations``. A node calls :func:`upgrade` at start-up;
it is idempotent. To add a revision after changing ``insurer_models.py``::

    from alembic import command
    command.revision(alembic_config(url), message="what changed", autogenerate=True)
"""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, make_url

from trustshare.storage.database import make_engine

MIGRATIONS_DIR = Path(__file__).with_name("insurer_migrations")


def alembic_config(database_url: str | None = None, connection: Connection | None = None) -> Config:
    """Alembic configuration for the insurer's migrations, bound to a URL or an open connection."""
    config = Config()
    # Config values go through configparser interpolation: a literal '%' must be doubled.
    config.set_main_option("script_location", str(MIGRATIONS_DIR).replace("%", "%%"))
    if database_url is not None:
        config.set_main_option("sqlalchemy.url", database_url.replace("%", "%%"))
    if connection is not None:
        config.attributes["connection"] = connection
    return config


def upgrade(database_url: str) -> None:
    """Migrate the insurer database at ``database_url`` to the head revision (idempotent).

    A SQLite file's directory is created if missing.
    """
    url = make_url(database_url)
    if url.get_backend_name() == "sqlite" and url.database not in (None, "", ":memory:"):
        Path(url.database).parent.mkdir(parents=True, exist_ok=True)
    engine = make_engine(database_url)
    try:
        with engine.begin() as connection:
            command.upgrade(alembic_config(connection=connection), "head")
    finally:
        engine.dispose()


def current_revision(database_url: str) -> str | None:
    """The revision the database is at; None for an unmigrated database."""
    engine = make_engine(database_url)
    try:
        with engine.connect() as connection:
            return MigrationContext.configure(connection).get_current_revision()
    finally:
        engine.dispose()


def head_revision() -> str:
    """The newest insurer revision shipped with this package."""
    head = ScriptDirectory.from_config(alembic_config()).get_current_head()
    if head is None:
        raise RuntimeError(f"no migration revisions under {MIGRATIONS_DIR}")
    return head
