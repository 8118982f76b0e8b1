"""``POST /v1/realtime-authorisations`` on the real insurer app, against anvil."""

from __future__ import annotations

import json
import time
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select, update

from trustshare.crypto.leaves import settlement_id
from trustshare.gateway.realtime_contract import REALTIME_AUTHORISATION_PATH
from trustshare.gateway.signing import sign_request
from trustshare.insurer.api import REFUSAL_HEADER
from trustshare.insurer.context import InsurerContext
from trustshare.insurer.policies import annual_cap_fen
from trustshare.storage.insurer_models import AuthorisationRow, HoldStatus, PolicyRow

from ..bureau.hospital_support import consent_to_direct_settlement
from ..conftest import Network
from .realtime_support import PRODUCT, give_policy, post_signed, request_body


def _rows(context: InsurerContext) -> list[AuthorisationRow]:
    with context.sessions() as session:
        return list(session.scalars(select(AuthorisationRow).order_by(AuthorisationRow.id)))


def _error_code(answer: Any) -> str:
    return str(answer.json()["error"]["code"])


def test_a_covered_consented_layer_is_held_in_full(
    insurer_client: TestClient, insurer_context: InsurerContext, network: Network
) -> None:
    give_policy(insurer_context)
    consent_to_direct_settlement(network, network.insurer)
    body = request_body(network.bureau.address)
    answer = post_signed(insurer_client, network.bureau, body)
    assert answer.status_code == 200, answer.text
    assert answer.json()["authorised_fen"] == body["computed_fen"]
    assert REFUSAL_HEADER not in answer.headers
    (row,) = _rows(insurer_context)
    assert row.authorisation_id == answer.json()["authorisation_id"]
    assert row.status == HoldStatus.HELD
    assert row.authorised_fen == row.computed_fen == body["computed_fen"]
    assert row.expires_at - row.created_at == timedelta(seconds=insurer_context.settings.hold_ttl_s)


def test_a_repeat_of_the_same_settlement_and_product_gets_the_first_answer(
    insurer_client: TestClient, insurer_context: InsurerContext, network: Network
) -> None:
    give_policy(insurer_context)
    consent_to_direct_settlement(network, network.insurer)
    body = request_body(network.bureau.address)
    first = post_signed(insurer_client, network.bureau, body)
    repeat = post_signed(insurer_client, network.bureau, {**body, "computed_fen": 1})
    assert repeat.status_code == 200
    assert repeat.json() == first.json()
    assert len(_rows(insurer_context)) == 1


def test_the_hold_is_capped_by_what_the_year_has_left(
    insurer_client: TestClient, insurer_context: InsurerContext, network: Network
) -> None:
    give_policy(insurer_context)
    consent_to_direct_settlement(network, network.insurer)
    cap = annual_cap_fen(insurer_context.rules, PRODUCT)
    bureau = network.bureau.address
    first = request_body(bureau, computed_fen=cap - 1_000)
    assert (
        post_signed(insurer_client, network.bureau, first).json()["authorised_fen"] == cap - 1_000
    )
    second = request_body(
        bureau, settlement_id="0x" + settlement_id(bureau, 8).hex(), computed_fen=5_000
    )
    partial = post_signed(insurer_client, network.bureau, second)
    assert partial.json()["authorised_fen"] == 1_000
    assert partial.headers[REFUSAL_HEADER] == "annual_cap_reached"
    third = request_body(
        bureau, settlement_id="0x" + settlement_id(bureau, 9).hex(), computed_fen=5_000
    )
    refused = post_signed(insurer_client, network.bureau, third)
    assert refused.json()["authorised_fen"] == 0
    assert refused.headers[REFUSAL_HEADER] == "annual_cap_reached"
    assert [row.status for row in _rows(insurer_context)] == ["held", "held", "refused"]


def test_released_holds_no_longer_count_against_the_cap(
    insurer_client: TestClient, insurer_context: InsurerContext, network: Network
) -> None:
    give_policy(insurer_context)
    consent_to_direct_settlement(network, network.insurer)
    cap = annual_cap_fen(insurer_context.rules, PRODUCT)
    bureau = network.bureau.address
    post_signed(insurer_client, network.bureau, request_body(bureau, computed_fen=cap))
    with insurer_context.sessions() as session:
        session.execute(update(AuthorisationRow).values(status=HoldStatus.RELEASED))
        session.commit()
    again = request_body(bureau, settlement_id="0x" + settlement_id(bureau, 8).hex())
    assert post_signed(insurer_client, network.bureau, again).json()["authorised_fen"] > 0


def _expire_policy(context: InsurerContext) -> None:
    with context.sessions() as session:
        session.execute(update(PolicyRow).values(valid_to=datetime.now(UTC) - timedelta(seconds=1)))
        session.commit()


def _suspend_policy(context: InsurerContext) -> None:
    with context.sessions() as session:
        session.execute(update(PolicyRow).values(status="suspended"))
        session.commit()


