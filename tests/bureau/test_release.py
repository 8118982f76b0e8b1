"""Record release to insurers: sealed, selective, proven, consent-bound and logged."""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Iterator, Mapping
from typing import Any

import pytest
from eth_abi.abi import encode
from fastapi.testclient import TestClient

from trustshare.bureau.context import BureauContext
from trustshare.crypto.commitment import Disclosure, verify_disclosure
from trustshare.crypto.leaves import ENROLLMENT_LEAF_ENCODING, SettlementLeaf
from trustshare.crypto.sealing import SealedRecord, SealingPrivateKey, open_sealed
from trustshare.crypto.vocabulary import Purpose, Scope
from trustshare.gateway.signing import SIGNATURE_HEADER, sign_request
from trustshare.storage.database import make_engine, make_session_factory

from ..conftest import Network
from .release_support import (
    ENROLLMENT,
    RECORD,
    access_entries,
    bind_patient,
    grant_directly,
    node_client,
    signed_post,
    store_enrollment,
    store_settlement,
    terms_for,
    use_fresh_sealing_key,
)

CLAIM_SCOPES = Scope.SETTLEMENT_SUMMARY | Scope.FUND_BREAKDOWN


@pytest.fixture
def client(bureau_context: BureauContext) -> Iterator[TestClient]:
    with node_client(bureau_context) as client:
        yield client


@pytest.fixture
def sealing_key(network: Network) -> SealingPrivateKey:
    return use_fresh_sealing_key(network, network.insurer)


def request_body(
    leaf: SettlementLeaf, scopes: list[str], purpose: str = "claim"
) -> dict[str, object]:
    return {
        "record_type": "settlement",
        "record_id": "0x" + leaf.settlement_id.hex(),
        "purpose": purpose,
        "scopes": scopes,
    }


def release(
    client: TestClient, context: BureauContext, network: Network, body: Mapping[str, object]
) -> tuple[int, dict[str, Any]]:
    response = signed_post(client, network.insurer, "/v1/releases", body, context.clock())
    return response.status_code, response.json()


def test_release_with_consent_is_sealed_selective_and_proven(
    client: TestClient,
    bureau_context: BureauContext,
    network: Network,
    sealing_key: SealingPrivateKey,
) -> None:
    leaf = store_settlement(bureau_context)
    bind_patient(network)
    grant_directly(network, terms_for(network, network.insurer, CLAIM_SCOPES))

    body = request_body(leaf, ["settlement_summary", "fund_breakdown", "diagnosis"])
    status, answer = release(client, bureau_context, network, body)

    assert status == 200, answer
    assert answer["groups_released"] == ["settlement_summary", "fund_breakdown"]
    assert answer["groups_withheld"] == ["diagnosis"]
    sealed = SealedRecord.from_json_dict(answer["sealed_disclosure"])
    plaintext = open_sealed(sealed, sealing_key, leaf.settlement_id, network.insurer.address)
    disclosure = Disclosure.from_json_dict(json.loads(plaintext))
    # The insurer checks the disclosure against the commitment of the proven leaf, not its own.
    opened = verify_disclosure(disclosure, leaf.record_commitment, expected_groups=CLAIM_SCOPES)
    assert opened == {g: RECORD[g] for g in ("settlement_summary", "fund_breakdown")}
    assert "diagnosis" not in plaintext.decode() and "C34.9" not in plaintext.decode()

    batch = answer["batch"]
    assert isinstance(batch, dict)
    proof = [bytes.fromhex(node[2:]) for node in batch["proof"]]
    root = bytes.fromhex(batch["root"][2:])
    on_chain = network.registries().attestations
    assert on_chain.verify_settlement(root, leaf, proof)
    assert answer["leaf"] == {
        "settlement_id": "0x" + leaf.settlement_id.hex(),
        "pseudonym": "0x" + leaf.pseudonym.hex(),
        "record_commitment": "0x" + leaf.record_commitment.hex(),
        "claim_ceiling_fen": leaf.claim_ceiling_fen,
    }
    receipt = network.w3.eth.get_transaction_receipt(batch["tx_hash"])
    assert receipt["status"] == 1

    [entry] = access_entries(bureau_context)
    assert (entry.outcome, entry.insurer, entry.pseudonym) == (
        "released",
        network.insurer.address,
        leaf.pseudonym,
    )
    assert entry.scopes_released == int(CLAIM_SCOPES)
    assert entry.id == answer["access_log_id"]


