"""Engines and sessions: SQLite by default (WAL, foreign keys on), PostgreSQL by URL."""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.orm import Session, sessionmaker

logger = logging.getLogger(__name__)


def make_engine(url: str, **options: Any) -> Engine:
    """An engine for ``url``; SQLite files get WAL journalling and enforced foreign keys."""
    if url.startswith("sqlite"):
        options.setdefault("connect_args", {"check_same_thread": False, "timeout": 30})
        engine = create_engine(url, **options)
        event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    options.setdefault("pool_pre_ping", True)
    return create_engine(url, **options)


def _sqlite_pragmas(connection: Any, _record: Any) -> None:
    cursor = connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.close()


class WalCheckpointer:
    """Checkpoints a SQLite database's write-ahead log every ``interval`` s, in a thread.

    Left to itself SQLite checkpoints inside whichever commit takes the log past 1,000 pages:
    that commit also copies the pages into the database file and syncs both files, several
    milliseconds a request path should not pay. Checkpointed often enough from here, the log
    is restarted before it grows that long and no commit checkpoints; the automatic checkpoint
    stays as the backstop. ``PASSIVE``: it waits for no reader or writer and blocks none, and
    durability is unchanged. For any other database :meth:`start` does nothing.
    """

    def __init__(self, engine: Engine, *, interval: float = 0.1) -> None:
        """Checkpoint ``engine``'s database every ``interval`` seconds once started."""
        self._engine = engine
        self._interval = interval
        self._stopping = threading.Event()
        self._thread: threading.Thread | None = None

    def run_once(self) -> tuple[int, int, int]:
        """One checkpoint: (1 if it could not finish, frames in the log, frames checkpointed)."""
        with self._engine.connect() as connection:
            row = connection.exec_driver_sql("PRAGMA wal_checkpoint(PASSIVE)").one()
        return int(row[0]), int(row[1]), int(row[2])

    def start(self) -> None:
        """Start the thread (once), for a SQLite engine only."""
        if self._thread is None and self._engine.dialect.name == "sqlite":
            self._thread = threading.Thread(target=self._run, name="wal-checkpoint", daemon=True)
            self._thread.start()

    def stop(self) -> None:
        """Stop the thread and wait for it."""
        self._stopping.set()
        if self._thread is not None:
            self._thread.join(timeout=10)

    def _run(self) -> None:
        while not self._stopping.wait(self._interval):
            try:
                self.run_once()
            except Exception:  # a locked or vanished file must not end the thread
                logger.exception("checkpointing the write-ahead log failed")


def make_session_factory(engine: Engine) -> sessionmaker[Session]:
    """Sessions that do not expire objects on commit (services return them after committing)."""
    return sessionmaker(engine, expire_on_commit=False)


@contextmanager
def transaction(factory: sessionmaker[Session]) -> Iterator[Session]:
    """One unit of work: commit on success, roll back on any exception."""
    session = factory()
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()
