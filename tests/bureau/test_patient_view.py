"""The patient's view of who accessed their records, with proofs that each entry is committed."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from eth_abi.abi import encode
from fastapi.testclient import TestClient

from trustshare.bureau.context import BureauContext
from trustshare.chain.registries import BatchKind
from trustshare.crypto.canonical_json import canonical_json
from trustshare.crypto.hashing import keccak256
from trustshare.crypto.leaves import ACCESS_LOG_LEAF_ENCODING
from trustshare.crypto.merkle import standard_leaf_hash, verify
from trustshare.crypto.vocabulary import Scope
from trustshare.gateway.signing import sign_request

from ..conftest import Network
from .release_support import (
    PSEUDONYM,
    bind_patient,
    commit_access_log,
    grant_directly,
    node_client,
    signed_get,
    signed_post,
    store_settlement,
    terms_for,
    use_fresh_sealing_key,
)

LOG_PATH = f"/v1/patients/0x{PSEUDONYM.hex()}/access-log"


@pytest.fixture
def client(bureau_context: BureauContext) -> Iterator[TestClient]:
    with node_client(bureau_context) as client:
        yield client


def ask(
    client: TestClient, context: BureauContext, network: Network, setl_hex: str, scopes: list[str]
) -> int:
    body = {
        "record_type": "settlement",
        "record_id": setl_hex,
        "purpose": "claim",
        "scopes": scopes,
    }
    return signed_post(client, network.insurer, "/v1/releases", body, context.clock()).status_code


def test_patient_sees_each_access_with_a_proof_of_commitment(
    client: TestClient, bureau_context: BureauContext, network: Network
) -> None:
    use_fresh_sealing_key(network, network.insurer)
    leaf = store_settlement(bureau_context)
    setl_hex = "0x" + leaf.settlement_id.hex()
    bind_patient(network)
    grant_directly(network, terms_for(network, network.insurer, Scope.FUND_BREAKDOWN))
    assert ask(client, bureau_context, network, setl_hex, ["fund_breakdown"]) == 200
    assert ask(client, bureau_context, network, setl_hex, ["diagnosis"]) == 403
    # An unknown record names no patient: it is logged but is nobody's entry.
    assert ask(client, bureau_context, network, "0x" + "cd" * 32, ["diagnosis"]) == 404
    batch = commit_access_log(bureau_context)
    assert ask(client, bureau_context, network, setl_hex, ["line_items"]) == 403

    response = signed_get(client, network.patient, LOG_PATH, bureau_context.clock())

    assert response.status_code == 200, response.json()
    entries = response.json()["entries"]
    assert [(e["fields"]["outcome"], e["fields"]["reason"]) for e in entries] == [
        ("released", ""),
        ("refused", "SCOPE_NOT_COVERED"),
        ("refused", "SCOPE_NOT_COVERED"),
    ]
    assert {e["fields"]["insurer"] for e in entries} == {network.insurer.address}
    assert {e["fields"]["record_id"] for e in entries} == {setl_hex}
    attestations = network.registries().attestations
    for entry in entries[:2]:
        # The patient recomputes the entry hash and the leaf from the fields alone.
        entry_hash = keccak256(canonical_json(entry["fields"]))
        assert entry["entry_hash"] == "0x" + entry_hash.hex()
        values = (entry["id"], PSEUDONYM, entry_hash)
        commitment = entry["commitment"]
        assert commitment["status"] == "committed"
        root = bytes.fromhex(commitment["batch_root"][2:])
        proof = [bytes.fromhex(node[2:]) for node in commitment["proof"]]
        assert root == batch.root
        assert verify(root, standard_leaf_hash(ACCESS_LOG_LEAF_ENCODING, values), proof)
        assert attestations.verify(root, encode(list(ACCESS_LOG_LEAF_ENCODING), values), proof)
        assert attestations.batch_of(root).kind is BatchKind.ACCESS_LOG
        assert commitment["tx_hash"] == batch.tx_hash
    assert entries[2]["commitment"] == {"status": "pending"}


def test_pages_follow_on_from_next_after(
    client: TestClient, bureau_context: BureauContext, network: Network
) -> None:
    leaf = store_settlement(bureau_context)
    bind_patient(network)
    for _ in range(3):
        ask(client, bureau_context, network, "0x" + leaf.settlement_id.hex(), ["diagnosis"])

    first = signed_get(client, network.patient, LOG_PATH + "?limit=2", bureau_context.clock())
    page = first.json()
    assert first.status_code == 200 and len(page["entries"]) == 2
    rest = signed_get(
        client,
        network.patient,
        f"{LOG_PATH}?after={page['next_after']}&limit=2",
        bureau_context.clock(),
    ).json()
    assert len(rest["entries"]) == 1 and rest["next_after"] is None
    ids = [e["id"] for e in page["entries"] + rest["entries"]]
    assert ids == sorted(set(ids))


def test_only_the_bound_wallet_may_read_the_log(
    client: TestClient, bureau_context: BureauContext, network: Network
) -> None:
    bind_patient(network)
    now = bureau_context.clock()
    insurer = signed_get(client, network.insurer, LOG_PATH, now)
    assert (insurer.status_code, insurer.json()["error"]["code"]) == (401, "unknown_signer")
    unsigned = client.get(LOG_PATH)
    assert (unsigned.status_code, unsigned.json()["error"]["code"]) == (401, "missing_signature")
    # The signature covers the query: a changed page is a different request.
    headers = sign_request(network.patient, "GET", LOG_PATH + "?limit=1", b"", now=now)
    tampered = client.get(LOG_PATH + "?limit=2", headers=headers)
    assert (tampered.status_code, tampered.json()["error"]["code"]) == (401, "bad_signature")


def test_unbound_pseudonym_is_404(
    client: TestClient, bureau_context: BureauContext, network: Network
) -> None:
    response = signed_get(client, network.patient, LOG_PATH, bureau_context.clock())
    assert (response.status_code, response.json()["error"]["code"]) == (404, "pseudonym_unbound")
