"""Enrollment records: committed, stored once, queued for ENROLLMENT batches."""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import select

from trustshare.bureau.context import BureauContext
from trustshare.bureau.publisher import Publisher
from trustshare.crypto.commitment import commit_record
from trustshare.crypto.leaves import bureau_of
from trustshare.crypto.pseudonym import pseudonym_of
from trustshare.storage.database import transaction
from trustshare.storage.models import Batch, EnrollmentRow

from .operations_support import ID_NUMBER, operator_client

ENROLLMENT: dict[str, Any] = {
    "id_number": ID_NUMBER,
    "insurance_type": "employee",
    "person_category": "general",
    "region": "beijing",
    "valid_from": "2025-01-01",
    "valid_to": "2025-12-31",
}


def stored_enrollments(context: BureauContext) -> list[EnrollmentRow]:
    with transaction(context.sessions) as session:
        return list(session.scalars(select(EnrollmentRow).order_by(EnrollmentRow.id)))


def test_an_enrollment_is_committed_stored_without_the_id_and_queued(
    bureau_context: BureauContext,
) -> None:
    with operator_client(bureau_context) as client:
        answer = client.post("/v1/enrollments", json=ENROLLMENT)
    assert answer.status_code == 201, answer.text
    body = answer.json()
    assert body["created"] is True and body["batch_id"] is None
    pseudonym = pseudonym_of(ID_NUMBER, bureau_context.pseudonym_key)
    assert body["pseudonym"] == "0x" + pseudonym.hex()

    [row] = stored_enrollments(bureau_context)
    assert "0x" + row.enrollment_id.hex() == body["enrollment_id"]
    assert bureau_of(row.enrollment_id) == bureau_context.address
    assert row.batch_id is None and row.pseudonym == pseudonym
    record = json.loads(row.record_json)
    assert record == {
        "enrollment": {
            "insurance_type": "employee",
            "person_category": "general",
            "region": "beijing",
            "valid_from": "2025-01-01",
            "valid_to": "2025-12-31",
        }
    }
    assert ID_NUMBER not in row.record_json
    recomputed = commit_record(record, salts={"enrollment": row.salts})
    assert recomputed.commitment == row.record_commitment
    assert "0x" + row.record_commitment.hex() == body["record_commitment"]


def test_the_same_enrollment_twice_is_stored_once_and_a_changed_one_is_new(
    bureau_context: BureauContext,
) -> None:
    with operator_client(bureau_context) as client:
        first = client.post("/v1/enrollments", json=ENROLLMENT)
        repeat = client.post("/v1/enrollments", json=ENROLLMENT)
        extended = client.post("/v1/enrollments", json={**ENROLLMENT, "valid_to": "2026-12-31"})
    assert (first.status_code, repeat.status_code, extended.status_code) == (201, 200, 201)
    assert repeat.json()["enrollment_id"] == first.json()["enrollment_id"]
    assert repeat.json()["created"] is False
    assert extended.json()["enrollment_id"] != first.json()["enrollment_id"]
    assert len(stored_enrollments(bureau_context)) == 2


def test_the_publisher_commits_pending_enrollments_in_an_enrollment_batch(
    bureau_context: BureauContext,
) -> None:
    with operator_client(bureau_context) as client:
        client.post("/v1/enrollments", json=ENROLLMENT)
        client.post("/v1/enrollments", json={**ENROLLMENT, "insurance_type": "resident"})
    Publisher(bureau_context).run_once()
    rows = stored_enrollments(bureau_context)
    assert {row.batch_id for row in rows} != {None}
    with transaction(bureau_context.sessions) as session:
        batch = session.get(Batch, rows[0].batch_id)
        assert batch is not None
        assert (batch.kind, batch.leaf_count, batch.status) == ("ENROLLMENT", 2, "final")
    assert sorted(row.leaf_index for row in rows if row.leaf_index is not None) == [0, 1]


def test_bad_enrollments_are_refused_by_field_and_store_nothing(
    bureau_context: BureauContext,
) -> None:
    cases = [
        ({"region": "atlantis"}, "region", "unknown region"),
        ({"valid_to": "2024-12-31"}, "valid_to", "ends before it starts"),
        ({"id_number": ID_NUMBER[:-1] + "Y"}, "id_number", "check character"),
        ({"insurance_type": "platinum"}, "insurance_type", ""),
        ({"valid_from": "01/01/2025"}, "valid_from", ""),
        ({"certno": ID_NUMBER}, "certno", ""),
    ]
    with operator_client(bureau_context) as client:
        for change, field, reason in cases:
            answer = client.post("/v1/enrollments", json={**ENROLLMENT, **change})
            assert answer.status_code == 422, change
            error = answer.json()["error"]
            assert error["field"] == field and reason in error["message"]
            assert ID_NUMBER not in answer.text
    assert stored_enrollments(bureau_context) == []