@pytest.mark.parametrize(
    ("policy", "consent", "overrides", "reason"),
    [
        (False, True, {}, "no_policy"),
        (True, True, {"product": "huiminbao-typical"}, "product_mismatch"),
        (True, True, {"pseudonym": "0x" + "77" * 32}, "pseudonym_mismatch"),
        ("expired", True, {}, "policy_not_in_force"),
        ("suspended", True, {}, "policy_not_active"),
        (True, False, {}, "consent_no_consent"),
        (True, True, {"deadline_unix_ms": 1}, "deadline_passed"),
    ],
)
def test_a_refusal_is_a_zero_answer_with_its_reason(
    insurer_client: TestClient,
    insurer_context: InsurerContext,
    network: Network,
    policy: object,
    consent: bool,
    overrides: dict[str, Any],
    reason: str,
) -> None:
    if policy:
        give_policy(insurer_context)
    if policy == "expired":
        _expire_policy(insurer_context)
    if policy == "suspended":
        _suspend_policy(insurer_context)
    if consent:
        consent_to_direct_settlement(network, network.insurer)
    answer = post_signed(
        insurer_client, network.bureau, request_body(network.bureau.address, **overrides)
    )
    assert answer.status_code == 200, answer.text
    assert answer.json()["authorised_fen"] == 0
    assert answer.headers[REFUSAL_HEADER] == reason
    (row,) = _rows(insurer_context)
    assert (row.status, row.reason) == (HoldStatus.REFUSED, reason)


def test_a_revoked_consent_is_refused(
    insurer_client: TestClient, insurer_context: InsurerContext, network: Network
) -> None:
    give_policy(insurer_context)
    consent_to_direct_settlement(network, network.insurer)
    pseudonym = bytes.fromhex(request_body(network.bureau.address)["pseudonym"][2:])
    consents = network.registries(network.patient).consents
    state = consents.consent_of(pseudonym, network.insurer.address)
    consents.revoke(pseudonym, network.insurer.address, state.consent_id)
    answer = post_signed(insurer_client, network.bureau, request_body(network.bureau.address))
    assert answer.json()["authorised_fen"] == 0
    assert answer.headers[REFUSAL_HEADER] == "consent_revoked"


def test_unsigned_and_badly_signed_requests_are_401(
    insurer_client: TestClient, network: Network
) -> None:
    raw = json.dumps(request_body(network.bureau.address)).encode()
    unsigned = insurer_client.post(
        REALTIME_AUTHORISATION_PATH, content=raw, headers={"Content-Type": "application/json"}
    )
    assert (unsigned.status_code, _error_code(unsigned)) == (401, "missing_signature")
    headers = sign_request(
        network.bureau, "POST", REALTIME_AUTHORISATION_PATH, raw, now=time.time()
    )
    tampered = raw.replace(b"3755619", b"3755610")
    forged = insurer_client.post(
        REALTIME_AUTHORISATION_PATH,
        content=tampered,
        headers={**headers, "Content-Type": "application/json"},
    )
    assert (forged.status_code, _error_code(forged)) == (401, "bad_signature")


def test_a_replayed_request_is_401(insurer_client: TestClient, network: Network) -> None:
    raw = json.dumps(request_body(network.bureau.address)).encode()
    headers = sign_request(
        network.bureau, "POST", REALTIME_AUTHORISATION_PATH, raw, now=time.time()
    )
    headers["Content-Type"] = "application/json"
    assert insurer_client.post(REALTIME_AUTHORISATION_PATH, content=raw, headers=headers).is_success
    replay = insurer_client.post(REALTIME_AUTHORISATION_PATH, content=raw, headers=headers)
    assert (replay.status_code, _error_code(replay)) == (401, "replayed_nonce")


def test_a_signer_who_is_not_an_active_bureau_is_401(
    insurer_client: TestClient, insurer_context: InsurerContext, network: Network
) -> None:
    for stranger in (network.outsider, network.insurer_b):
        body = request_body(stranger.address)
        answer = post_signed(insurer_client, stranger, body)
        assert (answer.status_code, _error_code(answer)) == (401, "unknown_signer")
    assert _rows(insurer_context) == []


def test_a_removed_bureau_is_401(insurer_client: TestClient, network: Network) -> None:
    network.registries(network.operator).participants.remove(network.bureau.address)
    answer = post_signed(insurer_client, network.bureau, request_body(network.bureau.address))
    assert (answer.status_code, _error_code(answer)) == (401, "unknown_signer")


def test_another_bureaus_settlement_id_is_401(
    insurer_client: TestClient, insurer_context: InsurerContext, network: Network
) -> None:
    foreign = "0x" + settlement_id(network.outsider.address, 7).hex()
    body = request_body(network.bureau.address, settlement_id=foreign)
    answer = post_signed(insurer_client, network.bureau, body)
    assert (answer.status_code, _error_code(answer)) == (401, "foreign_settlement")
    other_bureau = request_body(network.bureau.address, bureau=network.outsider.address)
    answer = post_signed(insurer_client, network.bureau, other_bureau)
    assert (answer.status_code, _error_code(answer)) == (401, "foreign_bureau")
    assert _rows(insurer_context) == []


def test_a_malformed_body_is_422_with_every_field_path(
    insurer_client: TestClient, network: Network
) -> None:
    body = request_body(network.bureau.address, computed_fen=-1, payer_order=1)
    del body["policy_number"]
    body["surprise"] = True
    answer = post_signed(insurer_client, network.bureau, body)
    assert answer.status_code == 422
    fields = {problem["field"] for problem in answer.json()["error"]["problems"]}
    assert fields == {"computed_fen", "payer_order", "policy_number", "surprise"}


def test_health_names_the_insurer_and_its_current_sealing_key(
    insurer_client: TestClient, insurer_context: InsurerContext, network: Network
) -> None:
    health = insurer_client.get("/v1/health").json()
    assert health["insurer"] == network.insurer.address
    assert health["chain_id"] == network.deployment.chain_id
    assert health["encryption_key"] == insurer_context.keystore.current.public.hex()
