"""Running a packaged Alembic migration set: what the bureau's and the insurer's databases share.

Each node's database has its own revisions directory (``migrations/``, ``insurer_migrations/``)
and its own ``env.py`` naming its metadata; everything else — configuration, upgrading,
reading revisions, the environment's run loop — lives here once.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from alembic import command, context
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, MetaData, make_url

from trustshare.storage.database import make_engine


@dataclass(frozen=True)
class MigrationSet:
    """One database's packaged revisions, in ``directory``."""

    directory: Path

    def alembic_config(
        self, database_url: str | None = None, connection: Connection | None = None
    ) -> Config:
        """Alembic configuration for these revisions, bound to a URL or an open connection."""
        config = Config()
        # Config values go through configparser interpolation: a literal '%' must be doubled.
        config.set_main_option("script_location", str(self.directory).replace("%", "%%"))
        if database_url is not None:
            config.set_main_option("sqlalchemy.url", database_url.replace("%", "%%"))
        if connection is not None:
            config.attributes["connection"] = connection
        return config

    def upgrade(self, database_url: str) -> None:
        """Migrate the database at ``database_url`` to the head revision (no-op when there).

        A SQLite file's directory is created if missing (embedded defaults live in
        ``.trustshare/``).
        """
        url = make_url(database_url)
        if url.get_backend_name() == "sqlite" and url.database not in (None, "", ":memory:"):
            Path(url.database).parent.mkdir(parents=True, exist_ok=True)
        engine = make_engine(database_url)
        try:
            with engine.begin() as connection:
                command.upgrade(self.alembic_config(connection=connection), "head")
        finally:
            engine.dispose()

    def current_revision(self, database_url: str) -> str | None:
        """The revision the database is at; None for an unmigrated database."""
        engine = make_engine(database_url)
        try:
            with engine.connect() as connection:
                return MigrationContext.configure(connection).get_current_revision()
        finally:
            engine.dispose()

    def head_revision(self) -> str:
        """The newest revision shipped with this package."""
        head = ScriptDirectory.from_config(self.alembic_config()).get_current_head()
        if head is None:
            raise RuntimeError(f"no migration revisions under {self.directory}")
        return head


def run_environment(target_metadata: MetaData) -> None:
    """The body of an ``env.py``: migrate the connection handed over, or the configured URL.

    Run through the Alembic CLI or API with only ``sqlalchemy.url`` set, it opens the node's own
    engine (so SQLite gets the same pragmas). Batch mode lets revisions alter SQLite tables.
    """
    if context.is_offline_mode():
        raise RuntimeError("offline (--sql) migrations are not supported: migrate a live database")

    def run(connection: Connection) -> None:
        context.configure(
            connection=connection,
            target_metadata=target_metadata,
            render_as_batch=True,
            compare_type=True,
        )
        with context.begin_transaction():
            context.run_migrations()

    connection = context.config.attributes.get("connection")
    if connection is not None:
        run(connection)
        return
    url = context.config.get_main_option("sqlalchemy.url")
    if url is None:
        raise RuntimeError("set sqlalchemy.url, or pass a connection in config.attributes")
    engine = make_engine(url)
    try:
        with engine.begin() as own_connection:
            run(own_connection)
    finally:
        engine.dispose()
