"""Releasing a committed record to an insurer, under the patient's consent at that moment.

The insurer's identity is established before this is called (a signed request by an active
insurer). Order of checks, each refusal logged in the access log and changing nothing else:

1. the record exists (404 ``record_not_found``);
2. the consent on chain, at the latest block, covers the purpose and at least one requested
   group (403 ``consent_missing``, with the ``PermissionStatus`` name); only the requested
   groups the consent covers are disclosed;
3. some covered group is in the record (404 ``groups_not_in_record``).

Then, if the record's batch is not final yet, 409 ``not_yet_committed`` with ``Retry-After``:
nothing was disclosed, so this is not logged; the insurer is entitled and simply retries.
Otherwise the disclosure (fields, salts and group proofs) is sealed to the insurer's registered
X25519 key and returned with the batch leaf, the batch root and the leaf's proof.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any, NoReturn

from sqlalchemy import select
from sqlalchemy.orm import Session

from trustshare.bureau.access_log import REFUSED, RELEASED, AccessAttempt, log_access
from trustshare.bureau.context import BureauContext
from trustshare.chain.registries import PermissionStatus
from trustshare.crypto.canonical_json import canonical_json
from trustshare.crypto.commitment import CommittedRecord, commit_record
from trustshare.crypto.leaves import ENROLLMENT_LEAF_ENCODING, SETTLEMENT_LEAF_ENCODING
from trustshare.crypto.merkle import StandardMerkleTree, proof_reaching, standard_leaf_hash
from trustshare.crypto.sealing import SealingPublicKey, seal
from trustshare.crypto.vocabulary import GROUP_NAMES, Purpose, Scope
from trustshare.gateway.errors import ApiError, Conflict, Forbidden, NotFound
from trustshare.storage import access
from trustshare.storage.models import Batch, EnrollmentRow, SettlementRow

RECORD_TYPES = ("settlement", "enrollment")
RETRY_AFTER_SECONDS = 5
SALT_BYTES = 32


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


class ReleaseIntegrityError(RuntimeError):
    """Stored fields, salts or tree disagree with the stored commitment (corrupt storage)."""


@dataclass(frozen=True)
class ReleaseRequest:
    """An insurer's request for one record."""

    insurer: str
    record_type: str
    record_id: bytes
    purpose: Purpose
    scopes: Scope


@dataclass(frozen=True)
class _Record:
    pseudonym: bytes
    fields: dict[str, dict[str, Any]]
    salts: bytes
    commitment: bytes
    batch_id: int | None
    leaf_index: int | None
    leaf: dict[str, Any]
    leaf_values: tuple[Any, ...]
    leaf_encoding: tuple[str, ...]


def release_record(
    context: BureauContext, session: Session, request: ReleaseRequest
) -> dict[str, Any]:
    """Disclose what the consent allows of one record, sealed to the insurer; log it."""
    record = _load(session, request.record_type, request.record_id)
    batch = session.get(Batch, record.batch_id) if record and record.batch_id is not None else None
    # Hand the connection back before the chain is read and the access log is written (in a
    # transaction of its own): one request never holds two connections of the pool at once.
    session.commit()
    if record is None:
        _refuse(context, request, None, NotFound("record_not_found", "no such record"))
    covered, status = _permission(
        context, record.pseudonym, request.insurer, request.purpose, request.scopes
    )
    if status is not PermissionStatus.PERMITTED:
        _refuse(context, request, record.pseudonym, ConsentMissing(status))
    covered_groups = covered.keys()
    released = [name for name in covered_groups if name in record.fields]
    if not released:
        error = NotFound("groups_not_in_record", "the record holds none of the consented groups")
        _refuse(context, request, record.pseudonym, error)
    if batch is None or batch.status != "final" or record.leaf_index is None:
        raise NotYetCommitted()
    disclosure = _rebuild(record).disclose(released)
    batch_proof = _batch_proof(batch, record)
    participant = context.registries.participants.participant(request.insurer)
    sealed = seal(
        canonical_json(disclosure.to_json_dict()),
        SealingPublicKey(participant.encryption_key),
        request.record_id,
        request.insurer,
    )
    released_scopes = Scope.from_names(released)
    requested_groups = request.scopes.keys()
    entry = log_access(
        context, _attempt(request, record.pseudonym, int(released_scopes), RELEASED, "")
    )
    return {
        "record_type": request.record_type,
        "record_id": "0x" + request.record_id.hex(),
        "purpose": request.purpose.keys()[0],
        "groups_released": released,
        "groups_withheld": [name for name in requested_groups if name not in released],
        "sealed_disclosure": sealed.to_json_dict(),
        "leaf": record.leaf,
        "batch": {
            "root": "0x" + batch.root.hex(),
            "proof": ["0x" + node.hex() for node in batch_proof],
            "tx_hash": batch.tx_hash,
            "block_number": batch.block_number,
        },
        "access_log_id": entry.id,
    }


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
    if record_id is not None:
        request = ReleaseRequest(insurer, "enrollment", record_id, purpose, scopes)
        return release_record(context, session, request)
    _, status = _permission(context, pseudonym, insurer, purpose, scopes)
    error: ApiError = ConsentMissing(status)
    reason = status.name
    if status is PermissionStatus.PERMITTED:
        error = NotFound("record_not_found", "no enrollment record of this pseudonym")
        reason = error.code
    attempt = AccessAttempt(
        insurer=insurer,
        record_type="enrollment",
        record_id=None,
        pseudonym=pseudonym,
        purpose=int(purpose),
        scopes_requested=int(scopes),
        scopes_released=0,
        outcome=REFUSED,
        reason=reason,
    )
    log_access(context, attempt)
    raise error


