"""Personal accounts at the real bureau node on anvil, both databases: credits, premium debits."""

from __future__ import annotations

import dataclasses
import threading
import time
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from trustshare.bureau.context import BureauContext
from trustshare.bureau.premium import MAX_AUTHORISATION_SECONDS, debit_premium
from trustshare.crypto.premium import SignedPremiumDebit, SignedPremiumReceipt
from trustshare.gateway.errors import ApiError
from trustshare.gateway.signing import sign_request
from trustshare.storage.personal_accounts import MAX_BALANCE_FEN

from ..conftest import Network
from .hospital_support import ID_NUMBER, PATIENT_PSEUDONYM
from .operations_support import OTHER_ID_NUMBER, operator_client
from .premium_support import (
    EMPLOYEE_ENROLLMENT,
    balance_fen,
    bind_patient,
    fund_account,
    ledger_entries,
    post_debit,
    premium_domain,
    signed_debit,
)

PATIENT_HEX = "0x" + PATIENT_PSEUDONYM.hex()


@pytest.fixture
def operator(bureau_context: BureauContext, network: Network) -> Iterator[TestClient]:
    """The bureau's app with the operator token; the patient bound, enrolled, 1,000 yuan in."""
    bind_patient(network)
    with operator_client(bureau_context) as client:
        assert fund_account(client, 100_000).status_code == 201
        yield client


def test_a_debit_books_once_and_the_receipt_proves_it(
    bureau_context: BureauContext, network: Network, operator: TestClient
) -> None:
    body = signed_debit(network, amount_fen=36_000)
    answer = post_debit(operator, network.insurer, body)

    assert answer.status_code == 201, answer.text
    receipt = SignedPremiumReceipt.from_json_dict(answer.json())
    debit = SignedPremiumDebit.from_json_dict(body).debit
    receipt.verify(premium_domain(network), debit)  # signed by the bureau, for this debit
    assert receipt.signer(premium_domain(network)) == bureau_context.address
    assert ledger_entries(bureau_context) == [
        ("credit", 100_000, 100_000),
        ("debit", 36_000, 64_000),
    ]
    statement = operator.get(f"/v1/personal-accounts/{PATIENT_HEX}").json()
    assert statement["balance_fen"] == 64_000
    credit, booked = statement["entries"]
    assert (booked["kind"], booked["insurer"], booked["reference"]) == (
        "debit",
        network.insurer.address,
        "enterprise-supplementary",
    )
    assert booked["receipt"] == answer.json()
    assert credit["amount_fen"] - booked["amount_fen"] == statement["balance_fen"]


def test_the_patient_reads_their_own_statement_and_nobody_else_can(
    bureau_context: BureauContext, network: Network, operator: TestClient
) -> None:
    post_debit(operator, network.insurer, signed_debit(network, amount_fen=1_000))
    path = f"/v1/patients/{PATIENT_HEX}/personal-account"
    own = operator.get(
        path, headers=sign_request(network.patient, "GET", path, b"", now=time.time())
    )
    other = operator.get(
        path, headers=sign_request(network.outsider, "GET", path, b"", now=time.time())
    )
    assert own.status_code == 200, own.text
    assert own.json()["balance_fen"] == 99_000
    assert [entry["kind"] for entry in own.json()["entries"]] == ["credit", "debit"]
    assert (other.status_code, other.json()["error"]["code"]) == (401, "unknown_signer")


def test_a_replay_returns_the_first_receipt_and_debits_nothing_more(
    bureau_context: BureauContext, network: Network, operator: TestClient
) -> None:
    body = signed_debit(network, amount_fen=36_000, deadline=int(time.time()) + 60)
    first = post_debit(operator, network.insurer, body)
    again = post_debit(operator, network.insurer, body)
    # a retry long after the deadline still learns that it was paid
    later = time.time() + 3_600
    node = dataclasses.replace(bureau_context, clock=lambda: later)
    with operator_client(node) as client:
        after_deadline = post_debit(client, network.insurer, body, now=later)

    assert first.status_code == 201, first.text
    for repeat in (again, after_deadline):
        assert repeat.status_code == 200, repeat.text
        assert repeat.headers["Idempotent-Replayed"] == "true"
        assert repeat.content == first.content
    assert balance_fen(bureau_context) == 64_000
    assert len(ledger_entries(bureau_context)) == 2


def test_the_same_debit_id_with_another_amount_is_refused(
    bureau_context: BureauContext, network: Network, operator: TestClient
) -> None:
    debit_id = bytes(range(32))
    first = post_debit(operator, network.insurer, signed_debit(network, debit_id=debit_id))
    other = post_debit(
        operator, network.insurer, signed_debit(network, debit_id=debit_id, amount_fen=99_000)
    )
    assert first.status_code == 201
    assert (other.status_code, other.json()["error"]["code"]) == (409, "debit_id_reused")
    assert balance_fen(bureau_context) == 64_000


