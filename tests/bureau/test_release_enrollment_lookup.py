"""``POST /v1/releases`` naming a person's latest enrollment by pseudonym (no record id).

The patient's app knows its pseudonym, not the bureau's enrollment ids, so one-click enrollment
asks for ``{"record_type": "enrollment", "pseudonym": "0x…"}``. The consent check, the access
log and the proof are those of a release by id.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient

from trustshare.bureau.context import BureauContext
from trustshare.bureau.publisher import Publisher
from trustshare.crypto.commitment import Disclosure, verify_disclosure
from trustshare.crypto.pseudonym import pseudonym_of
from trustshare.crypto.sealing import SealedRecord, SealingPrivateKey, open_sealed
from trustshare.crypto.vocabulary import Purpose, Scope

from ..conftest import Network
from .operations_support import ID_NUMBER, operator_client
from .release_support import (
    access_entries,
    bind_patient,
    grant_directly,
    node_client,
    signed_post,
    terms_for,
    use_fresh_sealing_key,
)

ENROLLMENT: dict[str, Any] = {
    "id_number": ID_NUMBER,
    "insurance_type": "employee",
    "person_category": "general",
    "region": "beijing",
    "valid_from": "2025-01-01",
    "valid_to": "2025-12-31",
}


@pytest.fixture
def pseudonym(bureau_context: BureauContext) -> bytes:
    return pseudonym_of(ID_NUMBER, bureau_context.pseudonym_key)


@pytest.fixture
def client(bureau_context: BureauContext) -> Iterator[TestClient]:
    with node_client(bureau_context) as client:
        yield client


def enroll(context: BureauContext, **changes: str) -> str:
    """Store one enrollment through the operator API; its id."""
    with operator_client(context) as operator:
        answer = operator.post("/v1/enrollments", json={**ENROLLMENT, **changes})
    assert answer.status_code in (200, 201), answer.text
    return str(answer.json()["enrollment_id"])


def consent_to_underwriting(network: Network, pseudonym: bytes) -> None:
    bind_patient(network, pseudonym)
    terms = terms_for(
        network, network.insurer, Scope.ENROLLMENT, Purpose.UNDERWRITING, pseudonym=pseudonym
    )
    grant_directly(network, terms)


def ask(client: TestClient, context: BureauContext, network: Network, body: dict[str, Any]) -> Any:
    return signed_post(client, network.insurer, "/v1/releases", body, context.clock())


def lookup(pseudonym: bytes) -> dict[str, Any]:
    return {
        "record_type": "enrollment",
        "pseudonym": "0x" + pseudonym.hex(),
        "purpose": "underwriting",
        "scopes": ["enrollment"],
    }


def test_the_latest_enrollment_of_the_pseudonym_is_released_sealed_and_proven(
    client: TestClient, bureau_context: BureauContext, network: Network, pseudonym: bytes
) -> None:
    key: SealingPrivateKey = use_fresh_sealing_key(network, network.insurer)
    enroll(bureau_context)
    latest = enroll(bureau_context, valid_to="2026-12-31")
    Publisher(bureau_context).run_once()
    consent_to_underwriting(network, pseudonym)

    answer = ask(client, bureau_context, network, lookup(pseudonym))

    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert body["record_id"] == latest == body["leaf"]["enrollment_id"]
    assert body["leaf"]["pseudonym"] == "0x" + pseudonym.hex()
    record_id = bytes.fromhex(latest[2:])
    sealed = SealedRecord.from_json_dict(body["sealed_disclosure"])
    plaintext = open_sealed(sealed, key, record_id, network.insurer.address)
    commitment = bytes.fromhex(body["leaf"]["record_commitment"][2:])
    opened = verify_disclosure(Disclosure.from_json_dict(json.loads(plaintext)), commitment)
    assert opened["enrollment"]["valid_to"] == "2026-12-31"
    [entry] = access_entries(bureau_context)
    assert (entry.outcome, entry.record_id, entry.pseudonym) == ("released", record_id, pseudonym)


def test_without_consent_the_answer_is_403_whether_or_not_the_person_is_enrolled(
    client: TestClient, bureau_context: BureauContext, network: Network, pseudonym: bytes
) -> None:
    stranger = bytes(31) + b"\x07"
    enroll(bureau_context)
    Publisher(bureau_context).run_once()

    enrolled = ask(client, bureau_context, network, lookup(pseudonym))
    unknown = ask(client, bureau_context, network, lookup(stranger))

    for answer in (enrolled, unknown):
        assert answer.status_code == 403, answer.text
        assert answer.json()["error"]["code"] == "consent_missing"
        assert answer.json()["error"]["permission_status"] == "NO_CONSENT"
    entries = access_entries(bureau_context)
    assert [(e.outcome, e.reason, e.pseudonym) for e in entries] == [
        ("refused", "NO_CONSENT", pseudonym),
        ("refused", "NO_CONSENT", stranger),
    ]
    assert entries[1].record_id is None


def test_with_consent_and_no_enrollment_the_answer_is_404_and_logged(
    client: TestClient, bureau_context: BureauContext, network: Network, pseudonym: bytes
) -> None:
    consent_to_underwriting(network, pseudonym)

    answer = ask(client, bureau_context, network, lookup(pseudonym))

    assert answer.status_code == 404
    assert answer.json()["error"]["code"] == "record_not_found"
    [entry] = access_entries(bureau_context)
    assert (entry.outcome, entry.reason, entry.record_id) == ("refused", "record_not_found", None)


def test_a_latest_enrollment_not_yet_committed_is_409(
    client: TestClient, bureau_context: BureauContext, network: Network, pseudonym: bytes
) -> None:
    enroll(bureau_context)
    Publisher(bureau_context).run_once()
    enroll(bureau_context, valid_to="2026-12-31")  # newer, not in a batch yet
    consent_to_underwriting(network, pseudonym)

    answer = ask(client, bureau_context, network, lookup(pseudonym))

    assert answer.status_code == 409
    assert answer.json()["error"]["code"] == "not_yet_committed"
    assert answer.headers["Retry-After"]


@pytest.mark.parametrize(
    "change",
    [
        {"record_id": "0x" + "ab" * 32},  # both forms at once
        {"pseudonym": None},  # neither
        {"record_type": "settlement"},  # a pseudonym names only an enrollment
    ],
)
def test_a_body_naming_no_single_enrollment_is_422(
    client: TestClient,
    bureau_context: BureauContext,
    network: Network,
    pseudonym: bytes,
    change: dict[str, Any],
) -> None:
    body = {**lookup(pseudonym), **change}
    body = {name: value for name, value in body.items() if value is not None}

    answer = ask(client, bureau_context, network, body)

    assert answer.status_code == 422, answer.text
    assert access_entries(bureau_context) == []
