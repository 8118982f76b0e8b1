"""Uniqueness the protocol relies on is the database's, and a failed unit of work leaves nothing."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from trustshare.storage.database import transaction
from trustshare.storage.models import (
    Base,
    Batch,
    IdempotencyRecord,
    OutboxEntry,
    SeenNonce,
    SettlementRow,
)


def batch(root: bytes) -> Batch:
    return Batch(kind="SETTLEMENT", root=root, leaf_count=1, rules_version=b"\x07" * 32, tree=b"")


def settlement(settlement_id: bytes, setl_id: str) -> SettlementRow:
    return SettlementRow(
        settlement_id=settlement_id,
        setl_id=setl_id,
        pseudonym=b"\x05" * 32,
        source="hospital-a",
        record_json="{}",
        salts=b"",
        record_commitment=b"\x06" * 32,
        claim_ceiling_fen=100,
        rules_digest=b"\x07" * 32,
    )


def idempotency(client: str, key: str) -> IdempotencyRecord:
    return IdempotencyRecord(client=client, key=key, request_hash="00" * 32)


DUPLICATES: dict[str, tuple[Callable[[], Base], Callable[[], Base], Callable[[], Base]]] = {
    # name: (first row, a row clashing with it, a row that differs only where allowed)
    "settlement_id": (
        lambda: settlement(b"\x01" * 32, "SETL-1"),
        lambda: settlement(b"\x01" * 32, "SETL-2"),
        lambda: settlement(b"\x02" * 32, "SETL-2"),
    ),
    "setl_id": (
        lambda: settlement(b"\x01" * 32, "SETL-1"),
        lambda: settlement(b"\x02" * 32, "SETL-1"),
        lambda: settlement(b"\x02" * 32, "SETL-2"),
    ),
    "batch root": (
        lambda: batch(b"\x0a" * 32),
        lambda: batch(b"\x0a" * 32),
        lambda: batch(b"\x0b" * 32),
    ),
    "idempotency client and key": (
        lambda: idempotency("hospital-a", "k-1"),
        lambda: idempotency("hospital-a", "k-1"),
        lambda: idempotency("hospital-b", "k-1"),
    ),
    "seen nonce": (
        lambda: SeenNonce(signer="0x" + "11" * 20, nonce="n-1"),
        lambda: SeenNonce(signer="0x" + "11" * 20, nonce="n-1"),
        lambda: SeenNonce(signer="0x" + "22" * 20, nonce="n-1"),
    ),
}


def count(sessions: sessionmaker[Session], model: type[Base]) -> int:
    with transaction(sessions) as session:
        return session.scalar(select(func.count()).select_from(model)) or 0


@pytest.mark.parametrize("name", DUPLICATES)
def test_a_duplicate_is_refused_and_a_distinct_row_accepted(
    sessions: sessionmaker[Session], name: str
) -> None:
    first, clashing, distinct = DUPLICATES[name]
    with transaction(sessions) as session:
        session.add(first())
    with pytest.raises(IntegrityError), transaction(sessions) as session:
        session.add(clashing())
    with transaction(sessions) as session:
        session.add(distinct())
    assert count(sessions, type(first())) == 2


def test_transaction_rolls_back_every_write_when_the_work_fails(
    sessions: sessionmaker[Session],
) -> None:
    class WorkFailed(Exception):
        pass

    with pytest.raises(WorkFailed), transaction(sessions) as session:
        session.add(settlement(b"\x01" * 32, "SETL-1"))
        session.add(OutboxEntry(kind="commit_batch", payload_json="{}"))
        session.flush()  # the rows reached the database inside the transaction
        raise WorkFailed
    assert count(sessions, SettlementRow) == 0
    assert count(sessions, OutboxEntry) == 0


def test_transaction_commits_when_the_work_succeeds(sessions: sessionmaker[Session]) -> None:
    with transaction(sessions) as session:
        session.add(settlement(b"\x01" * 32, "SETL-1"))
        session.add(OutboxEntry(kind="commit_batch", payload_json="{}"))
    assert count(sessions, SettlementRow) == 1
    assert count(sessions, OutboxEntry) == 1
