"""The packaged migrations build exactly the schema the models describe, on both backends."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect, select

from trustshare.storage.database import make_engine, make_session_factory, transaction
from trustshare.storage.migrate import (
    MIGRATIONS_DIR,
    alembic_config,
    current_revision,
    head_revision,
    upgrade,
)
from trustshare.storage.models import Base, OutboxEntry

MODEL_TABLES = set(Base.metadata.tables)


def schema_differences(database_url: str) -> list[object]:
    engine = make_engine(database_url)
    try:
        with engine.connect() as connection:
            context = MigrationContext.configure(connection, opts={"compare_type": True})
            return list(compare_metadata(context, Base.metadata))
    finally:
        engine.dispose()


def table_names(database_url: str) -> set[str]:
    engine = make_engine(database_url)
    try:
        return set(inspect(engine).get_table_names())
    finally:
        engine.dispose()


def test_migrated_schema_equals_the_models(database_url: str) -> None:
    upgrade(database_url)
    assert schema_differences(database_url) == []


def test_comparison_sees_a_schema_that_differs_from_the_models(database_url: str) -> None:
    # Guards the test above: an empty database differs from the models by every table.
    added_tables = {
        difference[1].name
        for difference in schema_differences(database_url)
        if isinstance(difference, tuple) and difference[0] == "add_table"
    }
    assert added_tables == MODEL_TABLES


def test_upgrade_records_the_head_revision(database_url: str) -> None:
    assert current_revision(database_url) is None
    upgrade(database_url)
    assert current_revision(database_url) == head_revision()
    assert table_names(database_url) == MODEL_TABLES | {"alembic_version"}


def test_upgrade_again_is_a_no_op_that_keeps_the_data(database_url: str) -> None:
    upgrade(database_url)
    engine = make_engine(database_url)
    try:
        with transaction(make_session_factory(engine)) as session:
            session.add(OutboxEntry(kind="commit_batch", payload_json="{}"))
        upgrade(database_url)
        with transaction(make_session_factory(engine)) as session:
            assert session.scalars(select(OutboxEntry.kind)).all() == ["commit_batch"]
    finally:
        engine.dispose()
    assert current_revision(database_url) == head_revision()


def test_downgrade_to_base_removes_every_table_and_upgrade_rebuilds_them(
    database_url: str,
) -> None:
    upgrade(database_url)
    engine = make_engine(database_url)
    try:
        with engine.begin() as connection:
            command.downgrade(alembic_config(connection=connection), "base")
    finally:
        engine.dispose()
    assert table_names(database_url) == {"alembic_version"}
    assert current_revision(database_url) is None
    upgrade(database_url)
    assert schema_differences(database_url) == []


def test_migrations_ship_inside_the_package() -> None:
    import trustshare

    package_dir = MIGRATIONS_DIR.parents[1]
    assert package_dir.samefile(trustshare.__path__[0])
    assert (MIGRATIONS_DIR / "env.py").is_file()
    assert (MIGRATIONS_DIR / "script.py.mako").is_file()
    assert any((MIGRATIONS_DIR / "versions").glob(f"{head_revision()}_*.py"))


def test_upgrade_creates_the_directory_of_a_new_sqlite_file(tmp_path: Path) -> None:
    database_url = f"sqlite:///{tmp_path / 'node' / 'data' / 'bureau.db'}"
    upgrade(database_url)
    assert current_revision(database_url) == head_revision()
