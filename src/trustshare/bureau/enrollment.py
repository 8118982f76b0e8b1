"""Enrollment records: who is insured, under which scheme, where, and for how long.

An enrollment record is committed like a settlement record (one salted ``enrollment``
disclosure group, DESIGN.md §4) and stored with ``batch_id`` NULL: the publisher commits
pending enrollments in ENROLLMENT batches, whose leaves are ``(enrollment_id, pseudonym,
record_commitment)``. With an UNDERWRITING consent an insurer receives the record and its proof
(one-click enrollment, 一键投保).

The enrollment id is bureau-scoped like a settlement id (``settlement_id(bureau, local id)``:
the bureau's 20-byte address, then 12 bytes). The local id is derived from the pseudonym and the
record's fields, so submitting the same enrollment twice stores it once and answers with the
first id; a changed record (an extended validity, say) is a new enrollment.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from trustshare.bureau.context import BureauContext
from trustshare.bureau.identity import OperatorInputError, pseudonym_for
from trustshare.crypto.canonical_json import canonical_json
from trustshare.crypto.commitment import commit_record
from trustshare.crypto.hashing import keccak256
from trustshare.crypto.leaves import settlement_id
from trustshare.domain.bill import InsuranceType, PersonCategory
from trustshare.storage.models import EnrollmentRow

ENROLLMENT_GROUP = "enrollment"
_LOCAL_ID_BYTES = 12
_ENROLLMENT_REFERENCE_DOMAIN = b"trustshare/enrollment-reference/v1\x00"


@dataclass(frozen=True)
class EnrollmentTerms:
    """One person's enrollment as the national platform reports it (ID already pseudonymised)."""

    insurance_type: InsuranceType
    person_category: PersonCategory
    region: str
    valid_from: dt.date
    valid_to: dt.date | None

    def fields(self) -> dict[str, Any]:
        """The ``enrollment`` disclosure group's fields (an open validity has no ``valid_to``)."""
        fields: dict[str, Any] = {
            "insurance_type": self.insurance_type.value,
            "person_category": self.person_category.value,
            "region": self.region,
            "valid_from": self.valid_from.isoformat(),
        }
        if self.valid_to is not None:
            fields["valid_to"] = self.valid_to.isoformat()
        return fields


@dataclass(frozen=True)
class EnrollmentQueued:
    """A stored enrollment, pending its ENROLLMENT batch (or already batched, if repeated)."""

    enrollment_id: bytes
    pseudonym: bytes
    record_commitment: bytes
    batch_id: int | None
    created: bool


def enrollment_local_id(pseudonym: bytes, fields: dict[str, Any]) -> int:
    """The 96-bit local id of an enrollment: a hash of the pseudonym and the record's fields."""
    digest = keccak256(_ENROLLMENT_REFERENCE_DOMAIN + pseudonym + canonical_json(fields))
    return int.from_bytes(digest[:_LOCAL_ID_BYTES], "big")


def check_terms(context: BureauContext, terms: EnrollmentTerms) -> None:
    """Refuse a region the bureau has no rules for and a validity that ends before it starts."""
    if terms.region not in context.rules.regions:
        known = ", ".join(sorted(context.rules.regions))
        raise OperatorInputError("region", f"unknown region {terms.region!r}; known: {known}")
    if terms.valid_to is not None and terms.valid_to < terms.valid_from:
        raise OperatorInputError("valid_to", "the validity ends before it starts")


def enroll(
    context: BureauContext, session: Session, id_number: str, terms: EnrollmentTerms
) -> EnrollmentQueued:
    """Commit and store one enrollment record, queued for an ENROLLMENT batch; commits."""
    check_terms(context, terms)
    pseudonym = pseudonym_for(id_number, context.pseudonym_key)
    fields = terms.fields()
    enrollment_id = settlement_id(context.address, enrollment_local_id(pseudonym, fields))
    existing = _stored(session, enrollment_id, pseudonym)
    if existing is not None:
        return existing
    record = {ENROLLMENT_GROUP: fields}
    committed = commit_record(record)
    row = EnrollmentRow(
        enrollment_id=enrollment_id,
        pseudonym=pseudonym,
        record_json=canonical_json(record).decode(),
        salts=committed.salts[ENROLLMENT_GROUP],
        record_commitment=committed.commitment,
        batch_id=None,
    )
    session.add(row)
    try:
        session.commit()
    except IntegrityError:  # the same enrollment, stored by a concurrent request
        session.rollback()
        stored = _stored(session, enrollment_id, pseudonym)
        if stored is None:
            raise
        return stored
    return EnrollmentQueued(enrollment_id, pseudonym, committed.commitment, None, created=True)


def _stored(session: Session, enrollment_id: bytes, pseudonym: bytes) -> EnrollmentQueued | None:
    row = session.scalars(
        select(EnrollmentRow).where(EnrollmentRow.enrollment_id == enrollment_id)
    ).first()
    if row is None:
        return None
    return EnrollmentQueued(
        enrollment_id, pseudonym, row.record_commitment, row.batch_id, created=False
    )
