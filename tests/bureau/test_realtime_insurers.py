"""Real-time authorisation against real (miniature) insurer nodes on a real chain."""

from __future__ import annotations

import json
import threading
import time
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from trustshare.bureau.context import BureauContext
from trustshare.storage.models import SettlementRow

from ..conftest import Network
from .hospital_support import (
    HOSPITAL,
    PATIENT_PSEUDONYM,
    beijing_bill,
    confirm,
    consent_to_direct_settlement,
    hospital_client,
    insurer_node,
    policy_code,
    settlement_body,
)

ENTERPRISE, HUIMINBAO = "enterprise-supplementary", "huiminbao-typical"
# The engine's figures for the Beijing example (docs/examples): both layers, and the second
# layer alone when the first is left out.
ENTERPRISE_FEN, HUIMINBAO_FEN, HUIMINBAO_ALONE_FEN = 3_755_619, 2_842_143, 5_095_514
PERSON_SHARE_FEN = 10_632_524


@pytest.fixture
def client(bureau_context: BureauContext) -> Any:
    bureau_context.settings.realtime_deadline_ms = 400
    with hospital_client(bureau_context) as client:
        yield client


def _body(network: Network, **overrides: Any) -> dict[str, Any]:
    codes = [
        policy_code(network, network.insurer, ENTERPRISE),
        policy_code(network, network.insurer_b, HUIMINBAO),
    ]
    return settlement_body(beijing_bill(products=True), policy_codes=codes, **overrides)


def _payers(answer: Any) -> dict[str, dict[str, Any]]:
    return {payer["product"]: payer for payer in answer.json()["payers"]}


def test_each_consented_insurer_authorises_its_layer_in_payer_order(
    client: TestClient, network: Network, bureau_context: BureauContext
) -> None:
    consent_to_direct_settlement(network, network.insurer)
    consent_to_direct_settlement(network, network.insurer_b)
    with (
        insurer_node(network, network.insurer) as first,
        insurer_node(network, network.insurer_b) as second,
    ):
        answer = confirm(client, _body(network), "rt-1")
    assert answer.status_code == 201, answer.text
    payers = _payers(answer)
    assert payers[ENTERPRISE]["status"] == payers[HUIMINBAO]["status"] == "authorised"
    assert payers[ENTERPRISE]["authorised_fen"] == ENTERPRISE_FEN
    assert payers[HUIMINBAO]["authorisation_id"] == f"AUTH-{HUIMINBAO}"
    result = answer.json()
    assert result["commercial_paid_fen"] == ENTERPRISE_FEN + HUIMINBAO_FEN
    assert result["patient_remainder_fen"] == PERSON_SHARE_FEN - ENTERPRISE_FEN - HUIMINBAO_FEN
    (asked_first,) = first.requests
    (asked_second,) = second.requests
    assert asked_first.pseudonym == "0x" + PATIENT_PSEUDONYM.hex()
    assert asked_first.payer_order == 2 and asked_second.payer_order == 3
    assert asked_second.prior_payers_paid_fen == asked_first.prior_payers_paid_fen + ENTERPRISE_FEN
    assert asked_first.settlement_id == result["settlement_id"]
    with bureau_context.sessions() as session:
        row = session.scalars(select(SettlementRow)).one()
    stored = json.loads(row.record_json)["fund_breakdown"]["payers"]
    assert [payer["authorised_fen"] for payer in stored] == [ENTERPRISE_FEN, HUIMINBAO_FEN]


def test_an_insurer_past_its_deadline_is_left_out_and_the_next_layer_recomputed(
    client: TestClient, network: Network
) -> None:
    consent_to_direct_settlement(network, network.insurer)
    consent_to_direct_settlement(network, network.insurer_b)
    with (
        insurer_node(network, network.insurer, mode="sleep", sleep_s=1.5),
        insurer_node(network, network.insurer_b) as second,
    ):
        started = time.monotonic()
        answer = confirm(client, _body(network), "rt-2")
        elapsed = time.monotonic() - started
    assert answer.status_code == 201, answer.text
    payers = _payers(answer)
    assert payers[ENTERPRISE]["status"] == "timed_out"
    assert payers[ENTERPRISE]["authorised_fen"] == 0
    assert payers[HUIMINBAO]["status"] == "authorised"
    assert payers[HUIMINBAO]["authorised_fen"] == HUIMINBAO_ALONE_FEN
    assert second.requests[0].computed_fen == HUIMINBAO_ALONE_FEN
    assert answer.json()["patient_remainder_fen"] == PERSON_SHARE_FEN - HUIMINBAO_ALONE_FEN
    assert elapsed < 1.5  # the bureau did not wait for the sleeping insurer


