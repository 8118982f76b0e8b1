"""Helpers of the one-click enrollment and policy-code tests: a real bureau served on loopback.

The bureau node runs its real app (uvicorn in a thread) and is registered on chain as its
endpoint; the test patient is enrolled through the bureau's operator API and the enrollment is
committed in an ENROLLMENT batch by the bureau's own publisher.
"""

from __future__ import annotations

import datetime as dt
import json
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import httpx
from eth_account.signers.local import LocalAccount
from fastapi import FastAPI
from fastapi.testclient import TestClient

from trustshare.bureau.app import create_app as create_bureau_app
from trustshare.bureau.context import BureauContext
from trustshare.bureau.publisher import Publisher
from trustshare.crypto.eip712 import ConsentTerms
from trustshare.crypto.vocabulary import Purpose, Scope
from trustshare.gateway.signing import sign_request
from trustshare.insurer import api_policies
from trustshare.insurer.app import create_app
from trustshare.insurer.bureau_client import BureauClient
from trustshare.insurer.context import InsurerContext
from trustshare.insurer.enrollment import today

from ..bureau.hospital_support import ID_NUMBER, PATIENT_PSEUDONYM, serve
from ..bureau.operations_support import operator_client
from ..conftest import Network

DAY = dt.timedelta(days=1)


def insurer_app(context: InsurerContext) -> FastAPI:
    """The insurer app with the patients' router (until the lead mounts it in create_app)."""
    app = create_app(context.settings, context=context)
    if not any(getattr(route, "path", "") == "/v1/enrollments" for route in app.routes):
        app.include_router(api_policies.router)
    return app


@contextmanager
def patients_client(
    context: InsurerContext, *, transport: httpx.BaseTransport | None = None
) -> Iterator[TestClient]:
    """A client of the insurer app; its bureau requests go through ``transport`` if given."""
    app = insurer_app(context)
    if transport is not None:
        app.state.bureau_client = BureauClient(
            context.keystore, context.registries, http=httpx.Client(transport=transport)
        )
    with TestClient(app) as client:
        yield client


@contextmanager
def served_bureau(bureau_context: BureauContext, network: Network) -> Iterator[str]:
    """The real bureau app on loopback, registered on chain as the bureau's endpoint."""
    with serve(create_bureau_app(bureau_context.settings, context=bureau_context)) as url:
        network.registries(network.operator).participants.update_endpoint(
            network.bureau.address, url
        )
        yield url


def register_sealing_key(network: Network, context: InsurerContext) -> None:
    """Register the node's current sealing key on chain (as ``insurer keygen`` tells one to)."""
    participants = network.registries(network.insurer).participants
    participants.rotate_encryption_key(context.address, context.keystore.current.public.to_bytes())


def enroll_patient(
    bureau_context: BureauContext,
    *,
    valid_from: dt.date | None = None,
    valid_to: dt.date | None = None,
    region: str = "beijing",
    commit: bool = True,
) -> str:
    """Enroll the test patient at the bureau (committed on chain unless told not to); the id."""
    now = today(time.time())
    body = {
        "id_number": ID_NUMBER,
        "insurance_type": "employee",
        "person_category": "general",
        "region": region,
        "valid_from": (valid_from or now - 30 * DAY).isoformat(),
        "valid_to": (valid_to or now + 300 * DAY).isoformat(),
    }
    with operator_client(bureau_context) as operator:
        answer = operator.post("/v1/enrollments", json=body)
    assert answer.status_code == 201, answer.text
    if commit:
        Publisher(bureau_context).run_once()
    return str(answer.json()["enrollment_id"])


def consent(
    network: Network,
    scopes: Scope = Scope.ENROLLMENT,
    purposes: Purpose = Purpose.UNDERWRITING,
) -> None:
    """Bind the patient's wallet (by the bureau); grant the insurer ``scopes`` for ``purposes``."""
    consents = network.registries(network.bureau).consents
    wallet, _ = consents.binding_of(PATIENT_PSEUDONYM)
    if int(wallet, 16) == 0:
        consents.bind_wallet(PATIENT_PSEUDONYM, network.patient.address)
    if not scopes:
        return
    now = network.now()
    terms = ConsentTerms(
        PATIENT_PSEUDONYM, network.insurer.address, scopes, purposes, now, now + 30 * 86_400
    )
    network.fund(network.patient)
    network.registries(network.patient).consents.grant(terms)


def signed_post(
    client: TestClient, account: LocalAccount, path: str, body: dict[str, Any] | None = None
) -> Any:
    """POST ``body`` (none: an empty body) to ``path``, signed by ``account``."""
    raw = b"" if body is None else json.dumps(body).encode()
    headers = sign_request(account, "POST", path, raw, now=time.time())
    headers["Content-Type"] = "application/json"
    return client.post(path, content=raw, headers=headers)


def ask_for_policy(client: TestClient, product: str, *, signer: LocalAccount, **extra: Any) -> Any:
    """The patient's app asks for ``product`` (signed by ``signer``)."""
    body = {"pseudonym": "0x" + PATIENT_PSEUDONYM.hex(), "product": product, **extra}
    return signed_post(client, signer, "/v1/enrollments", body)