@pytest.mark.parametrize(
    ("change", "status", "code"),
    [
        ({"amount_fen": 100_001}, 422, "insufficient_balance"),
        ({"amount_fen": 0}, 422, "invalid_amount"),
        ({"deadline": 1}, 422, "expired"),
        ({"deadline": int(time.time()) + MAX_AUTHORISATION_SECONDS + 600}, 422, "deadline_too_far"),
        ({"pseudonym": bytes(32)}, 422, "pseudonym_unbound"),
        ({"policy_reference": "x" * 65}, 422, "invalid_request"),
    ],
)
def test_a_debit_the_account_or_terms_do_not_allow_changes_nothing(
    bureau_context: BureauContext,
    network: Network,
    operator: TestClient,
    change: dict[str, object],
    status: int,
    code: str,
) -> None:
    if "policy_reference" in change:  # the crypto type refuses it too: build the body by hand
        body = signed_debit(network)
        body["authorisation"] |= change
    else:
        body = signed_debit(network, **change)  # type: ignore[arg-type]
    answer = post_debit(operator, network.insurer, body)
    assert (answer.status_code, answer.json()["error"]["code"]) == (status, code), answer.text
    assert "100000" not in answer.text  # the balance is not revealed
    assert ledger_entries(bureau_context) == [("credit", 100_000, 100_000)]


def test_only_the_bound_wallet_and_the_named_insurer_can_move_the_money(
    bureau_context: BureauContext, network: Network, operator: TestClient
) -> None:
    by_stranger = post_debit(
        operator, network.insurer, signed_debit(network, signer=network.outsider)
    )
    for_other_insurer = post_debit(
        operator, network.insurer, signed_debit(network, insurer=network.insurer_b.address)
    )
    not_an_insurer = post_debit(
        operator, network.outsider, signed_debit(network, insurer=network.outsider.address)
    )
    other_bureau = post_debit(
        operator, network.insurer, signed_debit(network, bureau=network.outsider.address)
    )
    forged = signed_debit(network)
    forged["signature"] = "0x" + "11" * 64 + "1b"

    outcomes = [
        (answer.status_code, answer.json()["error"]["code"])
        for answer in (
            by_stranger,
            for_other_insurer,
            not_an_insurer,
            other_bureau,
            post_debit(operator, network.insurer, forged),
        )
    ]
    assert outcomes == [
        (403, "bad_signature"),
        (403, "insurer_mismatch"),
        (401, "unknown_signer"),
        (422, "wrong_bureau"),
        (403, "bad_signature"),
    ]
    assert balance_fen(bureau_context) == 100_000


def test_concurrent_debits_never_overdraw_the_account(
    bureau_context: BureauContext, network: Network, operator: TestClient
) -> None:
    debits = [
        SignedPremiumDebit.from_json_dict(signed_debit(network, amount_fen=60_000))
        for _ in range(4)
    ]
    outcomes: list[str] = []
    start = threading.Barrier(len(debits))

    def pay(signed: SignedPremiumDebit) -> None:
        start.wait()
        try:
            debit_premium(bureau_context, network.insurer.address, signed)
            outcomes.append("paid")
        except ApiError as error:
            outcomes.append(error.code)

    threads = [threading.Thread(target=pay, args=(signed,)) for signed in debits]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(outcomes) == ["insufficient_balance"] * 3 + ["paid"]
    assert balance_fen(bureau_context) == 40_000


def test_contributions_are_credited_once_per_reference(
    bureau_context: BureauContext, network: Network, operator: TestClient
) -> None:
    repeat = fund_account(operator, 100_000)
    second = fund_account(operator, 5_000, reference="2026-12/c-1")
    reused = fund_account(operator, 7_000)
    assert (repeat.status_code, repeat.json()["balance_after_fen"]) == (200, 100_000)
    assert (second.status_code, second.json()["balance_after_fen"]) == (201, 105_000)
    assert (reused.status_code, reused.json()["error"]["code"]) == (409, "reference_reused")
    assert ID_NUMBER not in second.text
    assert second.json()["pseudonym"] == PATIENT_HEX
    too_much = fund_account(operator, MAX_BALANCE_FEN, reference="2026-12/c-2")
    assert (too_much.status_code, too_much.json()["error"]["code"]) == (422, "balance_limit")
    assert balance_fen(bureau_context) == 105_000


def test_only_an_enrolled_employee_has_a_personal_account(bureau_context: BureauContext) -> None:
    with operator_client(bureau_context) as client:
        resident = {
            **EMPLOYEE_ENROLLMENT,
            "id_number": OTHER_ID_NUMBER,
            "insurance_type": "resident",
        }
        assert client.post("/v1/enrollments", json=resident).status_code == 201
        answers = [
            client.post(
                "/v1/personal-accounts/credits",
                json={"id_number": id_number, "amount_fen": 1_000, "reference": reference},
            )
            for id_number, reference in ((OTHER_ID_NUMBER, "r-1"), (ID_NUMBER, "r-2"))
        ]
        unknown = client.get(f"/v1/personal-accounts/{PATIENT_HEX}")
    assert [(a.status_code, a.json()["error"]["code"]) for a in answers] == [
        (422, "no_personal_account"),
        (422, "not_enrolled"),
    ]
    assert (unknown.status_code, unknown.json()["error"]["code"]) == (404, "no_personal_account")
    assert balance_fen(bureau_context) is None


def test_credits_need_the_operator_token(bureau_context: BureauContext) -> None:
    with operator_client(bureau_context, send_token=False) as client:
        answer = client.post(
            "/v1/personal-accounts/credits",
            json={"id_number": ID_NUMBER, "amount_fen": 1, "reference": "r"},
        )
    assert answer.status_code == 401


def test_a_debit_without_an_account_is_refused(
    bureau_context: BureauContext, network: Network
) -> None:
    bind_patient(network)
    with operator_client(bureau_context) as client:
        answer = post_debit(client, network.insurer, signed_debit(network))
    assert (answer.status_code, answer.json()["error"]["code"]) == (422, "no_personal_account")
