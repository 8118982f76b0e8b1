"""Alembic environment of the insurer database: migrates the connection handed over.

The connection comes from ``trustshare.storage.insurer_migrate``.

Run through the Alembic CLI or API with only ``sqlalchemy.url`` set, it opens its own engine
(the node's, so SQLite gets the same pragmas). Batch mode lets later revisions alter SQLite tables.
"""

from __future__ import annotations

from alembic import context
from sqlalchemy import Connection

from trustshare.storage.database import make_engine
from trustshare.storage.insurer_models import InsurerBase


def _run(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=InsurerBase.metadata,
        render_as_batch=True,
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


def run_migrations() -> None:
    """Run the requested migration command against the configured database."""
    connection = context.config.attributes.get("connection")
    if connection is not None:
        _run(connection)
        return
    url = context.config.get_main_option("sqlalchemy.url")
    if url is None:
        raise RuntimeError("set sqlalchemy.url, or pass a connection in config.attributes")
    engine = make_engine(url)
    try:
        with engine.begin() as own_connection:
            _run(own_connection)
    finally:
        engine.dispose()


if context.is_offline_mode():
    raise RuntimeError("offline (--sql) migrations are not supported: migrate a live database")
run_migrations()
