"""``Idempotency-Key``: a money-moving request runs once, and its repeats get the first answer.

Protocol (DESIGN.md §6), per client (a hospital) and key:

1. The key is claimed *in flight* in its own short transaction, with a fingerprint of the
   request (method, path and the canonical JSON of the validated body).
2. The work runs — possibly for hundreds of milliseconds (insurers are asked in real time).
3. The result is stored and the key marked *done* with the response, **in the same
   transaction** as the business change: a crash leaves either both or neither.

A repeat with the same fingerprint gets the stored response (``replayed``); with another
fingerprint → 422 ``idempotency_key_reused``; while the first is still in flight → 409
``request_in_flight``. A request that fails before storing anything releases its key, so it can
be retried with the same key. An in-flight key older than :data:`IN_FLIGHT_LEASE_SECONDS` is
taken over (its holder died mid-request).

The bureau keeps its keys in ``idempotency_keys`` (per hospital); the insurer keeps those of its
claims API in ``claim_request_keys`` (``records=ClaimRequestKey``): the same protocol on both.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Final

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from trustshare.gateway.errors import Conflict, Unprocessable
from trustshare.storage.idempotency import (
    DONE,
    KeyTable,
    claim_key,
    complete_key,
    find_key,
    insert_answered_key,
    release_key,
    take_over_key,
)
from trustshare.storage.models import IdempotencyRecord

IDEMPOTENCY_HEADER: Final = "Idempotency-Key"
IN_FLIGHT_LEASE_SECONDS: Final = 120.0
"""Longer than any request can run (every insurer's deadline, in payer order, and storage)."""
KEY_PATTERN: Final = r"^[\x21-\x7e]{1,128}$"
"""1–128 printable ASCII characters, no spaces (a UUID is typical)."""
_KEY = re.compile(KEY_PATTERN)


@dataclass(frozen=True)
class StoredResponse:
    """A response as first given: status and JSON body; ``replayed`` for repeats."""

    status_code: int
    body: dict[str, Any]
    replayed: bool = False


class KeyRaced(Exception):
    """Another request stored an answer under the same key first (quick path only)."""


@dataclass(frozen=True)
class ClaimedKey:
    """A key this request answers; :meth:`complete` it in the storing transaction."""

    client: str
    key: str
    fingerprint: str
    moment: datetime
    held: bool
    """True: claimed in flight beforehand (completing updates it); False: the quick path."""
    records: KeyTable = IdempotencyRecord
    """The table the key is kept in."""

    def complete(self, session: Session, status_code: int, body: dict[str, Any]) -> StoredResponse:
        """Record the answer in ``session`` (the caller commits it with the business change).

        On the quick path the key is inserted here, so the caller should complete *before*
        staging its own rows: a concurrent repeat then surfaces as :class:`KeyRaced`.
        """
        if self.held:
            return complete_held(session, self.client, self.key, status_code, body, self.records)
        try:
            insert_answered_key(
                session,
                self.client,
                self.key,
                self.fingerprint,
                status_code,
                json.dumps(body),
                self.moment,
                self.records,
            )
        except IntegrityError:
            raise KeyRaced(self.key) from None
        return StoredResponse(status_code, body)


def complete_held(
    session: Session,
    client: str,
    key: str,
    status_code: int,
    body: dict[str, Any],
    records: KeyTable = IdempotencyRecord,
) -> StoredResponse:
    """Answer ``client``'s in-flight ``key`` in ``session`` (the transaction of the change).

    What :meth:`ClaimedKey.complete` does for a held key, for work that knows only the key. A key
    answered already keeps its first answer.
    """
    complete_key(session, client, key, status_code, json.dumps(body), records)
    return StoredResponse(status_code, body)


def request_fingerprint(method: str, path: str, body: Any) -> str:
    """Hex SHA-256 of the request as sorted, compact JSON: what a reused key is compared by.

    Only this node ever compares fingerprints, so the standard library's (C) encoder with
    sorted keys serves; it is several times faster than the commitment encoder.
    """
    document = {"method": method.upper(), "path": path, "body": body}
    text = json.dumps(document, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def check_key(key: str) -> str:
    """``key`` if well-formed, else 422 naming the header."""
    if not _KEY.match(key):
        raise Unprocessable(
            "invalid_idempotency_key",
            "Idempotency-Key must be 1-128 printable ASCII characters without spaces",
            field=IDEMPOTENCY_HEADER,
        )
    return key


def run_once(
    sessions: sessionmaker[Session],
    client: str,
    key: str,
    fingerprint: str,
    perform: Callable[[ClaimedKey], StoredResponse],
    *,
    now: float,
    quick: bool = False,
    records: KeyTable = IdempotencyRecord,
) -> StoredResponse:
    """Run ``perform`` once for ``(client, key)`` of ``records``; repeats get its stored response.

    ``perform`` must call :meth:`ClaimedKey.complete` in the transaction that stores its
    result. If it raises, the key is released and the exception propagates.

    ``quick``: for work that waits on nobody (a few milliseconds of local work), skip the
    in-flight claim — one write transaction instead of two. A repeat arriving meanwhile is
    stopped by the key's primary key when the answer is stored, and then replayed.
    """
    check_key(key)
    moment = datetime.fromtimestamp(now, UTC)
    if quick:
        with sessions() as session:
            known = find_key(session, client, key, records) is not None
        if not known:
            try:
                return perform(
                    ClaimedKey(client, key, fingerprint, moment, held=False, records=records)
                )
            except KeyRaced:
                pass
        replay = _existing(sessions, client, key, fingerprint, moment, records)
        if replay is None:  # a stale in-flight key, taken over: do the work as its holder
            return _perform_held(sessions, client, key, fingerprint, moment, perform, records)
        return replay
    if not claim_key(sessions, client, key, fingerprint, moment, records):
        replay = _existing(sessions, client, key, fingerprint, moment, records)
        if replay is not None:
            return replay
    return _perform_held(sessions, client, key, fingerprint, moment, perform, records)


def _perform_held(
    sessions: sessionmaker[Session],
    client: str,
    key: str,
    fingerprint: str,
    moment: datetime,
    perform: Callable[[ClaimedKey], StoredResponse],
    records: KeyTable,
) -> StoredResponse:
    try:
        return perform(ClaimedKey(client, key, fingerprint, moment, held=True, records=records))
    except BaseException:
        release_key(sessions, client, key, records)
        raise


def _existing(
    sessions: sessionmaker[Session],
    client: str,
    key: str,
    fingerprint: str,
    moment: datetime,
    records: KeyTable,
) -> StoredResponse | None:
    """The stored answer for a repeat; None if a stale in-flight key was taken over."""
    with sessions() as session:
        record = find_key(session, client, key, records)
    if record is None:  # released between our insert and this read: the caller may retry
        raise Conflict("request_in_flight", "a request with this Idempotency-Key just failed")
    if record.request_hash != fingerprint:
        raise Unprocessable(
            "idempotency_key_reused",
            "this Idempotency-Key was used for a different request",
            field=IDEMPOTENCY_HEADER,
        )
    if record.status == DONE and record.response_status is not None:
        body = json.loads(record.response_body or "{}")
        return StoredResponse(record.response_status, body, replayed=True)
    created = record.created_at
    if created.tzinfo is None:  # SQLite returns naive UTC
        created = created.replace(tzinfo=UTC)
    if (moment - created).total_seconds() > IN_FLIGHT_LEASE_SECONDS and take_over_key(
        sessions, record, fingerprint, moment
    ):
        return None
    raise Conflict("request_in_flight", "a request with this Idempotency-Key is in flight")
