"""``POST /v1/releases/bulk``: many records in one signed request, each as if asked alone."""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Iterator, Mapping, Sequence
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, event

from trustshare.bureau.chain_cache import SigningInsurers
from trustshare.bureau.context import BureauContext
from trustshare.crypto.commitment import Disclosure, verify_disclosure
from trustshare.crypto.hashing import keccak256
from trustshare.crypto.leaves import SettlementLeaf
from trustshare.crypto.sealing import SealedRecord, SealingPrivateKey, open_sealed
from trustshare.crypto.vocabulary import Scope
from trustshare.storage.database import make_engine, make_session_factory

from ..conftest import Network
from . import release_support as support

CLAIM_SCOPES = Scope.SETTLEMENT_SUMMARY | Scope.FUND_BREAKDOWN
STRANGER = keccak256(b"bulk release tests: a patient who consented to nobody")
UNKNOWN = "0x" + "ab" * 32
BULK = "/v1/releases/bulk"


class FrozenClock:
    """A clock that moves only when told: the insurer cache stays warm until it does."""

    def __init__(self) -> None:
        self.now = 1_000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock(bureau_context: BureauContext) -> FrozenClock:
    frozen = FrozenClock()
    participants = bureau_context.registries.participants
    bureau_context.signing_insurers = SigningInsurers(participants, clock=frozen)
    return frozen


@pytest.fixture
def client(bureau_context: BureauContext, clock: FrozenClock) -> Iterator[TestClient]:
    with support.node_client(bureau_context) as client:
        yield client


@pytest.fixture
def sealing_key(network: Network) -> SealingPrivateKey:
    return support.use_fresh_sealing_key(network, network.insurer)


def hex_id(leaf: SettlementLeaf) -> str:
    return "0x" + leaf.settlement_id.hex()


def bulk_body(record_ids: Sequence[str], scopes: Sequence[str] = ("fund_breakdown",)) -> Any:
    return {
        "record_type": "settlement",
        "record_ids": list(record_ids),
        "purpose": "claim",
        "scopes": list(scopes),
    }


def post(
    client: TestClient,
    context: BureauContext,
    network: Network,
    body: Mapping[str, Any],
    path: str = BULK,
) -> tuple[int, Any]:
    response = support.signed_post(client, network.insurer, path, body, context.clock())
    return response.status_code, response.json()


def consent_to_claims(network: Network) -> None:
    support.bind_patient(network)
    support.grant_directly(network, support.terms_for(network, network.insurer, CLAIM_SCOPES))


def opened(
    network: Network, release: Mapping[str, Any], key: SealingPrivateKey, leaf: SettlementLeaf
) -> dict[str, Any]:
    """What the insurer reads in ``release``, once it has checked it as the insurer node does."""
    batch = release["batch"]
    root, *proof = (bytes.fromhex(node[2:]) for node in [batch["root"], *batch["proof"]])
    assert network.registries().attestations.verify_settlement(root, leaf, proof)
    sealed = SealedRecord.from_json_dict(release["sealed_disclosure"])
    text = open_sealed(sealed, key, leaf.settlement_id, network.insurer.address)
    groups: dict[str, Any] = verify_disclosure(
        Disclosure.from_json_dict(json.loads(text)), leaf.record_commitment
    )
    return groups


