"""Helpers of the release, consent-relay and patient-view tests.

Settlement and access-log batches are committed here directly (rows inserted, root committed
with the bureau's TransactionSender) so these tests do not depend on the clearing publisher;
likewise :func:`send_relay` sends one relay outbox entry the way the publisher will.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import Any

from eth_account.signers.local import LocalAccount
from fastapi.testclient import TestClient
from httpx import Response
from sqlalchemy import select

from trustshare.bureau.access_log import access_log_leaf_hash
from trustshare.bureau.api import insurer as insurer_api
from trustshare.bureau.api import patient as patient_api
from trustshare.bureau.app import create_app
from trustshare.bureau.context import BureauContext
from trustshare.chain.registries import BatchKind, Registries
from trustshare.chain.sender import TransactionSender
from trustshare.crypto.commitment import commit_record
from trustshare.crypto.eip712 import ConsentDomain, ConsentTerms
from trustshare.crypto.hashing import keccak256
from trustshare.crypto.leaves import (
    ENROLLMENT_LEAF_ENCODING,
    SettlementLeaf,
    local_id_of_reference,
    settlement_id,
)
from trustshare.crypto.merkle import StandardMerkleTree
from trustshare.crypto.sealing import SealingPrivateKey
from trustshare.crypto.vocabulary import GROUP_NAMES, Purpose, Scope
from trustshare.gateway.signing import sign_request
from trustshare.storage.database import transaction
from trustshare.storage.models import (
    AccessLogEntry,
    Batch,
    EnrollmentRow,
    OutboxEntry,
    SettlementRow,
)

from ..conftest import Network

PSEUDONYM = keccak256(b"release tests: in production an HMAC of the ID number")
DAY = 86_400

RECORD: dict[str, dict[str, Any]] = {
    "settlement_summary": {"setl_id": "S-1", "total_fen": 1_250_000, "discharged": "2025-03-02"},
    "fund_breakdown": {"basic_fund_fen": 700_000, "critical_illness_fen": 150_000},
    "line_items": {"items": [{"code": "XA01", "amount_fen": 1_250_000}]},
    "diagnosis": {"icd10": "C34.9"},
}

ENROLLMENT: dict[str, Any] = {"insurance_type": "employee", "region": "310000", "valid_to": 2026}


@contextmanager
def node_client(context: BureauContext) -> Iterator[TestClient]:
    """The bureau app with the insurer and patient routers, around ``context``."""
    app = create_app(context.settings, context=context)
    paths = {getattr(route, "path", None) for route in app.routes}
    # The lead mounts these routers in create_app; until then, mount them here.
    if "/v1/releases" not in paths:
        app.include_router(insurer_api.router)
        app.include_router(patient_api.router)
    with TestClient(app) as client:
        yield client


def signed_post(
    client: TestClient, account: LocalAccount, path: str, body: Mapping[str, Any], now: float
) -> Response:
    raw = json.dumps(body).encode()
    headers = sign_request(account, "POST", path, raw, now=now)
    response: Response = client.post(
        path, content=raw, headers={**headers, "Content-Type": "application/json"}
    )
    return response


def signed_get(client: TestClient, account: LocalAccount, path: str, now: float) -> Response:
    response: Response = client.get(path, headers=sign_request(account, "GET", path, b"", now=now))
    return response


def use_fresh_sealing_key(network: Network, insurer: LocalAccount) -> SealingPrivateKey:
    """Rotate ``insurer``'s registered X25519 key to one the test holds."""
    key = SealingPrivateKey.generate()
    participants = network.registries(insurer).participants
    participants.rotate_encryption_key(insurer.address, key.public_key().to_bytes())
    return key


def bind_patient(network: Network, pseudonym: bytes = PSEUDONYM) -> None:
    network.registries(network.bureau).consents.bind_wallet(pseudonym, network.patient.address)


def consent_domain(network: Network) -> ConsentDomain:
    return ConsentDomain(network.w3.eth.chain_id, network.deployment.consent_registry)


def terms_for(
    network: Network,
    insurer: LocalAccount,
    scopes: Scope,
    purposes: Purpose = Purpose.CLAIM,
    pseudonym: bytes = PSEUDONYM,
) -> ConsentTerms:
    now = network.now()
    return ConsentTerms(pseudonym, insurer.address, scopes, purposes, now, now + 30 * DAY)


def grant_directly(network: Network, terms: ConsentTerms) -> None:
    """The patient's wallet grants on chain itself (paying gas)."""
    network.fund(network.patient)
    network.registries(network.patient).consents.grant(terms)


def _commit_root(context: BureauContext, kind: BatchKind, tree: StandardMerkleTree) -> Batch:
    sender = TransactionSender(context.w3, context.account)
    attestations = Registries.connect(context.w3, context.deployment, sender).attestations
    rules_version = bytes.fromhex(context.rules.digest)
    outcome = attestations.commit_batch(kind, tree.root, len(tree), rules_version)
    return Batch(
        kind=kind.name,
        root=tree.root,
        leaf_count=len(tree),
        rules_version=rules_version,
        tree=tree.to_bytes(),
        status="final",
        tx_hash=outcome.tx_hash,
        block_number=outcome.block_number,
    )


