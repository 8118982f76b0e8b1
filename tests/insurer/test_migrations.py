"""The insurer's packaged migrations build exactly the schema its models describe, both backends."""

from __future__ import annotations

from datetime import UTC, datetime

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect, text

from trustshare.insurer.claims import CLAIMS_CLIENT
from trustshare.storage.database import make_engine
from trustshare.storage.insurer_migrate import (
    MIGRATIONS_DIR,
    alembic_config,
    current_revision,
    head_revision,
    upgrade,
)
from trustshare.storage.insurer_models import InsurerBase

MODEL_TABLES = set(InsurerBase.metadata.tables)


def schema_differences(database_url: str) -> list[object]:
    engine = make_engine(database_url)
    try:
        with engine.connect() as connection:
            context = MigrationContext.configure(connection, opts={"compare_type": True})
            return list(compare_metadata(context, InsurerBase.metadata))
    finally:
        engine.dispose()


def table_names(database_url: str) -> set[str]:
    engine = make_engine(database_url)
    try:
        return set(inspect(engine).get_table_names())
    finally:
        engine.dispose()


def test_migrated_schema_equals_the_models(insurer_database_url: str) -> None:
    upgrade(insurer_database_url)
    assert schema_differences(insurer_database_url) == []
    assert table_names(insurer_database_url) == MODEL_TABLES | {"alembic_version"}
    assert current_revision(insurer_database_url) == head_revision()


def test_comparison_sees_an_empty_database_as_different(insurer_database_url: str) -> None:
    added = {
        difference[1].name
        for difference in schema_differences(insurer_database_url)
        if isinstance(difference, tuple) and difference[0] == "add_table"
    }
    assert added == MODEL_TABLES
    assert {"policies", "authorisations", "seen_nonces", "claims", "payouts"} <= MODEL_TABLES


def test_upgrade_is_repeatable_and_downgrade_removes_every_table(
    insurer_database_url: str,
) -> None:
    upgrade(insurer_database_url)
    upgrade(insurer_database_url)
    engine = make_engine(insurer_database_url)
    try:
        with engine.begin() as connection:
            command.downgrade(alembic_config(connection=connection), "base")
    finally:
        engine.dispose()
    assert table_names(insurer_database_url) == {"alembic_version"}
    upgrade(insurer_database_url)
    assert schema_differences(insurer_database_url) == []


def test_insurer_migrations_ship_inside_the_package() -> None:
    assert (MIGRATIONS_DIR / "env.py").is_file()
    assert (MIGRATIONS_DIR / "script.py.mako").is_file()
    assert any((MIGRATIONS_DIR / "versions").glob(f"{head_revision()}_*.py"))


def test_claim_request_keys_keep_their_rows_as_the_claims_api_keys(
    insurer_database_url: str,
) -> None:
    engine = make_engine(insurer_database_url)
    try:
        with engine.begin() as connection:
            command.upgrade(alembic_config(connection=connection), "0004")
            connection.execute(
                text(
                    "INSERT INTO claim_request_keys"
                    " (key, fingerprint, status, status_code, response_json, created_at)"
                    " VALUES ('k-done', 'ab', 'done', 202, '{\"claim_id\": \"cl_1\"}', :at),"
                    " ('k-running', 'cd', 'in_flight', NULL, NULL, :at)"
                ),
                {"at": datetime(2026, 11, 26, tzinfo=UTC)},
            )
        upgrade(insurer_database_url)
        with engine.connect() as connection:
            rows = connection.execute(
                text(
                    "SELECT client, key, request_hash, status, response_status, response_body"
                    " FROM claim_request_keys ORDER BY key"
                )
            ).all()
    finally:
        engine.dispose()
    assert [tuple(row) for row in rows] == [
        (CLAIMS_CLIENT, "k-done", "ab", "done", 202, '{"claim_id": "cl_1"}'),
        (CLAIMS_CLIENT, "k-running", "cd", "in_flight", None, None),
    ]
    assert schema_differences(insurer_database_url) == []
