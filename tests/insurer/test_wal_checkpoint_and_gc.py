"""The node's log is checkpointed off the request path; its start-up objects are frozen."""

from __future__ import annotations

import gc
import threading
from pathlib import Path

from fastapi.testclient import TestClient
from sqlalchemy import text

from trustshare.insurer.app import create_app
from trustshare.insurer.context import InsurerContext
from trustshare.storage.database import WalCheckpointer, make_engine


def test_a_checkpoint_copies_the_whole_log_into_the_database(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'node.db'}")
    with engine.begin() as connection:
        connection.execute(text("CREATE TABLE t (n INTEGER)"))
        for n in range(50):
            connection.execute(text("INSERT INTO t VALUES (:n)"), {"n": n})
    busy, frames, copied = WalCheckpointer(engine).run_once()
    assert (busy, copied) == (0, frames)
    assert frames > 0
    engine.dispose()


def test_only_a_sqlite_database_is_checkpointed_by_a_thread(tmp_path: Path) -> None:
    sqlite = WalCheckpointer(make_engine(f"sqlite:///{tmp_path / 'node.db'}"), interval=60)
    postgres = WalCheckpointer(make_engine("postgresql+psycopg://nobody@127.0.0.1:1/none"))
    before = {thread.name for thread in threading.enumerate()}
    assert "wal-checkpoint" not in before
    postgres.start()
    assert "wal-checkpoint" not in {thread.name for thread in threading.enumerate()}
    sqlite.start()
    assert "wal-checkpoint" in {thread.name for thread in threading.enumerate()}
    sqlite.stop()
    postgres.stop()
    assert "wal-checkpoint" not in {thread.name for thread in threading.enumerate()}


def test_a_served_node_freezes_its_start_up_objects_and_checkpoints_its_log(
    insurer_context: InsurerContext,
) -> None:
    sqlite = insurer_context.engine.dialect.name == "sqlite"
    assert gc.get_freeze_count() == 0
    settings = insurer_context.settings.model_copy(update={"freeze_gc_at_start": True})
    with TestClient(create_app(settings, context=insurer_context)):
        assert gc.get_freeze_count() > 0
        names = {thread.name for thread in threading.enumerate()}
        assert ("wal-checkpoint" in names) is sqlite
    assert gc.get_freeze_count() == 0
    assert "wal-checkpoint" not in {thread.name for thread in threading.enumerate()}
