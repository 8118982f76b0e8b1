"""The hospital API without commercial layers: trial, confirm, idempotency, corrections, errors."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import pytest
from fastapi.testclient import TestClient
from pydantic import SecretStr
from sqlalchemy import select, text

from trustshare.bureau.context import BureauContext
from trustshare.crypto import commit_record, local_id_of_reference, settlement_id
from trustshare.crypto.vocabulary import GROUP_NAMES
from trustshare.gateway.idempotency import ClaimedKey, StoredResponse, run_once
from trustshare.storage.database import transaction
from trustshare.storage.models import OutboxEntry, SettlementRow

from ..conftest import Network
from .hospital_support import (
    HOSPITAL,
    ID_NUMBER,
    PATIENT_PSEUDONYM,
    beijing_bill,
    confirm,
    hospital_client,
    settlement_body,
)


@pytest.fixture
def client(bureau_context: BureauContext) -> Any:
    with hospital_client(bureau_context) as client:
        yield client


def _rows(context: BureauContext) -> list[SettlementRow]:
    with context.sessions() as session:
        return list(session.scalars(select(SettlementRow).order_by(SettlementRow.id)))


def test_requests_without_a_hospital_token_are_refused(client: TestClient) -> None:
    body = settlement_body(beijing_bill())
    assert client.post("/v1/settlements/trial", json=body).status_code == 401
    wrong = {"Authorization": "Bearer not-a-hospital", "Idempotency-Key": "k-1"}
    answer = client.post("/v1/settlements", json=body, headers=wrong)
    assert answer.status_code == 401
    assert answer.json()["error"]["code"] == "bad_token"


def test_trial_returns_the_full_breakdown_and_stores_nothing(
    client: TestClient, bureau_context: BureauContext
) -> None:
    answer = client.post(
        "/v1/settlements/trial", json=settlement_body(beijing_bill()), headers=HOSPITAL
    )
    assert answer.status_code == 200, answer.text
    result = answer.json()
    assert result["status"] == "trial"
    assert result["medfee_sumamt"] == 21_374_220
    assert (
        result["basic_fund_fen"] + result["critical_illness_fen"] + result["medical_assistance_fen"]
        == result["fund_pay_sumamt"]
    )
    assert result["patient_remainder_fen"] == result["computed"]["record"]["psn_part_amt"]
    assert result["pseudonym"] == "0x" + PATIENT_PSEUDONYM.hex()
    assert result["computed"]["trace"]
    assert _rows(bureau_context) == []


def test_confirm_stores_a_committed_record_queued_for_clearing(
    client: TestClient, bureau_context: BureauContext, network: Network
) -> None:
    answer = confirm(client, settlement_body(beijing_bill(setl_id="BJ-1")), "key-1")
    assert answer.status_code == 201, answer.text
    result = answer.json()
    (row,) = _rows(bureau_context)
    expected_id = settlement_id(network.bureau.address, local_id_of_reference("BJ-1"))
    assert row.settlement_id == expected_id
    assert result["settlement_id"] == "0x" + expected_id.hex()
    assert row.batch_id is None and row.status == "confirmed"
    assert row.pseudonym == PATIENT_PSEUDONYM
    assert row.claim_ceiling_fen == result["claim_ceiling_fen"] == 10_632_524
    assert row.rules_digest == bytes.fromhex(bureau_context.rules.digest)
    # The stored fields and salts recompute the stored commitment.
    fields = json.loads(row.record_json)
    names = [name for name in GROUP_NAMES if name in fields]
    assert names == ["enrollment", "settlement_summary", "fund_breakdown", "line_items"]
    salts = {name: row.salts[32 * i : 32 * (i + 1)] for i, name in enumerate(names)}
    assert commit_record(fields, salts=salts).commitment == row.record_commitment
    assert result["record_commitment"] == "0x" + row.record_commitment.hex()
    assert fields["settlement_summary"]["patient_remainder_fen"] == result["patient_remainder_fen"]
    assert len(fields["line_items"]["lines"]) == 20
    # GET answers the same, with the current status.
    assert client.get("/v1/settlements/BJ-1", headers=HOSPITAL).json() == result


def test_no_id_number_is_stored_anywhere(client: TestClient, bureau_context: BureauContext) -> None:
    assert confirm(client, settlement_body(beijing_bill()), "key-id").status_code == 201
    with bureau_context.engine.connect() as connection:
        for table in ("settlements", "idempotency_keys", "outbox"):
            for stored in connection.execute(text(f"SELECT * FROM {table}")):
                assert ID_NUMBER not in repr(stored)


def test_a_repeated_key_returns_the_first_answer_and_stores_once(
    client: TestClient, bureau_context: BureauContext
) -> None:
    body = settlement_body(beijing_bill())  # no setl_id: the bureau assigns one
    first = confirm(client, body, "key-2")
    again = confirm(client, body, "key-2")
    assert first.status_code == again.status_code == 201
    assert again.json() == first.json()
    assert again.headers["Idempotent-Replayed"] == "true"
    assert len(_rows(bureau_context)) == 1


def test_a_reused_key_with_another_body_is_refused(
    client: TestClient, bureau_context: BureauContext
) -> None:
    assert confirm(client, settlement_body(beijing_bill(setl_id="A")), "key-3").status_code == 201
    other = confirm(client, settlement_body(beijing_bill(setl_id="B")), "key-3")
    assert other.status_code == 422
    assert other.json()["error"]["code"] == "idempotency_key_reused"
    assert [row.setl_id for row in _rows(bureau_context)] == ["A"]


def test_missing_idempotency_key_is_422_naming_the_header(client: TestClient) -> None:
    answer = client.post("/v1/settlements", json=settlement_body(beijing_bill()), headers=HOSPITAL)
    assert answer.status_code == 422
    assert answer.json()["error"]["field"] == "Idempotency-Key"


def test_malformed_bills_get_422_with_field_paths(
    client: TestClient, bureau_context: BureauContext
) -> None:
    bill = beijing_bill()
    bill["lines"][2]["unit_price_fen"] = "lots"
    bill["colour"] = "blue"
    answer = confirm(client, settlement_body(bill), "key-5")
    assert answer.status_code == 422
    fields = {problem["field"] for problem in answer.json()["error"]["problems"]}
    assert {"bill.lines[2].unit_price_fen", "bill.colour"} <= fields
    assert _rows(bureau_context) == []


def test_a_bill_the_rules_refuse_gets_422_with_the_domain_problems(
    client: TestClient, bureau_context: BureauContext
) -> None:
    bill = beijing_bill()
    bill["region"] = "atlantis"
    answer = confirm(client, settlement_body(bill), "key-6")
    assert answer.status_code == 422
    error = answer.json()["error"]
    assert error["field"] == "bill.region"
    assert error["problems"][0]["field"] == "bill.region"
    assert "atlantis" in error["message"]
    # The key was released: the corrected bill may be sent under the same key.
    assert confirm(client, settlement_body(beijing_bill()), "key-6").status_code == 201


def test_a_malformed_id_number_is_422(client: TestClient) -> None:
    body = settlement_body(beijing_bill())
    body["id_number"] = "110105194912310021"  # wrong check digit
    answer = confirm(client, body, "key-7")
    assert answer.status_code == 422
    assert answer.json()["error"]["field"] == "id_number"


def test_a_second_settlement_with_the_same_reference_is_409(client: TestClient) -> None:
    assert confirm(client, settlement_body(beijing_bill(setl_id="S")), "k-a").status_code == 201
    again = confirm(client, settlement_body(beijing_bill(setl_id="S")), "k-b")
    assert again.status_code == 409
    assert again.json()["error"]["code"] == "settlement_exists"


def test_unknown_settlements_are_404(client: TestClient) -> None:
    assert client.get("/v1/settlements/NOPE", headers=HOSPITAL).status_code == 404
    answer = client.post(
        "/v1/settlements/NOPE/cancel", json={}, headers={**HOSPITAL, "Idempotency-Key": "c"}
    )
    assert answer.status_code == 404


def test_cancel_supersedes_the_settlement_in_one_transaction(
    client: TestClient, bureau_context: BureauContext
) -> None:
    assert confirm(client, settlement_body(beijing_bill(setl_id="C-1")), "k-c").status_code == 201
    headers = {**HOSPITAL, "Idempotency-Key": "cancel-1"}
    answer = client.post(
        "/v1/settlements/C-1/cancel", json={"reason": "wrong patient"}, headers=headers
    )
    assert answer.status_code == 201, answer.text
    cancellation = answer.json()
    assert cancellation["kind"] == "cancellation" and cancellation["cancels"] == "C-1"
    assert cancellation["claim_ceiling_fen"] == 0 and cancellation["patient_remainder_fen"] == 0
    old, new = _rows(bureau_context)
    assert old.superseded_by == new.settlement_id and old.status == "superseded"
    assert new.supersedes == old.settlement_id and new.status == "cancellation"
    assert new.batch_id is None and new.claim_ceiling_fen == 0
    with bureau_context.sessions() as session:
        (entry,) = session.scalars(select(OutboxEntry))
    assert entry.kind == "supersede_settlement"
    assert json.loads(entry.payload_json) == {
        "old_settlement_id": "0x" + old.settlement_id.hex(),
        "new_settlement_id": "0x" + new.settlement_id.hex(),
    }
    # Repeating the same cancel replays; cancelling again under a new key is a conflict.
    replay = client.post(
        "/v1/settlements/C-1/cancel", json={"reason": "wrong patient"}, headers=headers
    )
    assert replay.json() == cancellation
    again = client.post(
        "/v1/settlements/C-1/cancel", json={}, headers={**HOSPITAL, "Idempotency-Key": "cancel-2"}
    )
    assert again.status_code == 409
    view = client.get("/v1/settlements/C-1", headers=HOSPITAL).json()
    assert view["status"] == "superseded"
    assert view["superseded_by"] == cancellation["settlement_id"]
    assert len(_rows(bureau_context)) == 2


def test_a_partial_refund_re_settles_the_lower_bill(
    client: TestClient, bureau_context: BureauContext
) -> None:
    first = confirm(client, settlement_body(beijing_bill(setl_id="R-1")), "k-r").json()
    lower = beijing_bill()
    del lower["lines"][4]  # the imported closure device is returned: 18,500 yuan refunded
    headers = {**HOSPITAL, "Idempotency-Key": "refund-1"}
    answer = client.post("/v1/settlements/R-1/refund", json={"bill": lower}, headers=headers)
    assert answer.status_code == 201, answer.text
    refund = answer.json()
    assert refund["kind"] == "refund" and refund["refunds"] == "R-1"
    assert refund["medfee_sumamt"] == first["medfee_sumamt"] - 1_850_000
    assert refund["supersedes"] == first["settlement_id"]
    old, new = _rows(bureau_context)
    assert old.superseded_by == new.settlement_id
    # A refund that does not lower the bill is refused and changes nothing.
    same = client.post(
        f"/v1/settlements/{refund['setl_id']}/refund",
        json={"bill": lower},
        headers={**HOSPITAL, "Idempotency-Key": "refund-2"},
    )
    assert same.status_code == 422
    assert same.json()["error"]["field"] == "bill.lines"
    assert len(_rows(bureau_context)) == 2


def test_another_hospital_cannot_read_or_correct_a_settlement(
    bureau_context: BureauContext,
) -> None:
    bureau_context.settings.hospital_tokens["other"] = SecretStr("other-hospital-token-0123456789")
    with hospital_client(bureau_context) as client:
        assert confirm(client, settlement_body(beijing_bill(setl_id="H")), "k-h").status_code == 201
        other = {"Authorization": "Bearer other-hospital-token-0123456789"}
        assert client.get("/v1/settlements/H", headers=other).status_code == 404


def test_a_repeat_that_races_the_quick_path_gets_the_first_answer(
    bureau_context: BureauContext,
) -> None:
    sessions, moment = bureau_context.sessions, datetime.now(UTC)

    def racing(claim: ClaimedKey) -> StoredResponse:
        # Another worker stores its answer under the same key between our check and commit.
        with transaction(sessions) as session:
            ClaimedKey(claim.client, claim.key, claim.fingerprint, moment, held=False).complete(
                session, 201, {"first": True}
            )
        with transaction(sessions) as session:
            return claim.complete(session, 201, {"first": False})

    answer = run_once(
        sessions, "test-hospital", "race", "f" * 64, racing, now=moment.timestamp(), quick=True
    )
    assert answer == StoredResponse(201, {"first": True}, replayed=True)


def test_a_bill_validator_problem_names_the_field_in_words(client: TestClient) -> None:
    from .hospital_support import HOSPITAL, beijing_bill, settlement_body

    bill = beijing_bill()
    bill.pop("admission_number", None)
    answer = client.post("/v1/settlements/trial", json=settlement_body(bill), headers=HOSPITAL)
    assert answer.status_code == 422
    error = answer.json()["error"]
    assert "\x1f" not in error["message"]
    assert not error["message"].startswith("Value error")
    assert any("admission_number" in p["field"] for p in error["problems"])
