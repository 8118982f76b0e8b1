"""Releasing committed records to an insurer, under the patient's consent at that moment.

The insurer's identity is established before this is called (a signed request by an active
insurer). Order of checks for each record, each refusal logged in the access log and changing
nothing else:

1. the record exists (404 ``record_not_found``);
2. the consent on chain, at the latest block, covers the purpose and at least one requested
   group (403 ``consent_missing``, with the ``PermissionStatus`` name); only the requested
   groups the consent covers are disclosed;
3. some covered group is in the record (404 ``groups_not_in_record``).

Then, if the record's batch is not final yet, 409 ``not_yet_committed`` with ``Retry-After``:
nothing was disclosed, so this is not logged; the insurer is entitled and simply retries.
Otherwise the disclosure (fields, salts and group proofs) is sealed to the insurer's registered
X25519 key and returned with the batch leaf, the batch root and the leaf's proof.

One request may name up to :data:`MAX_BULK_RECORDS` records (``POST /v1/releases/bulk``): each
gets exactly what a request for it alone would get (:func:`release_records`), and the access-log
entries of the whole request are written in one transaction. A single release is the same code
with one record (:func:`release_record`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from trustshare.bureau.access_log import (
    REFUSED,
    RELEASED,
    AccessAttempt,
    log_access,
    log_accesses,
)
from trustshare.bureau.context import BureauContext
from trustshare.bureau.stored_records import BatchTrees, StoredRecord, load_records, rebuild
from trustshare.chain.registries import PermissionStatus
from trustshare.crypto.canonical_json import canonical_json
from trustshare.crypto.sealing import SealingPublicKey, seal
from trustshare.crypto.vocabulary import Purpose, Scope
from trustshare.gateway.errors import ApiError, Conflict, Forbidden, NotFound
from trustshare.storage import access
from trustshare.storage.models import Batch, EnrollmentRow

RECORD_TYPES = ("settlement", "enrollment")
RETRY_AFTER_SECONDS = 5
MAX_BULK_RECORDS = 200


class ConsentMissing(Forbidden):
    """403: the chain does not permit this release now; ``permission`` says why."""

    def __init__(self, status: PermissionStatus) -> None:
        """Refuse with the chain's ``PermissionStatus``."""
        super().__init__(
            "consent_missing", f"the patient's consent does not permit this: {status.name}"
        )
        self.permission = status

    def body(self) -> dict[str, Any]:
        """The common error body plus ``permission_status``."""
        body = super().body()
        body["error"]["permission_status"] = self.permission.name
        return body


class NotYetCommitted(Conflict):
    """409: the record is not in a final batch yet; retry after ``retry_after`` seconds."""

    def __init__(self) -> None:
        """Refuse for now."""
        super().__init__("not_yet_committed", "the record's batch is not final yet; retry shortly")
        self.retry_after = RETRY_AFTER_SECONDS


@dataclass(frozen=True)
class ReleaseRequest:
    """An insurer's request for records of one type, for one purpose and set of groups."""

    insurer: str
    record_type: str
    record_ids: tuple[bytes, ...]
    purpose: Purpose
    scopes: Scope

    def __post_init__(self) -> None:
        """Refuse what the API's validation already keeps out (a programming error here)."""
        if self.record_type not in RECORD_TYPES:
            raise ValueError(f"record_type {self.record_type!r} is not one of {RECORD_TYPES}")
        if len(self.record_ids) > MAX_BULK_RECORDS:
            raise ValueError(f"{len(self.record_ids)} records, above {MAX_BULK_RECORDS}")
        if len(set(self.record_ids)) != len(self.record_ids):
            raise ValueError("a record id is asked for twice")


Outcome = dict[str, Any] | ApiError
"""What one record of a request gets: the release body, or the refusal (not raised)."""


@dataclass(frozen=True)
class _Verdict:
    """The checks' answer for one record: ``refusal``, or ``groups`` of ``batch`` released."""

    record_id: bytes
    record: StoredRecord | None
    refusal: ApiError | None = None
    groups: tuple[str, ...] = ()
    batch: Batch | None = None


