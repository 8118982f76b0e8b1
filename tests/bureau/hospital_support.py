"""Helpers of the hospital-path tests: the app with the hospital router, bills, a test insurer.

The test insurer is a real insurer node in miniature: a FastAPI app served by uvicorn on a free
loopback port in a thread, registered on chain as the insurer's endpoint, that verifies the
bureau's signed request and answers as the test tells it to (authorise all, part, nothing,
fail, or sleep past the deadline).
"""

from __future__ import annotations

import copy
import json
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import uvicorn
from eth_account.signers.local import LocalAccount
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse
from fastapi.testclient import TestClient

from trustshare.bureau.api import hospital as hospital_api
from trustshare.bureau.app import create_app
from trustshare.bureau.context import BureauContext
from trustshare.crypto.eip712 import ConsentTerms
from trustshare.crypto.policy_code import PolicyCode, PolicyCodeDomain, sign_policy_code
from trustshare.crypto.pseudonym import PseudonymKey, pseudonym_of
from trustshare.crypto.vocabulary import Purpose, Scope
from trustshare.gateway.realtime_contract import (
    REALTIME_AUTHORISATION_PATH,
    RealtimeAuthorisationRequest,
)
from trustshare.gateway.signing import verify_request

from ..conftest import Network
from .conftest import HOSPITAL_TOKEN, PSEUDONYM_KEY_HEX

EXAMPLES = Path(__file__).resolve().parents[2] / "docs" / "examples"
ID_NUMBER = "11010519491231002X"
"""A well-formed resident ID number (GB 11643 check digit) of nobody in particular."""
PATIENT_PSEUDONYM = pseudonym_of(ID_NUMBER, PseudonymKey.from_hex(PSEUDONYM_KEY_HEX))
HOSPITAL = {"Authorization": f"Bearer {HOSPITAL_TOKEN}"}
DAY = 86_400


@contextmanager
def hospital_client(context: BureauContext) -> Iterator[TestClient]:
    """The bureau app with the hospital router, around ``context``."""
    app = create_app(context.settings, context=context)
    paths = {getattr(route, "path", None) for route in app.routes}
    # The lead mounts the router in create_app; until then, mount it here.
    if "/v1/settlements" not in paths:
        app.include_router(hospital_api.router)
    with TestClient(app) as client:
        yield client


def beijing_bill(*, products: bool = False, setl_id: str | None = None) -> dict[str, Any]:
    """The Beijing inpatient example bill, with or without its two commercial products.

    Without ``setl_id`` the bureau assigns the settlement number.
    """
    bill: dict[str, Any] = json.loads((EXAMPLES / "bill-beijing-inpatient.json").read_text())
    if not products:
        bill["products"] = []
    bill.pop("setl_id")
    if setl_id is not None:
        bill["setl_id"] = setl_id
    return bill


def settlement_body(bill: dict[str, Any], **extra: Any) -> dict[str, Any]:
    """A trial/confirm body for ``bill`` and the test patient."""
    return {"id_number": ID_NUMBER, "bill": copy.deepcopy(bill), **extra}


def confirm(client: TestClient, body: dict[str, Any], key: str) -> Any:
    """POST a confirmation with ``key``."""
    return client.post("/v1/settlements", json=body, headers={**HOSPITAL, "Idempotency-Key": key})


def policy_code(
    network: Network,
    insurer: LocalAccount,
    product: str,
    *,
    pseudonym: bytes = PATIENT_PSEUDONYM,
    expires_in: int = 600,
    signer: LocalAccount | None = None,
) -> dict[str, Any]:
    """A 商保码 for ``product`` signed by ``signer`` (the insurer unless given), as presented."""
    domain = PolicyCodeDomain(network.deployment.chain_id, network.deployment.participants)
    code = PolicyCode(
        pseudonym, insurer.address, product, f"P-{product}", int(time.time()) + expires_in
    )
    return sign_policy_code(signer or insurer, domain, code).to_json_dict()


def consent_to_direct_settlement(network: Network, insurer: LocalAccount) -> None:
    """Bind the test patient's wallet and grant ``insurer`` DIRECT_SETTLEMENT of the summary."""
    consents = network.registries(network.bureau).consents
    wallet, _ = consents.binding_of(PATIENT_PSEUDONYM)
    if int(wallet, 16) == 0:
        consents.bind_wallet(PATIENT_PSEUDONYM, network.patient.address)
    now = network.now()
    terms = ConsentTerms(
        PATIENT_PSEUDONYM,
        insurer.address,
        Scope.SETTLEMENT_SUMMARY,
        Purpose.DIRECT_SETTLEMENT,
        now,
        now + 30 * DAY,
    )
    network.fund(network.patient)
    network.registries(network.patient).consents.grant(terms)


@dataclass
class _MemoryNonces:
    seen: set[tuple[str, str]] = field(default_factory=set)

    def use(self, signer: str, nonce: str, *, now: float, keep_seconds: float) -> bool:
        if (signer, nonce) in self.seen:
            return False
        self.seen.add((signer, nonce))
        return True


@dataclass
class TestInsurer:
    """How the test insurer answers, and what it was asked."""

    __test__ = False  # not a test class

    bureau: str
    mode: str = "authorise"
    """authorise | half | zero | fail | sleep | over"""
    sleep_s: float = 0.0
    requests: list[RealtimeAuthorisationRequest] = field(default_factory=list)
    url: str = ""

    def app(self) -> FastAPI:
        app = FastAPI()
        nonces = _MemoryNonces()

        @app.post(REALTIME_AUTHORISATION_PATH)
        async def authorise(request: Request) -> JSONResponse:
            body = await request.body()
            verify_request(
                "POST",
                request.url.path,
                body,
                dict(request.headers),
                now=time.time(),
                nonces=nonces,
                may_sign=lambda signer: signer == self.bureau,
            )
            asked = RealtimeAuthorisationRequest.model_validate_json(body)
            self.requests.append(asked)
            if self.mode == "sleep":
                time.sleep(self.sleep_s)  # blocks this server's loop: a stuck insurer node
            if self.mode == "fail":
                return JSONResponse({"error": "down"}, status_code=503)
            amount = {
                "authorise": asked.computed_fen,
                "half": asked.computed_fen // 2,
                "zero": 0,
                "over": asked.computed_fen + 1,
                "sleep": asked.computed_fen,
            }[self.mode]
            answer = {"authorised_fen": amount, "authorisation_id": f"AUTH-{asked.product}"}
            return JSONResponse(answer)

        return app


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@contextmanager
def serve(app: FastAPI, *, lifespan: bool = False) -> Iterator[str]:
    """Serve ``app`` on a free loopback port in a thread; yield its base URL.

    With ``lifespan`` the app's background workers (publisher, senders) run too.
    """
    port = _free_port()
    config = uvicorn.Config(
        app, host="127.0.0.1", port=port, log_level="warning", lifespan="on" if lifespan else "off"
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("the app did not start")
        time.sleep(0.01)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)


@contextmanager
def insurer_node(
    network: Network, insurer: LocalAccount, **behaviour: Any
) -> Iterator[TestInsurer]:
    """A running test insurer, registered on chain as ``insurer``'s endpoint."""
    node = TestInsurer(bureau=network.bureau.address, **behaviour)
    with serve(node.app()) as url:
        node.url = url
        network.registries(network.operator).participants.update_endpoint(insurer.address, url)
        yield node
