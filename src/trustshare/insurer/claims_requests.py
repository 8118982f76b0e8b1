"""``Idempotency-Key`` of ``POST /v1/claims``: one claim request runs once.

The same protocol as the bureau's (:mod:`trustshare.gateway.idempotency`), on this node's
``claim_request_keys`` table: the key is taken *in flight* in its own transaction with the
request's fingerprint; the answer is stored on it in the transaction that changes the claim.
A repeat gets the stored answer; another body under the key → 422 ``idempotency_key_reused``;
a repeat while the first runs → 409 ``request_in_flight``. A request that fails before storing
an answer releases its key. An in-flight key older than :data:`IN_FLIGHT_LEASE_SECONDS` is taken
over (its request died).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Final

from sqlalchemy import delete, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from trustshare.gateway.errors import Conflict, Unprocessable
from trustshare.storage.database import transaction
from trustshare.storage.insurer_models import ClaimRequestKey

IN_FLIGHT: Final = "in_flight"
DONE: Final = "done"
IN_FLIGHT_LEASE_SECONDS: Final = 120.0
"""Longer than a claim request runs (one bureau round trip, chain reads, one transaction)."""


@dataclass(frozen=True)
class StoredAnswer:
    """The first answer given under a key."""

    status_code: int
    body: dict[str, Any]


def begin(
    sessions: sessionmaker[Session], key: str, fingerprint: str, now: datetime
) -> StoredAnswer | None:
    """Take ``key`` in flight (None), or the stored answer to repeat; 409/422 as above."""
    try:
        with transaction(sessions) as session:
            session.add(
                ClaimRequestKey(key=key, fingerprint=fingerprint, status=IN_FLIGHT, created_at=now)
            )
        return None
    except IntegrityError:
        pass
    with transaction(sessions) as session:
        known = session.get(ClaimRequestKey, key)
        if known is None:  # released in between: try once more
            return begin(sessions, key, fingerprint, now)
        if known.fingerprint != fingerprint:
            raise Unprocessable(
                "idempotency_key_reused",
                "this Idempotency-Key was used with another request body",
                field="Idempotency-Key",
            )
        if known.status == DONE:
            return StoredAnswer(known.status_code or 200, json.loads(known.response_json or "{}"))
        stale = now - timedelta(seconds=IN_FLIGHT_LEASE_SECONDS)
        taken = session.execute(
            update(ClaimRequestKey)
            .where(
                ClaimRequestKey.key == key,
                ClaimRequestKey.status == IN_FLIGHT,
                ClaimRequestKey.created_at < stale,
            )
            .values(created_at=now)
        )
        if int(getattr(taken, "rowcount", 0) or 0) == 1:
            return None
    raise Conflict("request_in_flight", "a request with this Idempotency-Key is still running")


def finish(session: Session, key: str, status_code: int, body: dict[str, Any]) -> None:
    """Store the answer on an in-flight ``key`` in the caller's transaction (with the claim)."""
    session.execute(
        update(ClaimRequestKey)
        .where(ClaimRequestKey.key == key, ClaimRequestKey.status == IN_FLIGHT)
        .values(status=DONE, status_code=status_code, response_json=json.dumps(body))
    )


def release(sessions: sessionmaker[Session], key: str) -> None:
    """Forget an in-flight ``key`` whose request failed before answering."""
    with transaction(sessions) as session:
        session.execute(
            delete(ClaimRequestKey).where(
                ClaimRequestKey.key == key, ClaimRequestKey.status == IN_FLIGHT
            )
        )