def test_enrollment_release_for_underwriting(
    client: TestClient,
    bureau_context: BureauContext,
    network: Network,
    sealing_key: SealingPrivateKey,
) -> None:
    enrollment_id, pseudonym, commitment = store_enrollment(bureau_context)
    bind_patient(network)
    terms = terms_for(network, network.insurer, Scope.ENROLLMENT, Purpose.UNDERWRITING)
    grant_directly(network, terms)
    body = {
        "record_type": "enrollment",
        "record_id": "0x" + enrollment_id.hex(),
        "purpose": "underwriting",
        "scopes": ["enrollment"],
    }

    status, answer = release(client, bureau_context, network, body)

    assert status == 200, answer
    sealed = SealedRecord.from_json_dict(answer["sealed_disclosure"])
    plaintext = open_sealed(sealed, sealing_key, enrollment_id, network.insurer.address)
    opened = verify_disclosure(Disclosure.from_json_dict(json.loads(plaintext)), commitment)
    assert opened == {"enrollment": ENROLLMENT}
    root = bytes.fromhex(answer["batch"]["root"][2:])
    proof = [bytes.fromhex(node[2:]) for node in answer["batch"]["proof"]]
    encoded = encode(list(ENROLLMENT_LEAF_ENCODING), [enrollment_id, pseudonym, commitment])
    assert network.registries().attestations.verify(root, encoded, proof)


def test_sealed_disclosure_opens_for_no_other_insurer(
    client: TestClient,
    bureau_context: BureauContext,
    network: Network,
    sealing_key: SealingPrivateKey,
) -> None:
    leaf = store_settlement(bureau_context)
    bind_patient(network)
    grant_directly(network, terms_for(network, network.insurer, CLAIM_SCOPES))
    status, answer = release(
        client, bureau_context, network, request_body(leaf, ["fund_breakdown"])
    )
    assert status == 200
    sealed = SealedRecord.from_json_dict(answer["sealed_disclosure"])
    with pytest.raises(Exception, match="does not open"):
        open_sealed(
            sealed, SealingPrivateKey.generate(), leaf.settlement_id, network.insurer.address
        )
    with pytest.raises(Exception, match="does not open"):
        open_sealed(sealed, sealing_key, leaf.settlement_id, network.insurer_b.address)


@pytest.mark.parametrize(
    ("situation", "permission"),
    [
        ("no consent", "NO_CONSENT"),
        ("revoked", "REVOKED"),
        ("other purpose", "PURPOSE_NOT_COVERED"),
    ],
)
def test_release_without_permission_is_403_and_logged(
    client: TestClient,
    bureau_context: BureauContext,
    network: Network,
    situation: str,
    permission: str,
) -> None:
    leaf = store_settlement(bureau_context)
    bind_patient(network)
    if situation != "no consent":
        purposes = Purpose.UNDERWRITING if situation == "other purpose" else Purpose.CLAIM
        terms = terms_for(network, network.insurer, CLAIM_SCOPES, purposes)
        grant_directly(network, terms)
        if situation == "revoked":
            consents = network.registries(network.patient).consents
            current = consents.consent_of(terms.pseudonym, network.insurer.address)
            consents.revoke(terms.pseudonym, network.insurer.address, current.consent_id)

    status, answer = release(
        client, bureau_context, network, request_body(leaf, ["fund_breakdown"])
    )

    assert status == 403
    assert answer["error"]["code"] == "consent_missing"
    assert answer["error"]["permission_status"] == permission
    [entry] = access_entries(bureau_context)
    assert (entry.outcome, entry.reason, entry.scopes_released) == ("refused", permission, 0)
    assert entry.pseudonym == leaf.pseudonym


def test_scope_not_covered_is_403_and_logged(
    client: TestClient, bureau_context: BureauContext, network: Network
) -> None:
    leaf = store_settlement(bureau_context)
    bind_patient(network)
    grant_directly(network, terms_for(network, network.insurer, CLAIM_SCOPES))

    status, answer = release(
        client, bureau_context, network, request_body(leaf, ["line_items", "diagnosis"])
    )

    assert status == 403
    assert answer["error"]["permission_status"] == "SCOPE_NOT_COVERED"
    [entry] = access_entries(bureau_context)
    assert (entry.outcome, entry.reason) == ("refused", "SCOPE_NOT_COVERED")


def test_unknown_record_is_404_and_logged(
    client: TestClient, bureau_context: BureauContext, network: Network
) -> None:
    body = {
        "record_type": "settlement",
        "record_id": "0x" + "ab" * 32,
        "purpose": "claim",
        "scopes": ["fund_breakdown"],
    }
    status, answer = release(client, bureau_context, network, body)

    assert status == 404
    assert answer["error"]["code"] == "record_not_found"
    [entry] = access_entries(bureau_context)
    assert (entry.outcome, entry.reason, entry.pseudonym) == ("refused", "record_not_found", None)
    assert entry.record_id == bytes.fromhex("ab" * 32)


