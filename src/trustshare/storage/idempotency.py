"""Repository of idempotency keys: first answers to money-moving requests, per client and key.

Two tables hold keys with the same columns: the bureau's ``idempotency_keys``
(:class:`~trustshare.storage.models.IdempotencyRecord`, per hospital) and the insurer's
``claim_request_keys`` (:class:`~trustshare.storage.insurer_models.ClaimRequestKey`, its claims
API). Every function takes the table as ``records`` (the bureau's by default).
"""

from __future__ import annotations

from datetime import datetime
from typing import TypeAlias, cast

from sqlalchemy import delete, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from trustshare.storage.database import transaction
from trustshare.storage.insurer_models import ClaimRequestKey
from trustshare.storage.models import IdempotencyRecord

IN_FLIGHT = "in_flight"
DONE = "done"

KeyRecord: TypeAlias = IdempotencyRecord | ClaimRequestKey
"""A stored key, of either table."""
KeyTable: TypeAlias = type[IdempotencyRecord] | type[ClaimRequestKey]
"""A table of keys."""


def find_key(
    session: Session, client: str, key: str, records: KeyTable = IdempotencyRecord
) -> KeyRecord | None:
    """The record of ``client``'s ``key``, if any."""
    found = session.get(records, (client, key))  # both tables' primary key: (client, key)
    return cast(KeyRecord | None, found)  # mypy joins the union of tables to their base


def claim_key(
    sessions: sessionmaker[Session],
    client: str,
    key: str,
    request_hash: str,
    now: datetime,
    records: KeyTable = IdempotencyRecord,
) -> bool:
    """Store ``key`` as in flight in its own transaction; False if the key already exists."""
    try:
        with transaction(sessions) as session:
            session.add(
                records(
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
    sessions: sessionmaker[Session], stale: KeyRecord, request_hash: str, now: datetime
) -> bool:
    """Re-claim an in-flight key whose holder died; False if someone else changed it first."""
    records = type(stale)
    with transaction(sessions) as session:
        taken = session.execute(
            update(records)
            .where(
                records.client == stale.client,
                records.key == stale.key,
                records.status == IN_FLIGHT,
                records.created_at == stale.created_at,
            )
            .values(request_hash=request_hash, created_at=now)
        )
    return bool(taken.rowcount)  # type: ignore[attr-defined]


def complete_key(
    session: Session,
    client: str,
    key: str,
    response_status: int,
    response_body: str,
    records: KeyTable = IdempotencyRecord,
) -> None:
    """Record the first answer, in the caller's transaction (the one that stores the result).

    Only an in-flight key is answered: a key answered already keeps its first answer.
    """
    session.execute(
        update(records)
        .where(records.client == client, records.key == key, records.status == IN_FLIGHT)
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
    records: KeyTable = IdempotencyRecord,
) -> None:
    """Store ``key`` already answered, in the caller's transaction (flushed at once).

    Raises :class:`~sqlalchemy.exc.IntegrityError` if the key exists (a concurrent repeat).
    """
    session.add(
        records(
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


def release_key(
    sessions: sessionmaker[Session], client: str, key: str, records: KeyTable = IdempotencyRecord
) -> None:
    """Forget an in-flight key whose request failed before storing anything (it may be retried)."""
    with transaction(sessions) as session:
        session.execute(
            delete(records).where(
                records.client == client, records.key == key, records.status == IN_FLIGHT
            )
        )