def store_settlement(
    context: BureauContext,
    *,
    setl_id: str = "S-1",
    pseudonym: bytes = PSEUDONYM,
    record: dict[str, dict[str, Any]] | None = None,
    claim_ceiling_fen: int = 400_000,
    commit: bool = True,
) -> SettlementLeaf:
    """Store one settlement (and, with ``commit``, a final one-batch tree committed on chain)."""
    fields = record or RECORD
    committed = commit_record(fields)
    leaf = SettlementLeaf(
        settlement_id(context.address, local_id_of_reference(setl_id)),
        pseudonym,
        committed.commitment,
        claim_ceiling_fen,
    )
    # A second leaf so the proof is not empty.
    other = SettlementLeaf(
        settlement_id(context.address, local_id_of_reference(setl_id + "-other")),
        keccak256(b"someone else"),
        keccak256(b"another record"),
        0,
    )
    with transaction(context.sessions) as session:
        batch_id = None
        if commit:
            tree = StandardMerkleTree.from_leaf_hashes([leaf.leaf_hash(), other.leaf_hash()])
            batch = _commit_root(context, BatchKind.SETTLEMENT, tree)
            session.add(batch)
            session.flush()
            batch_id = batch.id
        session.add(
            SettlementRow(
                settlement_id=leaf.settlement_id,
                setl_id=setl_id,
                pseudonym=pseudonym,
                source="test",
                record_json=json.dumps(fields),
                salts=b"".join(committed.salts[g] for g in GROUP_NAMES if g in fields),
                record_commitment=committed.commitment,
                claim_ceiling_fen=claim_ceiling_fen,
                rules_digest=bytes.fromhex(context.rules.digest),
                batch_id=batch_id,
                leaf_index=0 if commit else None,
            )
        )
    return leaf


def store_enrollment(
    context: BureauContext, *, pseudonym: bytes = PSEUDONYM
) -> tuple[bytes, bytes, bytes]:
    """Store one enrollment record in a final ENROLLMENT batch; return its leaf values."""
    committed = commit_record({"enrollment": ENROLLMENT})
    enrollment_id = keccak256(b"enrollment 1")
    values = (enrollment_id, pseudonym, committed.commitment)
    tree = StandardMerkleTree.of(
        [values, (keccak256(b"enrollment 2"), keccak256(b"other"), keccak256(b"other record"))],
        ENROLLMENT_LEAF_ENCODING,
    )
    with transaction(context.sessions) as session:
        batch = _commit_root(context, BatchKind.ENROLLMENT, tree)
        session.add(batch)
        session.flush()
        session.add(
            EnrollmentRow(
                enrollment_id=enrollment_id,
                pseudonym=pseudonym,
                record_json=json.dumps({"enrollment": ENROLLMENT}),
                salts=committed.salts["enrollment"],
                record_commitment=committed.commitment,
                batch_id=batch.id,
                leaf_index=0,
            )
        )
    return values


def commit_access_log(context: BureauContext) -> Batch:
    """Commit every access-log entry not yet in a batch as one ACCESS_LOG batch."""
    with transaction(context.sessions) as session:
        entries = session.scalars(
            select(AccessLogEntry).where(AccessLogEntry.batch_id.is_(None))
        ).all()
        tree = StandardMerkleTree.from_leaf_hashes(access_log_leaf_hash(e) for e in entries)
        batch = _commit_root(context, BatchKind.ACCESS_LOG, tree)
        session.add(batch)
        session.flush()
        for index, entry in enumerate(entries):
            entry.batch_id = batch.id
            entry.leaf_index = index
        return batch


def send_relay(context: BureauContext, outbox_id: int) -> None:
    """Send one relay outbox entry as the publisher will, and mark it done."""
    sender = TransactionSender(context.w3, context.account)
    consents = Registries.connect(context.w3, context.deployment, sender).consents
    with transaction(context.sessions) as session:
        entry = session.get(OutboxEntry, outbox_id)
        assert entry is not None
        payload = json.loads(entry.payload_json)
        signature = bytes.fromhex(payload["signature"][2:])
        if entry.kind == "grant_consent":
            t = payload["terms"]
            terms = ConsentTerms(
                bytes.fromhex(t["pseudonym"][2:]),
                t["insurer"],
                t["scopes"],
                t["purposes"],
                t["not_before"],
                t["not_after"],
            )
            outcome = consents.grant_by_signature(
                terms, payload["nonce"], payload["deadline"], signature
            )
        else:
            outcome = consents.revoke_by_signature(
                bytes.fromhex(payload["pseudonym"][2:]),
                payload["insurer"],
                bytes.fromhex(payload["consent_id"][2:]),
                payload["deadline"],
                signature,
            )
        entry.status = "done"
        entry.tx_hash = outcome.tx_hash
        entry.block_number = outcome.block_number


def access_entries(context: BureauContext) -> list[AccessLogEntry]:
    with transaction(context.sessions) as session:
        return list(session.scalars(select(AccessLogEntry).order_by(AccessLogEntry.id)))
