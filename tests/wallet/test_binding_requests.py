"""The bureau's binding at the patient's request: a voucher from the counter, the wallet's key."""

from __future__ import annotations

import base64
import dataclasses
import json
import time
from collections.abc import Iterator

import pytest
from eth_account import Account
from eth_account.signers.local import LocalAccount
from fastapi.testclient import TestClient
from httpx import Response
from sqlalchemy import select

from trustshare.bureau.app import create_app
from trustshare.bureau.binding_requests import VOUCHER_LIFETIME_S, VOUCHER_PREFIX
from trustshare.bureau.context import BureauContext
from trustshare.bureau.publisher import Publisher
from trustshare.crypto.pseudonym import PseudonymKey, pseudonym_of
from trustshare.gateway.signing import sign_request
from trustshare.storage.models import OutboxEntry

from ..bureau.operations_support import ID_NUMBER, OTHER_ID_NUMBER, with_operator_token
from .conftest import OPERATOR_TOKEN

PATIENT = Account.from_key(bytes.fromhex("b1" * 32))
THIEF = Account.from_key(bytes.fromhex("b2" * 32))


@pytest.fixture
def node(bureau_context: BureauContext) -> BureauContext:
    return with_operator_token(bureau_context, OPERATOR_TOKEN)


@pytest.fixture
def client(node: BureauContext) -> Iterator[TestClient]:
    with TestClient(create_app(node.settings, context=node)) as client:
        yield client


def issue(client: TestClient, id_number: str = ID_NUMBER) -> str:
    answer = client.post(
        "/v1/binding-vouchers",
        json={"id_number": id_number},
        headers={"Authorization": f"Bearer {OPERATOR_TOKEN}"},
    )
    assert answer.status_code == 201, answer.text
    return str(answer.json()["voucher"])


def redeem(client: TestClient, node: BureauContext, wallet: LocalAccount, voucher: str) -> Response:
    raw = json.dumps({"voucher": voucher}).encode()
    headers = sign_request(wallet, "POST", "/v1/binding-requests", raw, now=node.clock())
    response: Response = client.post(
        "/v1/binding-requests", content=raw, headers={**headers, "Content-Type": "application/json"}
    )
    return response


def bind_wallet_entries(node: BureauContext) -> list[OutboxEntry]:
    with node.sessions() as session:
        query = select(OutboxEntry).where(OutboxEntry.kind == "bind_wallet")
        return list(session.scalars(query))


def test_the_wallet_redeems_the_voucher_and_the_binding_reaches_the_chain(
    client: TestClient, node: BureauContext
) -> None:
    voucher = issue(client)
    assert voucher.startswith(VOUCHER_PREFIX) and ID_NUMBER not in voucher

    answer = redeem(client, node, PATIENT, voucher)

    assert answer.status_code == 202, answer.text
    pseudonym = pseudonym_of(ID_NUMBER, node.pseudonym_key)
    body = answer.json()
    assert body["pseudonym"] == "0x" + pseudonym.hex()
    assert (body["wallet"], body["bureau"], body["repeated"]) == (
        PATIENT.address,
        node.address,
        False,
    )
    [entry] = bind_wallet_entries(node)
    payload = {"pseudonym": body["pseudonym"], "wallet": PATIENT.address}
    assert json.loads(entry.payload_json) == payload
    Publisher(node).run_once()
    assert node.registries.consents.binding_of(pseudonym) == (PATIENT.address, node.address)


def test_redeeming_again_with_the_same_wallet_answers_the_same_binding(
    client: TestClient, node: BureauContext
) -> None:
    voucher = issue(client)
    first = redeem(client, node, PATIENT, voucher).json()
    again = redeem(client, node, PATIENT, voucher)
    assert again.status_code == 202
    assert again.json() == {**first, "repeated": True}
    assert len(bind_wallet_entries(node)) == 1


def test_a_voucher_binds_one_wallet_only(client: TestClient, node: BureauContext) -> None:
    voucher = issue(client)
    assert redeem(client, node, PATIENT, voucher).status_code == 202

    stolen = redeem(client, node, THIEF, voucher)

    assert stolen.status_code == 409
    assert stolen.json()["error"]["code"] == "voucher_spent"
    assert len(bind_wallet_entries(node)) == 1


def test_a_new_voucher_rebinds_after_a_lost_key(client: TestClient, node: BureauContext) -> None:
    now = [time.time()]
    node.clock = lambda: now[0]
    assert redeem(client, node, PATIENT, issue(client)).status_code == 202
    now[0] += 60  # the key is lost; the person goes back to the counter

    replaced = redeem(client, node, THIEF, issue(client))

    assert replaced.status_code == 202, replaced.text
    assert (replaced.json()["wallet"], replaced.json()["repeated"]) == (THIEF.address, False)
    assert len(bind_wallet_entries(node)) == 2


def test_an_expired_voucher_is_refused(client: TestClient, node: BureauContext) -> None:
    now = [time.time()]
    node.clock = lambda: now[0]
    voucher = issue(client)
    now[0] += VOUCHER_LIFETIME_S + 1

    answer = redeem(client, node, PATIENT, voucher)

    assert answer.status_code == 422
    assert (answer.json()["error"]["code"], answer.json()["error"]["field"]) == (
        "voucher_expired",
        "voucher",
    )
    assert bind_wallet_entries(node) == []


def test_an_altered_or_foreign_voucher_is_refused(client: TestClient, node: BureauContext) -> None:
    voucher = issue(client)
    raw = bytearray(base64.urlsafe_b64decode(voucher.removeprefix(VOUCHER_PREFIX) + "="))
    other = pseudonym_of(OTHER_ID_NUMBER, node.pseudonym_key)
    raw[:32] = other  # someone else's pseudonym under the same tag
    altered = VOUCHER_PREFIX + base64.urlsafe_b64encode(bytes(raw)).rstrip(b"=").decode()
    foreign_node = dataclasses.replace(node, pseudonym_key=PseudonymKey(bytes(range(32))))
    with TestClient(create_app(node.settings, context=foreign_node)) as foreign:
        from_elsewhere = issue(foreign)

    for text in (altered, from_elsewhere, "tsbv1.not-base64!", "a voucher"):
        answer = redeem(client, node, PATIENT, text)
        assert answer.status_code == 422, text
        assert answer.json()["error"]["code"] in ("invalid_voucher", "invalid_request"), text
    assert bind_wallet_entries(node) == []


def test_the_request_must_be_signed_by_the_wallet_to_bind(
    client: TestClient, node: BureauContext
) -> None:
    voucher = issue(client)
    unsigned = client.post("/v1/binding-requests", json={"voucher": voucher})
    assert unsigned.status_code == 401
    assert unsigned.json()["error"]["code"] == "missing_signature"
    assert bind_wallet_entries(node) == []


def test_only_the_counter_issues_vouchers(client: TestClient) -> None:
    answer = client.post("/v1/binding-vouchers", json={"id_number": ID_NUMBER})
    assert answer.status_code == 401
    bad_number = client.post(
        "/v1/binding-vouchers",
        json={"id_number": "110105194912310021"},
        headers={"Authorization": f"Bearer {OPERATOR_TOKEN}"},
    )
    assert bad_number.status_code == 422
    assert bad_number.json()["error"]["field"] == "id_number"