def test_record_not_yet_committed_is_409_with_retry_hint(
    client: TestClient, bureau_context: BureauContext, network: Network
) -> None:
    leaf = store_settlement(bureau_context, commit=False)
    bind_patient(network)
    grant_directly(network, terms_for(network, network.insurer, CLAIM_SCOPES))

    response = signed_post(
        client,
        network.insurer,
        "/v1/releases",
        request_body(leaf, ["fund_breakdown"]),
        bureau_context.clock(),
    )

    assert response.status_code == 409
    assert response.json()["error"]["code"] == "not_yet_committed"
    assert int(response.headers["Retry-After"]) > 0
    assert access_entries(bureau_context) == []


def test_unauthenticated_requests_are_401_and_not_logged(
    client: TestClient, bureau_context: BureauContext, network: Network
) -> None:
    leaf = store_settlement(bureau_context)
    bind_patient(network)
    grant_directly(network, terms_for(network, network.insurer, CLAIM_SCOPES))
    body = request_body(leaf, ["fund_breakdown"])
    raw = json.dumps(body).encode()
    now = bureau_context.clock()

    def post(headers: dict[str, str]) -> tuple[int, str]:
        response = client.post(
            "/v1/releases", content=raw, headers={**headers, "Content-Type": "application/json"}
        )
        return response.status_code, response.json().get("error", {}).get("code", "")

    assert post({}) == (401, "missing_signature")
    stale = sign_request(network.insurer, "POST", "/v1/releases", raw, now=now - 120)
    assert post(stale) == (401, "stale_timestamp")
    forged = sign_request(network.insurer, "POST", "/v1/releases", raw, now=now)
    forged[SIGNATURE_HEADER] = sign_request(
        network.insurer, "POST", "/v1/releases", raw + b" ", now=now
    )[SIGNATURE_HEADER]
    assert post(forged) == (401, "bad_signature")
    outsider = sign_request(network.outsider, "POST", "/v1/releases", raw, now=now)
    assert post(outsider) == (401, "unknown_signer")
    good = sign_request(network.insurer, "POST", "/v1/releases", raw, now=now)
    assert post(good) == (200, "")
    assert post(good) == (401, "replayed_nonce")
    # Only the one release is logged; none of the refusals.
    assert [e.outcome for e in access_entries(bureau_context)] == ["released"]


def test_removed_insurer_is_401(
    client: TestClient, bureau_context: BureauContext, network: Network
) -> None:
    leaf = store_settlement(bureau_context)
    network.registries(network.operator).participants.remove(network.insurer.address)
    status, answer = release(
        client, bureau_context, network, request_body(leaf, ["fund_breakdown"])
    )
    assert (status, answer["error"]["code"]) == (401, "unknown_signer")
    assert access_entries(bureau_context) == []


def test_malformed_body_is_422(
    client: TestClient, bureau_context: BureauContext, network: Network
) -> None:
    body = {"record_type": "settlement", "record_id": "0x12", "purpose": "claim", "scopes": []}
    status, answer = release(client, bureau_context, network, body)
    assert status == 422
    assert {p["field"] for p in answer["error"]["problems"]} == {"record_id", "scopes"}


def test_a_release_never_holds_two_connections_of_the_pool(
    bureau_context: BureauContext, network: Network, sealing_key: SealingPrivateKey
) -> None:
    leaf = store_settlement(bureau_context)
    bind_patient(network)
    grant_directly(network, terms_for(network, network.insurer, CLAIM_SCOPES))
    # One connection, no overflow, a short wait: a request that took a second connection
    # while holding the first would time out here (and stall a busy node's whole pool).
    narrow = make_engine(bureau_context.settings.database_url, pool_size=1, max_overflow=0)
    narrow.pool._timeout = 3  # type: ignore[attr-defined]
    node = dataclasses.replace(bureau_context, engine=narrow, sessions=make_session_factory(narrow))
    try:
        with node_client(node) as client:
            body = request_body(leaf, ["settlement_summary"])
            assert release(client, node, network, body)[0] == 200
            missing = {**body, "record_id": "0x" + "ab" * 32}
            assert release(client, node, network, missing)[0] == 404
    finally:
        narrow.dispose()
    assert [entry.outcome for entry in access_entries(bureau_context)] == ["released", "refused"]