def release_record(
    context: BureauContext, session: Session, request: ReleaseRequest
) -> dict[str, Any]:
    """Disclose what the consent allows of the request's one record; raise its refusal."""
    [outcome] = release_records(context, session, request)
    if isinstance(outcome, ApiError):
        raise outcome
    return outcome


def release_records(
    context: BureauContext, session: Session, request: ReleaseRequest
) -> list[Outcome]:
    """Each requested record's release or refusal, in request order; all logged together.

    One query loads the records and one their batches; one JSON-RPC batch reads the consents
    and one the permissions (one ask per pseudonym); each batch's tree is parsed once; every
    access-log entry of the request is written in one transaction.
    """
    records = load_records(session, request.record_type, request.record_ids)
    batch_ids = {record.batch_id for record in records.values() if record.batch_id is not None}
    batches = access.batches_by_id(session, batch_ids)
    # Hand the connection back before the chain is read and the access log is written (in a
    # transaction of its own): one request never holds two connections of the pool at once.
    session.commit()
    pseudonyms = [record.pseudonym for record in records.values()]
    permissions = _permissions(
        context, request.insurer, pseudonyms, request.purpose, request.scopes
    )
    verdicts = [
        _verdict(record_id, records.get(record_id), batches, permissions)
        for record_id in request.record_ids
    ]
    bodies = _release_bodies(context, request, verdicts)
    attempts = [_attempt_of(request, verdict) for verdict in verdicts]
    entries = iter(log_accesses(context, [a for a in attempts if a is not None]))
    outcomes: list[Outcome] = []
    for verdict, attempt, body in zip(verdicts, attempts, bodies, strict=True):
        entry = next(entries) if attempt is not None else None
        if verdict.refusal is not None:
            outcomes.append(verdict.refusal)
        else:
            assert body is not None and entry is not None  # released ⇒ sealed and logged
            outcomes.append({**body, "access_log_id": entry.id})
    return outcomes


def latest_enrollment_id(session: Session, pseudonym: bytes) -> bytes | None:
    """The id of the enrollment record of ``pseudonym`` stored last, or None."""
    return session.scalar(
        select(EnrollmentRow.enrollment_id)
        .where(EnrollmentRow.pseudonym == pseudonym)
        .order_by(EnrollmentRow.id.desc())
        .limit(1)
    )


def release_latest_enrollment(
    context: BureauContext,
    session: Session,
    *,
    insurer: str,
    pseudonym: bytes,
    purpose: Purpose,
    scopes: Scope,
) -> dict[str, Any]:
    """Release the person's latest enrollment record (the patient's app knows no record ids).

    Exactly :func:`release_record` for that record. Without one, the consent is checked first
    (403 as for any record), so an insurer without consent cannot learn whether a pseudonym is
    enrolled; only then 404 ``record_not_found``. Both refusals are logged.
    """
    record_id = latest_enrollment_id(session, pseudonym)
    session.commit()  # no connection held while the chain is read and the log written
    request = ReleaseRequest(
        insurer, "enrollment", () if record_id is None else (record_id,), purpose, scopes
    )
    if record_id is not None:
        return release_record(context, session, request)
    [(_, status)] = _permissions(context, insurer, [pseudonym], purpose, scopes).values()
    error: ApiError = ConsentMissing(status)
    if status is PermissionStatus.PERMITTED:
        error = NotFound("record_not_found", "no enrollment record of this pseudonym")
    log_access(context, _attempt(request, None, pseudonym, 0, REFUSED, _reason(error)))
    raise error


def _permissions(
    context: BureauContext,
    insurer: str,
    pseudonyms: list[bytes],
    purpose: Purpose,
    scopes: Scope,
) -> dict[bytes, tuple[Scope, PermissionStatus]]:
    """Per pseudonym: the requested groups its consent covers, and what the chain says of them.

    Read at the latest block, one JSON-RPC batch for the consents and one for the permissions.
    """
    distinct = list(dict.fromkeys(pseudonyms))
    consents = context.registries.consents
    states = consents.consents_of([(pseudonym, insurer) for pseudonym in distinct])
    covered = [Scope(scopes & state.scopes) if state.exists else Scope(0) for state in states]
    statuses = consents.permissions_of(
        [
            (pseudonym, insurer, int(groups or scopes), int(purpose))
            for pseudonym, groups in zip(distinct, covered, strict=True)
        ]
    )
    return {
        pseudonym: (groups, status)
        for pseudonym, groups, status in zip(distinct, covered, statuses, strict=True)
    }


