"""Repository of idempotency keys: first answers to money-moving requests, per client and key."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from trustshare.storage.database import transaction
from trustshare.storage.models import IdempotencyRecord

IN_FLIGHT = "in_flight"
DONE = "done"


def find_key(session: Session, client: str, key: str) -> IdempotencyRecord | None:
    """The record of ``client``'s ``key``, if any."""
    return session.scalar(
        select(IdempotencyRecord).where(
            IdempotencyRecord.client == client, IdempotencyRecord.key == key
        )
    )


def claim_key(
    sessions: sessionmaker[Session], client: str, key: str, request_hash: str, now: datetime
) -> bool:
    """Store ``key`` as in flight in its own transaction; False if the key already exists."""
    try:
        with transaction(sessions) as session:
            session.add(
                IdempotencyRecord(
                    client=client,
                    key=key,
                    request_hash=request_hash,
                    status=IN_FLIGHT,
                    created_at=now,
                )
            )
    except IntegrityError:
        return False
    return True


def take_over_key(
    sessions: sessionmaker[Session],
    stale: IdempotencyRecord,
    request_hash: str,
    now: datetime,
) -> bool:
    """Re-claim an in-flight key whose holder died; False if someone else changed it first."""
    with transaction(sessions) as session:
        taken = session.execute(
            update(IdempotencyRecord)
            .where(
                IdempotencyRecord.client == stale.client,
                IdempotencyRecord.key == stale.key,
                IdempotencyRecord.status == IN_FLIGHT,
                IdempotencyRecord.created_at == stale.created_at,
            )
            .values(request_hash=request_hash, created_at=now)
        )
    return bool(taken.rowcount)  # type: ignore[attr-defined]


def complete_key(
    session: Session, client: str, key: str, response_status: int, response_body: str
) -> None:
    """Record the first answer, in the caller's transaction (the one that stores the result)."""
    session.execute(
        update(IdempotencyRecord)
        .where(IdempotencyRecord.client == client, IdempotencyRecord.key == key)
        .values(status=DONE, response_status=response_status, response_body=response_body)
    )


def insert_answered_key(
    session: Session,
    client: str,
    key: str,
    request_hash: str,
    response_status: int,
    response_body: str,
    now: datetime,
) -> None:
    """Store ``key`` already answered, in the caller's transaction (flushed at once).

    Raises :class:`~sqlalchemy.exc.IntegrityError` if the key exists (a concurrent repeat).
    """
    session.add(
        IdempotencyRecord(
            client=client,
            key=key,
            request_hash=request_hash,
            status=DONE,
            response_status=response_status,
            response_body=response_body,
            created_at=now,
        )
    )
    session.flush()


def release_key(sessions: sessionmaker[Session], client: str, key: str) -> None:
    """Forget an in-flight key whose request failed before storing anything (it may be retried)."""
    with transaction(sessions) as session:
        session.execute(
            delete(IdempotencyRecord).where(
                IdempotencyRecord.client == client,
                IdempotencyRecord.key == key,
                IdempotencyRecord.status == IN_FLIGHT,
            )
        )