def _permission(
    context: BureauContext, pseudonym: bytes, insurer: str, purpose: Purpose, scopes: Scope
) -> tuple[Scope, PermissionStatus]:
    """The requested groups the pair's consent covers, and what the chain says about them."""
    consents = context.registries.consents
    consent = consents.consent_of(pseudonym, insurer)
    covered = Scope(scopes & consent.scopes) if consent.exists else Scope(0)
    status = consents.permission_of(pseudonym, insurer, int(covered or scopes), int(purpose))
    return covered, status


def _attempt(
    request: ReleaseRequest, pseudonym: bytes | None, released: int, outcome: str, reason: str
) -> AccessAttempt:
    return AccessAttempt(
        insurer=request.insurer,
        record_type=request.record_type,
        record_id=request.record_id,
        pseudonym=pseudonym,
        purpose=int(request.purpose),
        scopes_requested=int(request.scopes),
        scopes_released=released,
        outcome=outcome,
        reason=reason,
    )


def _refuse(
    context: BureauContext, request: ReleaseRequest, pseudonym: bytes | None, error: ApiError
) -> NoReturn:
    reason = error.permission.name if isinstance(error, ConsentMissing) else error.code
    log_access(context, _attempt(request, pseudonym, 0, REFUSED, reason))
    raise error


def _load(session: Session, record_type: str, record_id: bytes) -> _Record | None:
    row: SettlementRow | EnrollmentRow | None
    if record_type == "settlement":
        row = access.settlement_by_id(session, record_id)
        if row is None:
            return None
        values: tuple[Any, ...] = (
            row.settlement_id,
            row.pseudonym,
            row.record_commitment,
            row.claim_ceiling_fen,
        )
        leaf = {
            "settlement_id": "0x" + row.settlement_id.hex(),
            "pseudonym": "0x" + row.pseudonym.hex(),
            "record_commitment": "0x" + row.record_commitment.hex(),
            "claim_ceiling_fen": row.claim_ceiling_fen,
        }
        encoding = SETTLEMENT_LEAF_ENCODING
    else:
        row = access.enrollment_by_id(session, record_id)
        if row is None:
            return None
        values = (row.enrollment_id, row.pseudonym, row.record_commitment)
        leaf = {
            "enrollment_id": "0x" + row.enrollment_id.hex(),
            "pseudonym": "0x" + row.pseudonym.hex(),
            "record_commitment": "0x" + row.record_commitment.hex(),
        }
        encoding = ENROLLMENT_LEAF_ENCODING
    return _Record(
        pseudonym=row.pseudonym,
        fields=json.loads(row.record_json),
        salts=row.salts,
        commitment=row.record_commitment,
        batch_id=row.batch_id,
        leaf_index=row.leaf_index,
        leaf=leaf,
        leaf_values=values,
        leaf_encoding=encoding,
    )


def stored_salts(fields: dict[str, Any], salts: bytes) -> dict[str, bytes]:
    """Split the stored salt blob: 32 bytes per group present, in ``GROUP_NAMES`` order."""
    names = [name for name in GROUP_NAMES if name in fields]
    if len(salts) != SALT_BYTES * len(names):
        raise ReleaseIntegrityError(f"{len(salts)} salt bytes for groups {names}")
    return {name: salts[i * SALT_BYTES : (i + 1) * SALT_BYTES] for i, name in enumerate(names)}


def _rebuild(record: _Record) -> CommittedRecord:
    rebuilt = commit_record(record.fields, salts=stored_salts(record.fields, record.salts))
    if rebuilt.commitment != record.commitment:
        raise ReleaseIntegrityError("stored fields and salts do not give the stored commitment")
    return rebuilt


def _batch_proof(batch: Batch, record: _Record) -> list[bytes]:
    assert record.leaf_index is not None
    tree = StandardMerkleTree.from_bytes(
        batch.tree, leaf_encoding=record.leaf_encoding, check_nodes=False
    )
    if tree.leaf_hash(record.leaf_index) != standard_leaf_hash(
        record.leaf_encoding, record.leaf_values
    ):
        raise ReleaseIntegrityError(f"the record is not leaf {record.leaf_index} of its batch")
    return proof_reaching(tree, record.leaf_index, batch.root)