def _verdict(
    record_id: bytes,
    record: StoredRecord | None,
    batches: dict[int, Batch],
    permissions: dict[bytes, tuple[Scope, PermissionStatus]],
) -> _Verdict:
    """The checks of the module docstring, in order, for one record."""
    if record is None:
        return _Verdict(record_id, None, NotFound("record_not_found", "no such record"))
    covered, status = permissions[record.pseudonym]
    if status is not PermissionStatus.PERMITTED:
        return _Verdict(record_id, record, ConsentMissing(status))
    covered_groups = covered.keys()
    groups = tuple(name for name in covered_groups if name in record.fields)
    if not groups:
        error = NotFound("groups_not_in_record", "the record holds none of the consented groups")
        return _Verdict(record_id, record, error)
    batch = batches.get(record.batch_id) if record.batch_id is not None else None
    if batch is None or batch.status != "final" or record.leaf_index is None:
        return _Verdict(record_id, record, NotYetCommitted())
    return _Verdict(record_id, record, None, groups, batch)


def _release_bodies(
    context: BureauContext, request: ReleaseRequest, verdicts: list[_Verdict]
) -> list[dict[str, Any] | None]:
    """The answer of each released record but its access-log id (None for a refusal).

    The insurer's key is read once (through the node's 2 s cache) and each batch's tree is
    parsed once, however many records share them.
    """
    if all(verdict.refusal is not None for verdict in verdicts):
        return [None] * len(verdicts)
    participant = context.signing_insurers.participant(request.insurer)
    key = SealingPublicKey(participant.encryption_key)
    trees = BatchTrees()
    requested_groups = request.scopes.keys()
    bodies: list[dict[str, Any] | None] = []
    for verdict in verdicts:
        record, batch = verdict.record, verdict.batch
        if verdict.refusal is not None or record is None or batch is None:
            bodies.append(None)
            continue
        disclosure = rebuild(record).disclose(list(verdict.groups))
        sealed = seal(
            canonical_json(disclosure.to_json_dict()), key, verdict.record_id, request.insurer
        )
        proof = trees.proof(batch, record)
        bodies.append(
            {
                "record_type": request.record_type,
                "record_id": "0x" + verdict.record_id.hex(),
                "purpose": request.purpose.keys()[0],
                "groups_released": list(verdict.groups),
                "groups_withheld": [g for g in requested_groups if g not in verdict.groups],
                "sealed_disclosure": sealed.to_json_dict(),
                "leaf": record.leaf,
                "batch": {
                    "root": "0x" + batch.root.hex(),
                    "proof": ["0x" + node.hex() for node in proof],
                    "tx_hash": batch.tx_hash,
                    "block_number": batch.block_number,
                },
            }
        )
    return bodies


def _reason(error: ApiError) -> str:
    """The access log's ``reason`` of a refusal: the PermissionStatus name, else the code."""
    return error.permission.name if isinstance(error, ConsentMissing) else error.code


def _attempt_of(request: ReleaseRequest, verdict: _Verdict) -> AccessAttempt | None:
    """What the access log records of one verdict (nothing for "not yet committed")."""
    if isinstance(verdict.refusal, NotYetCommitted):
        return None
    pseudonym = verdict.record.pseudonym if verdict.record is not None else None
    if verdict.refusal is not None:
        reason = _reason(verdict.refusal)
        return _attempt(request, verdict.record_id, pseudonym, 0, REFUSED, reason)
    released = int(Scope.from_names(list(verdict.groups)))
    return _attempt(request, verdict.record_id, pseudonym, released, RELEASED, "")


def _attempt(
    request: ReleaseRequest,
    record_id: bytes | None,
    pseudonym: bytes | None,
    released: int,
    outcome: str,
    reason: str,
) -> AccessAttempt:
    return AccessAttempt(
        insurer=request.insurer,
        record_type=request.record_type,
        record_id=record_id,
        pseudonym=pseudonym,
        purpose=int(request.purpose),
        scopes_requested=int(request.scopes),
        scopes_released=released,
        outcome=outcome,
        reason=reason,
    )
