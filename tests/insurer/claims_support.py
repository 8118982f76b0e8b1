"""Helpers of the fast-claim tests: a real bureau served on loopback, records, consents, clients.

A claim record is the Beijing example bill settled by the engine with only the enterprise
supplementary product: its national record in ``fund_breakdown.record`` (as a hospital-confirmed
record keeps it) and the engine's answer for that product is what a fast claim must pay.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from decimal import Decimal
from typing import Any

import pytest
from fastapi.testclient import TestClient
from httpx import Response
from sqlalchemy import select

from trustshare.bureau.api import insurer as insurer_api
from trustshare.bureau.app import create_app as create_bureau_app
from trustshare.bureau.context import BureauContext
from trustshare.crypto.leaves import SETTLEMENT_LEAF_ENCODING, SettlementLeaf
from trustshare.crypto.merkle import StandardMerkleTree
from trustshare.crypto.vocabulary import Scope
from trustshare.domain import parse_bill, settle
from trustshare.insurer import api_claims
from trustshare.insurer.app import create_app
from trustshare.insurer.context import InsurerContext
from trustshare.storage.database import transaction
from trustshare.storage.insurer_models import ClaimRow, PayoutRow
from trustshare.storage.models import Batch, SettlementRow

from ..bureau.hospital_support import beijing_bill, serve
from ..bureau.release_support import (
    PSEUDONYM,
    bind_patient,
    grant_directly,
    store_settlement,
    terms_for,
)
from ..conftest import Network
from .conftest import OPERATOR_TOKEN
from .realtime_support import PRODUCT, give_policy

CLAIM_SCOPES = Scope.SETTLEMENT_SUMMARY | Scope.FUND_BREAKDOWN


def claim_record() -> tuple[dict[str, dict[str, Any]], int, int]:
    """The record's groups, what the enterprise product pays on it, and its claim ceiling."""
    bill = beijing_bill(products=True, setl_id="S-CLAIM")
    bill["products"] = [holding for holding in bill["products"] if holding["product"] == PRODUCT]
    settled = settle(parse_bill(json.loads(json.dumps(bill), parse_float=Decimal)))
    (payment,) = settled.commercial
    groups = {
        "settlement_summary": {
            "setl_id": "S-CLAIM",
            "med_type": settled.bill.visit_type.value,
            "medfee_sumamt": settled.record.medfee_sumamt,
            "claim_ceiling_fen": settled.claim_ceiling_fen,
        },
        "fund_breakdown": {"record": settled.record.to_dict()},
    }
    return groups, payment.paid_fen, settled.claim_ceiling_fen


@contextmanager
def bureau_served(bureau_context: BureauContext, network: Network) -> Iterator[str]:
    """The real bureau node on a loopback port, registered on chain as the bureau's endpoint."""
    app = create_bureau_app(bureau_context.settings, context=bureau_context)
    if "/v1/releases" not in {getattr(route, "path", None) for route in app.routes}:
        app.include_router(insurer_api.router)  # until the lead mounts it in create_app
    with serve(app) as url:
        point_bureau_at(network, url)
        yield url


def point_bureau_at(network: Network, url: str) -> None:
    """Register ``url`` as the bureau's endpoint (the operator does)."""
    participants = network.registries(network.operator).participants
    participants.update_endpoint(network.bureau.address, url)


def register_sealing_key(network: Network, context: InsurerContext) -> None:
    """Register the node's current sealing key on chain as the insurer's encryption key."""
    participants = network.registries(network.insurer).participants
    participants.rotate_encryption_key(
        network.insurer.address, context.keystore.current.public.to_bytes()
    )


def consent_to_claims(network: Network, insurer: Any = None) -> None:
    """The patient binds a wallet and grants ``insurer`` (default: the test insurer) CLAIM."""
    wallet, _ = network.registries().consents.binding_of(PSEUDONYM)
    if int(wallet, 16) == 0:
        bind_patient(network)
    grant_directly(network, terms_for(network, insurer or network.insurer, CLAIM_SCOPES))


def ready_insurer(network: Network, context: InsurerContext, *, consent: bool = True) -> None:
    """Sealing key registered, a policy for the patient, and (by default) CLAIM consent."""
    register_sealing_key(network, context)
    give_policy(context, pseudonym=PSEUDONYM)
    if consent:
        consent_to_claims(network)


@contextmanager
def claims_client(context: InsurerContext) -> Iterator[TestClient]:
    """The insurer app, authenticated as the node's claims staff (operator token)."""
    app = create_app(context.settings, context=context)
    with TestClient(app, headers={"Authorization": f"Bearer {OPERATOR_TOKEN}"}) as client:
        yield client


def post_claim(client: TestClient, settlement_id: bytes, key: str, **body: Any) -> Response:
    """``POST /v1/claims`` for the settlement under ``key`` (product given unless told)."""
    document = {"settlement_id": "0x" + settlement_id.hex(), "product": PRODUCT, **body}
    response: Response = client.post(
        api_claims.CLAIMS_PATH, json=document, headers={"Idempotency-Key": key}
    )
    return response


def batch_proof(bureau_context: BureauContext, settlement_id: bytes) -> tuple[bytes, list[bytes]]:
    """The settlement's batch root and leaf proof, from the bureau's stored tree."""
    with transaction(bureau_context.sessions) as session:
        row = session.scalars(
            select(SettlementRow).where(SettlementRow.settlement_id == settlement_id)
        ).one()
        batch = session.get_one(Batch, row.batch_id)
        tree = StandardMerkleTree.from_bytes(batch.tree, leaf_encoding=SETTLEMENT_LEAF_ENCODING)
        return batch.root, tree.proof(row.leaf_index or 0)


def claim_of(context: InsurerContext, settlement_id: bytes) -> ClaimRow:
    """The node's claim row of ``settlement_id``."""
    with context.sessions() as session:
        return session.scalars(
            select(ClaimRow).where(ClaimRow.settlement_id == settlement_id)
        ).one()


def ledger(context: InsurerContext) -> list[PayoutRow]:
    """Every payouts-ledger row."""
    with context.sessions() as session:
        return list(session.scalars(select(PayoutRow).order_by(PayoutRow.id)))


def revoke_claims_consent(network: Network, insurer: Any = None) -> None:
    """The patient's wallet revokes ``insurer``'s (default: the test insurer's) consent."""
    address = (insurer or network.insurer).address
    consents = network.registries(network.patient).consents
    consent_id = consents.consent_of(PSEUDONYM, address).consent_id
    consents.revoke(PSEUDONYM, address, consent_id)


@pytest.fixture
def bureau_url(bureau_context: BureauContext, network: Network) -> Iterator[str]:
    """The real bureau served on loopback for the test."""
    with bureau_served(bureau_context, network) as url:
        yield url


@pytest.fixture
def claimable(
    bureau_context: BureauContext, insurer_context: InsurerContext, network: Network
) -> SettlementLeaf:
    """A committed claim record of the patient, a policy, the insurer's key and CLAIM consent."""
    ready_insurer(network, insurer_context)
    groups, _, ceiling = claim_record()
    return store_settlement(
        bureau_context, setl_id="S-CLAIM", record=groups, claim_ceiling_fen=ceiling
    )
