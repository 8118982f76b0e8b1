"""Engines: SQLite files get WAL and enforced foreign keys; both backends refuse dangling rows."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine, text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from trustshare.storage.database import make_engine, transaction
from trustshare.storage.models import OutboxEntry, WalletBinding


@pytest.fixture
def sqlite_engine(tmp_path: Path) -> Iterator[Engine]:
    engine = make_engine(f"sqlite:///{tmp_path / 'node.db'}")
    yield engine
    engine.dispose()


def pragma(engine: Engine, name: str) -> object:
    with engine.connect() as connection:
        return connection.execute(text(f"PRAGMA {name}")).scalar_one()


def test_sqlite_files_are_journalled_with_wal(sqlite_engine: Engine) -> None:
    assert pragma(sqlite_engine, "journal_mode") == "wal"


def test_sqlite_enforces_foreign_keys_on_every_connection(sqlite_engine: Engine) -> None:
    with sqlite_engine.connect() as first, sqlite_engine.connect() as second:
        for connection in (first, second):
            assert connection.execute(text("PRAGMA foreign_keys")).scalar_one() == 1


def test_sqlite_waits_for_a_busy_writer_instead_of_failing(sqlite_engine: Engine) -> None:
    assert pragma(sqlite_engine, "busy_timeout") == 30000
    assert pragma(sqlite_engine, "synchronous") == 1  # NORMAL: safe with WAL


def test_a_row_pointing_at_a_missing_row_is_refused(sessions: sessionmaker[Session]) -> None:
    with pytest.raises(IntegrityError), transaction(sessions) as session:
        session.add(WalletBinding(pseudonym=b"\x01" * 32, wallet="0x" + "ab" * 20, outbox_id=404))
    with transaction(sessions) as session:
        assert session.query(WalletBinding).count() == 0
        assert session.query(OutboxEntry).count() == 0
