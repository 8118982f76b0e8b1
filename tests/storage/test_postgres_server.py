"""The test PostgreSQL server: missing binaries say how to install them; databases are isolated."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from ..postgres import PostgresServer, PostgresUnavailable, find_server_binaries


def test_missing_server_binaries_name_the_command_that_installs_them(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("tests.postgres.SERVER_BINARIES", str(tmp_path / "*" / "bin"))
    with pytest.raises(PostgresUnavailable, match="run `make setup`"):
        find_server_binaries()


@pytest.mark.postgresql
def test_each_database_starts_empty_and_only_on_loopback(postgres_server: PostgresServer) -> None:
    first, second = postgres_server.create_database(), postgres_server.create_database()
    try:
        engine = create_engine(postgres_server.url(first))
        with engine.begin() as connection:
            connection.execute(text("CREATE TABLE left_behind (id integer)"))
            assert connection.execute(text("SHOW listen_addresses")).scalar_one() == "127.0.0.1"
        engine.dispose()
        engine = create_engine(postgres_server.url(second))
        with engine.connect() as connection:
            tables = connection.execute(
                text("SELECT count(*) FROM pg_tables WHERE schemaname = 'public'")
            ).scalar_one()
        engine.dispose()
        assert tables == 0
    finally:
        postgres_server.drop_database(first)
        postgres_server.drop_database(second)
