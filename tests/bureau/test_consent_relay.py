"""Consent relay: patients' signed grants and revocations reach the chain through the bureau.

The publisher is another engineer's work: ``send_relay`` sends the queued outbox entry the way
the publisher will, so these tests show the relayed consent taking effect on chain.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from eth_account import Account
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from trustshare.bureau.context import BureauContext
from trustshare.bureau.outbox import enqueue
from trustshare.chain.registries import PermissionStatus
from trustshare.crypto.eip712 import ConsentTerms, sign_grant, sign_revocation
from trustshare.crypto.hashing import keccak256
from trustshare.crypto.vocabulary import Purpose, Scope
from trustshare.storage.database import transaction
from trustshare.storage.models import OutboxEntry

from ..conftest import Network
from .release_support import (
    PSEUDONYM,
    bind_patient,
    consent_domain,
    grant_directly,
    node_client,
    send_relay,
    terms_for,
)

SCOPES = Scope.SETTLEMENT_SUMMARY | Scope.FUND_BREAKDOWN


@pytest.fixture
def client(bureau_context: BureauContext) -> Iterator[TestClient]:
    with node_client(bureau_context) as client:
        yield client


def grant_body(
    network: Network,
    terms: ConsentTerms,
    *,
    nonce: int | None = None,
    deadline_in: int = 3600,
    key: bytes | None = None,
) -> dict[str, object]:
    consents = network.registries().consents
    nonce = consents.nonce_of(terms.pseudonym) if nonce is None else nonce
    deadline = network.now() + deadline_in
    signature = sign_grant(
        key or network.patient.key, consent_domain(network), terms, nonce, deadline
    )
    return {
        "terms": {
            "pseudonym": "0x" + terms.pseudonym.hex(),
            "insurer": terms.insurer,
            "scopes": terms.scopes,
            "purposes": terms.purposes,
            "not_before": terms.not_before,
            "not_after": terms.not_after,
        },
        "nonce": nonce,
        "deadline": deadline,
        "signature": "0x" + signature.hex(),
    }


def outbox_size(context: BureauContext) -> int:
    with transaction(context.sessions) as session:
        return session.scalar(select(func.count()).select_from(OutboxEntry)) or 0


def test_relayed_grant_takes_effect_once_sent(
    client: TestClient, bureau_context: BureauContext, network: Network
) -> None:
    bind_patient(network)
    terms = terms_for(network, network.insurer, SCOPES)
    consents = network.registries().consents

    response = client.post("/v1/consents/grants", json=grant_body(network, terms))

    assert response.status_code == 202, response.json()
    accepted = response.json()
    expected_id = consents.consent_id_of(terms, 0)
    assert accepted["consent_id"] == "0x" + expected_id.hex()
    status = client.get(f"/v1/consents/relays/{accepted['outbox_id']}").json()
    assert (status["kind"], status["status"], status["tx_hash"]) == (
        "grant_consent",
        "pending",
        None,
    )
    # Queued, not yet on chain.
    assert not consents.consent_of(PSEUDONYM, network.insurer.address).exists

    send_relay(bureau_context, accepted["outbox_id"])

    status = client.get(f"/v1/consents/relays/{accepted['outbox_id']}").json()
    assert status["status"] == "done"
    assert network.w3.eth.get_transaction_receipt(status["tx_hash"])["status"] == 1
    assert consents.consent_of(PSEUDONYM, network.insurer.address).consent_id == expected_id
    permission = consents.permission_of(PSEUDONYM, network.insurer.address, SCOPES, Purpose.CLAIM)
    assert permission is PermissionStatus.PERMITTED


def test_relayed_revocation_takes_effect_once_sent(
    client: TestClient, bureau_context: BureauContext, network: Network
) -> None:
    bind_patient(network)
    grant_directly(network, terms_for(network, network.insurer, SCOPES))
    consents = network.registries().consents
    current = consents.consent_of(PSEUDONYM, network.insurer.address).consent_id
    deadline = network.now() + 3600
    signature = sign_revocation(
        network.patient.key,
        consent_domain(network),
        PSEUDONYM,
        network.insurer.address,
        current,
        deadline,
    )
    body = {
        "pseudonym": "0x" + PSEUDONYM.hex(),
        "insurer": network.insurer.address,
        "consent_id": "0x" + current.hex(),
        "deadline": deadline,
        "signature": "0x" + signature.hex(),
    }

    response = client.post("/v1/consents/revocations", json=body)
    assert response.status_code == 202, response.json()
    again = client.post("/v1/consents/revocations", json=body)
    assert (again.status_code, again.json()["error"]["code"]) == (409, "relay_in_flight")

    send_relay(bureau_context, response.json()["outbox_id"])

    assert consents.consent_of(PSEUDONYM, network.insurer.address).revoked
    permission = consents.permission_of(PSEUDONYM, network.insurer.address, SCOPES, Purpose.CLAIM)
    assert permission is PermissionStatus.REVOKED
    late = client.post("/v1/consents/revocations", json=body)
    assert (late.status_code, late.json()["error"]["code"]) == (409, "already_revoked")


def test_second_grant_with_the_same_nonce_while_in_flight_is_409(
    client: TestClient, bureau_context: BureauContext, network: Network
) -> None:
    bind_patient(network)
    terms = terms_for(network, network.insurer, SCOPES)
    assert client.post("/v1/consents/grants", json=grant_body(network, terms)).status_code == 202
    other = terms_for(network, network.insurer, Scope.LINE_ITEMS)
    response = client.post("/v1/consents/grants", json=grant_body(network, other))
    assert (response.status_code, response.json()["error"]["code"]) == (409, "relay_in_flight")
    assert outbox_size(bureau_context) == 1


@pytest.mark.parametrize(
    ("case", "status", "code"),
    [
        ("signed by another key", 401, "bad_signature"),
        ("wrong nonce", 422, "wrong_nonce"),
        ("deadline passed", 422, "deadline_passed"),
        ("insurer not registered", 422, "insurer_inactive"),
        ("pseudonym unbound", 422, "pseudonym_unbound"),
        ("empty scopes", 422, "invalid_terms"),
    ],
)
def test_grant_the_chain_would_refuse_is_answered_at_once_and_not_queued(
    client: TestClient,
    bureau_context: BureauContext,
    network: Network,
    case: str,
    status: int,
    code: str,
) -> None:
    if case != "pseudonym unbound":
        bind_patient(network)
    insurer = network.outsider if case == "insurer not registered" else network.insurer
    scopes = Scope(0) if case == "empty scopes" else SCOPES
    terms = terms_for(network, insurer, scopes)
    body = grant_body(
        network,
        terms,
        nonce=7 if case == "wrong nonce" else None,
        deadline_in=-10 if case == "deadline passed" else 3600,
        key=bytes(Account.from_key("0x" + "a7" * 32).key) if case.startswith("signed") else None,
    )

    response = client.post("/v1/consents/grants", json=body)

    assert (response.status_code, response.json()["error"]["code"]) == (status, code), case
    assert outbox_size(bureau_context) == 0


def test_malformed_grant_is_422_with_field_paths(client: TestClient) -> None:
    body = {
        "terms": {"pseudonym": "0x12", "insurer": "nobody", "scopes": -1},
        "nonce": 0,
        "deadline": 0,
        "signature": "0x00",
        "extra": True,
    }
    response = client.post("/v1/consents/grants", json=body)
    assert response.status_code == 422
    fields = {p["field"] for p in response.json()["error"]["problems"]}
    assert {"terms.pseudonym", "terms.insurer", "terms.scopes", "signature", "extra"} <= fields


def test_addresses_in_any_case_are_accepted(
    client: TestClient, bureau_context: BureauContext, network: Network
) -> None:
    bind_patient(network)
    grant_directly(network, terms_for(network, network.insurer, SCOPES))
    consents = network.registries().consents
    current = consents.consent_of(PSEUDONYM, network.insurer.address).consent_id
    deadline = network.now() + 3600
    signature = sign_revocation(
        network.patient.key,
        consent_domain(network),
        PSEUDONYM,
        network.insurer.address,
        current,
        deadline,
    )
    revocation = {
        "pseudonym": "0x" + PSEUDONYM.hex(),
        "insurer": network.insurer.address.lower(),
        "consent_id": "0x" + current.hex(),
        "deadline": deadline,
        "signature": "0x" + signature.hex(),
    }
    response = client.post("/v1/consents/revocations", json=revocation)
    assert response.status_code == 202, response.json()


def test_unknown_relay_is_404(client: TestClient) -> None:
    response = client.get("/v1/consents/relays/999")
    assert (response.status_code, response.json()["error"]["code"]) == (404, "relay_not_found")


def test_relay_status_hides_other_outbox_kinds(
    client: TestClient, bureau_context: BureauContext
) -> None:
    with transaction(bureau_context.sessions) as session:
        entry = enqueue(
            session, "bind_wallet", {"pseudonym": "0x" + keccak256(b"x").hex(), "wallet": "0x0"}
        )
        entry_id = entry.id
    assert client.get(f"/v1/consents/relays/{entry_id}").status_code == 404