class AccessLogCommits:
    """How many committed transactions wrote access-log rows (engine events, no fakes)."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.writing: set[int] = set()
        self.count = 0

    def __enter__(self) -> AccessLogCommits:
        event.listen(self.engine, "before_cursor_execute", self._statement)
        event.listen(self.engine, "commit", self._commit)
        return self

    def __exit__(self, *_: object) -> None:
        event.remove(self.engine, "before_cursor_execute", self._statement)
        event.remove(self.engine, "commit", self._commit)

    def _statement(self, connection: Any, _c: Any, statement: str, *_: Any) -> None:
        if statement.lstrip().upper().startswith("INSERT INTO ACCESS_LOG"):
            self.writing.add(id(connection))

    def _commit(self, connection: Any) -> None:
        if id(connection) in self.writing:
            self.writing.discard(id(connection))
            self.count += 1


def test_each_record_gets_what_it_would_alone_and_the_log_is_written_at_once(
    client: TestClient,
    bureau_context: BureauContext,
    network: Network,
    sealing_key: SealingPrivateKey,
) -> None:
    first = support.store_settlement(bureau_context, setl_id="S-1")
    second = support.store_settlement(bureau_context, setl_id="S-2")
    stranger = support.store_settlement(bureau_context, setl_id="S-3", pseudonym=STRANGER)
    pending = support.store_settlement(bureau_context, setl_id="S-4", commit=False)
    consent_to_claims(network)
    asked = [hex_id(first), UNKNOWN, hex_id(stranger), hex_id(pending), hex_id(second)]
    scopes = ["settlement_summary", "fund_breakdown", "diagnosis"]

    with AccessLogCommits(bureau_context.engine) as commits:
        status, answer = post(client, bureau_context, network, bulk_body(asked, scopes))

    assert status == 200, answer
    items = answer["releases"]
    assert [(i["record_id"], i["status"]) for i in items] == list(
        zip(asked, [200, 404, 403, 409, 200], strict=True)
    )
    assert items[1]["error"]["code"] == "record_not_found"
    assert items[2]["error"]["code"] == "consent_missing"
    assert items[2]["error"]["permission_status"] == "NO_CONSENT"
    assert items[3]["error"]["code"] == "not_yet_committed"
    assert items[3]["retry_after"] == 5
    for item, leaf in ((items[0], first), (items[4], second)):
        release = item["release"]
        assert (release["groups_released"], release["groups_withheld"]) == (
            ["settlement_summary", "fund_breakdown"],
            ["diagnosis"],
        )
        assert opened(network, release, sealing_key, leaf) == {
            group: support.RECORD[group] for group in ("settlement_summary", "fund_breakdown")
        }

    entries = support.access_entries(bureau_context)
    assert [(e.record_id, e.outcome, e.reason) for e in entries] == [
        (first.settlement_id, "released", ""),
        (bytes.fromhex(UNKNOWN[2:]), "refused", "record_not_found"),
        (stranger.settlement_id, "refused", "NO_CONSENT"),
        (second.settlement_id, "released", ""),
    ]
    assert [entries[0].id, entries[3].id] == [
        items[0]["release"]["access_log_id"],
        items[4]["release"]["access_log_id"],
    ]
    assert [e.pseudonym for e in entries] == [first.pseudonym, None, STRANGER, second.pseudonym]
    assert commits.count == 1

    # The single endpoint answers the same for the same record (but a fresh seal and log id).
    status, alone = post(
        client, bureau_context, network, single_body(second, scopes), path="/v1/releases"
    )
    assert status == 200
    assert without_seal_and_log_id(alone) == without_seal_and_log_id(items[4]["release"])
    for index, error_item in ((1, UNKNOWN), (2, hex_id(stranger)), (3, hex_id(pending))):
        body = {**single_body(second, scopes), "record_id": error_item}
        status, refusal = post(client, bureau_context, network, body, path="/v1/releases")
        assert (status, refusal) == (items[index]["status"], {"error": items[index]["error"]})


def single_body(leaf: SettlementLeaf, scopes: Sequence[str]) -> dict[str, Any]:
    body: dict[str, Any] = bulk_body([], scopes)
    del body["record_ids"]
    return {**body, "record_id": hex_id(leaf)}


def without_seal_and_log_id(release: Mapping[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in release.items() if k not in ("sealed_disclosure", "access_log_id")}


@pytest.mark.parametrize(
    ("record_ids", "field", "words"),
    [
        ([UNKNOWN, "0x" + "01" * 32, "0x" + "AB" * 32], "record_ids[2]", "twice"),
        (["0x" + f"{n:064x}" for n in range(201)], "record_ids", "at most 200"),
        ([UNKNOWN, "0x12"], "record_ids[1]", "pattern"),
        ([], "record_ids", "at least 1"),
    ],
    ids=["duplicate", "above 200", "bad id", "none"],
)
def test_a_bad_list_of_ids_is_422_naming_it_and_logs_nothing(
    client: TestClient,
    bureau_context: BureauContext,
    network: Network,
    record_ids: list[str],
    field: str,
    words: str,
) -> None:
    status, answer = post(client, bureau_context, network, bulk_body(record_ids))

    assert status == 422
    [problem] = answer["error"]["problems"]
    assert problem["field"] == field
    assert words in problem["message"]
    assert support.access_entries(bureau_context) == []


def test_unsigned_or_foreign_requests_are_401_and_log_nothing(
    client: TestClient, bureau_context: BureauContext, network: Network
) -> None:
    body = bulk_body([hex_id(support.store_settlement(bureau_context))])
    consent_to_claims(network)

    unsigned = client.post(BULK, json=body)
    outsider = support.signed_post(client, network.outsider, BULK, body, bureau_context.clock())

    assert (unsigned.status_code, unsigned.json()["error"]["code"]) == (401, "missing_signature")
    assert (outsider.status_code, outsider.json()["error"]["code"]) == (401, "unknown_signer")
    assert support.access_entries(bureau_context) == []


def test_a_revocation_is_refused_in_the_next_bulk_though_the_insurer_is_cached(
    client: TestClient, bureau_context: BureauContext, network: Network, clock: FrozenClock
) -> None:
    leaf = support.store_settlement(bureau_context)
    consent_to_claims(network)
    status, answer = post(client, bureau_context, network, bulk_body([hex_id(leaf)]))
    assert (status, answer["releases"][0]["status"]) == (200, 200)

    consents = network.registries(network.patient).consents
    current = consents.consent_of(leaf.pseudonym, network.insurer.address)
    consents.revoke(leaf.pseudonym, network.insurer.address, current.consent_id)
    status, answer = post(client, bureau_context, network, bulk_body([hex_id(leaf)]))

    # The clock has not moved: the signer's record came from the cache, the consent did not.
    assert status == 200
    [item] = answer["releases"]
    assert (item["status"], item["error"]["permission_status"]) == (403, "REVOKED")
    assert [e.reason for e in support.access_entries(bureau_context)] == ["", "REVOKED"]


def test_an_insurer_removed_while_cached_gets_nothing_and_is_401_after_the_ttl(
    client: TestClient, bureau_context: BureauContext, network: Network, clock: FrozenClock
) -> None:
    leaf = support.store_settlement(bureau_context)
    consent_to_claims(network)
    assert post(client, bureau_context, network, bulk_body([hex_id(leaf)]))[0] == 200

    network.registries(network.operator).participants.remove(network.insurer.address)
    status, answer = post(client, bureau_context, network, bulk_body([hex_id(leaf)]))

    # Still cached as active, so the request is heard — and the consent check refuses it.
    assert status == 200
    [item] = answer["releases"]
    assert (item["status"], item["error"]["permission_status"]) == (403, "INSURER_INACTIVE")
    clock.now += 2.0
    status, answer = post(client, bureau_context, network, bulk_body([hex_id(leaf)]))
    assert (status, answer["error"]["code"]) == (401, "unknown_signer")
    assert [e.reason for e in support.access_entries(bureau_context)] == ["", "INSURER_INACTIVE"]


@pytest.fixture
def one_connection_node(bureau_context: BureauContext) -> Iterator[BureauContext]:
    """The node with a pool of ONE connection, no overflow, a 3 s wait for it: a request that
    took a second connection while holding the first would time out (and, on a busy node,
    stall the whole pool)."""
    engine = make_engine(
        bureau_context.settings.database_url, pool_size=1, max_overflow=0, pool_timeout=3
    )
    yield dataclasses.replace(bureau_context, engine=engine, sessions=make_session_factory(engine))
    engine.dispose()


def test_a_bulk_release_never_holds_two_connections_of_the_pool(
    one_connection_node: BureauContext, network: Network, sealing_key: SealingPrivateKey
) -> None:
    node = one_connection_node
    released = support.store_settlement(node, setl_id="S-1")
    pending = support.store_settlement(node, setl_id="S-2", commit=False)
    consent_to_claims(network)

    with support.node_client(node) as client:
        body = bulk_body([hex_id(released), UNKNOWN, hex_id(pending)])
        status, answer = post(client, node, network, body)

    assert status == 200
    assert [item["status"] for item in answer["releases"]] == [200, 404, 409]
    assert [e.outcome for e in support.access_entries(node)] == ["released", "refused"]