@pytest.mark.parametrize(
    ("mode", "status", "authorised"),
    [
        ("half", "partially_authorised", ENTERPRISE_FEN // 2),
        ("zero", "refused", 0),
        ("fail", "refused", 0),
        ("over", "refused", 0),
    ],
)
def test_a_smaller_answer_or_an_error_is_reported_per_payer(
    client: TestClient, network: Network, mode: str, status: str, authorised: int
) -> None:
    consent_to_direct_settlement(network, network.insurer)
    consent_to_direct_settlement(network, network.insurer_b)
    with (
        insurer_node(network, network.insurer, mode=mode),
        insurer_node(network, network.insurer_b),
    ):
        answer = confirm(client, _body(network), f"rt-{mode}")
    assert answer.status_code == 201, answer.text
    payers = _payers(answer)
    assert (payers[ENTERPRISE]["status"], payers[ENTERPRISE]["authorised_fen"]) == (
        status,
        authorised,
    )
    # A partial layer keeps the next one as computed; a refused one lets it pay more.
    expected_second = HUIMINBAO_FEN if authorised else HUIMINBAO_ALONE_FEN
    assert payers[HUIMINBAO]["authorised_fen"] == expected_second
    assert answer.json()["commercial_paid_fen"] == authorised + expected_second


def test_an_insurer_without_direct_settlement_consent_is_not_asked(
    client: TestClient, network: Network
) -> None:
    consent_to_direct_settlement(network, network.insurer)
    with (
        insurer_node(network, network.insurer),
        insurer_node(network, network.insurer_b) as second,
    ):
        answer = confirm(client, _body(network), "rt-3")
    payers = _payers(answer)
    assert payers[ENTERPRISE]["status"] == "authorised"
    assert payers[HUIMINBAO]["status"] == "no_consent"
    assert payers[HUIMINBAO]["authorised_fen"] == 0
    assert second.requests == []


def test_a_trial_estimates_every_layer_and_asks_nobody(
    client: TestClient, network: Network
) -> None:
    with insurer_node(network, network.insurer) as first:
        answer = client.post("/v1/settlements/trial", json=_body(network), headers=HOSPITAL)
    assert answer.status_code == 200, answer.text
    payers = _payers(answer)
    assert payers[ENTERPRISE]["status"] == payers[HUIMINBAO]["status"] == "estimated"
    assert payers[HUIMINBAO]["authorised_fen"] == HUIMINBAO_FEN
    assert first.requests == []


def test_a_repeat_while_insurers_are_still_answering_gets_409(
    client: TestClient, network: Network, bureau_context: BureauContext
) -> None:
    consent_to_direct_settlement(network, network.insurer)
    consent_to_direct_settlement(network, network.insurer_b)
    # A wide window (the insurer answers after 2 s, within its deadline) so that the repeat
    # certainly arrives while the first request is in flight, even on a loaded machine.
    bureau_context.settings.realtime_deadline_ms = 5_000
    body = _body(network)
    first: dict[str, Any] = {}
    with (
        insurer_node(network, network.insurer, mode="sleep", sleep_s=2.0) as slow,
        insurer_node(network, network.insurer_b),
    ):
        worker = threading.Thread(target=lambda: first.update(answer=confirm(client, body, "rt-4")))
        worker.start()
        deadline = time.monotonic() + 5
        while not slow.requests and time.monotonic() < deadline:  # the first is being answered
            time.sleep(0.01)
        again = confirm(client, body, "rt-4")
        worker.join(10)
    assert again.status_code == 409
    assert again.json()["error"]["code"] == "request_in_flight"
    assert first["answer"].status_code == 201
    replay = confirm(client, body, "rt-4")
    assert replay.json() == first["answer"].json()
    with bureau_context.sessions() as session:
        assert len(session.scalars(select(SettlementRow)).all()) == 1


def test_policy_codes_that_do_not_hold_are_422(client: TestClient, network: Network) -> None:
    bill = beijing_bill(products=True)
    cases = [
        ([policy_code(network, network.insurer, ENTERPRISE, expires_in=-1)], "policy_codes[0]"),
        (
            [policy_code(network, network.outsider, ENTERPRISE)],
            "policy_codes[0].insurer",
        ),
        (
            [policy_code(network, network.insurer, ENTERPRISE, signer=network.insurer_b)],
            "policy_codes[0]",
        ),
        ([policy_code(network, network.insurer, ENTERPRISE)], "bill.products[1].product"),
        (
            [policy_code(network, network.insurer, "suisuikang-like-2022")],
            "policy_codes[0].product",
        ),
    ]
    for index, (codes, field) in enumerate(cases):
        answer = confirm(client, settlement_body(bill, policy_codes=codes), f"bad-{index}")
        assert answer.status_code == 422, (field, answer.text)
        error = answer.json()["error"]
        assert (error["code"], error["field"]) == ("invalid_policy_code", field)
