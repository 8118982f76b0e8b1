"""The hospital API: trial, confirm, cancel, refund and read back settlements (docs/BUREAU-API.md).

Thin: authenticate the hospital (``Authorization: Bearer``), validate the body, call
:mod:`trustshare.bureau.settlement`, and answer. Money-moving calls need ``Idempotency-Key``.
"""

from __future__ import annotations

import hmac
from functools import partial
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Header, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from pydantic import BaseModel, ConfigDict, Field

from trustshare.bureau import settlement as service
from trustshare.bureau.api.deps import ContextDep, SessionDep
from trustshare.bureau.context import BureauContext
from trustshare.crypto.policy_code import PolicyCode, SignedPolicyCode
from trustshare.domain import Accumulators, Bill
from trustshare.gateway.errors import Unauthenticated
from trustshare.gateway.idempotency import IDEMPOTENCY_HEADER, StoredResponse
from trustshare.gateway.realtime_contract import PayerStatus

router = APIRouter(prefix="/v1/settlements", tags=["hospital"])

_bearer = HTTPBearer(auto_error=False, description="the hospital's token")
_STRICT = ConfigDict(extra="forbid")


async def hospital_of(
    request: Request,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> str:
    """The hospital whose bearer token this is; 401 otherwise (compared in constant time).

    ``async`` (pure computation): FastAPI runs it on the event loop, not in a worker thread.
    """
    context: BureauContext = request.app.state.context
    if credentials is None or credentials.scheme.lower() != "bearer":
        raise Unauthenticated("missing_token", "send Authorization: Bearer <hospital token>")
    presented = credentials.credentials.encode("utf-8")
    found: str | None = None
    for name, token in context.settings.hospital_tokens.items():
        if hmac.compare_digest(presented, token.get_secret_value().encode("utf-8")):
            found = name
    if found is None:
        raise Unauthenticated("bad_token", "the bearer token is not a hospital's")
    return found


HospitalDep = Annotated[str, Depends(hospital_of)]
IdempotencyKey = Annotated[
    str,
    Header(
        alias=IDEMPOTENCY_HEADER,
        min_length=1,
        max_length=128,
        description="unique per money-moving request (a UUID); a repeat returns the first answer",
    ),
]


class PolicyCodeIn(BaseModel):
    """A 商保码 as presented: the insurer-signed EIP-712 ``PolicyCode`` and its signature."""

    model_config = _STRICT

    pseudonym: str = Field(pattern=r"^0x[0-9a-fA-F]{64}$")
    insurer: str = Field(pattern=r"^0x[0-9a-fA-F]{40}$")
    product: str = Field(min_length=1, max_length=64)
    policy_number: str = Field(min_length=1, max_length=64)
    expires_at: int = Field(ge=0, lt=2**64, strict=True, description="unix seconds")
    signature: str = Field(pattern=r"^0x[0-9a-fA-F]{130}$")

    def signed(self) -> SignedPolicyCode:
        """The code as the crypto layer knows it."""
        code = PolicyCode(
            bytes.fromhex(self.pseudonym[2:]),
            self.insurer,
            self.product,
            self.policy_number,
            self.expires_at,
        )
        return SignedPolicyCode(code, bytes.fromhex(self.signature[2:]))


class SettlementRequest(BaseModel):
    """A bill to trial or confirm."""

    model_config = _STRICT

    id_number: str = Field(
        min_length=1,
        max_length=64,
        description="the patient's ID number (resident or passport:ISO3:number); turned into "
        "the keyed pseudonym at once, never stored or returned",
    )
    bill: Bill
    accumulators: Accumulators | None = Field(
        default=None, description="year-to-date accumulators from the national platform"
    )
    policy_codes: list[PolicyCodeIn] = Field(default_factory=list, max_length=16)

    def to_input(self) -> service.SettlementInput:
        """The service's input."""
        return service.SettlementInput(
            self.bill,
            self.id_number,
            self.accumulators,
            tuple(code.signed() for code in self.policy_codes),
        )


class CancelRequest(BaseModel):
    """Why a settlement is reversed."""

    model_config = _STRICT

    reason: str = Field(default="", max_length=200)


class RefundRequest(BaseModel):
    """The bill after a partial refund: same visit and payer order, lower total."""

    model_config = _STRICT

    bill: Bill
    accumulators: Accumulators | None = None


class PayerLine(BaseModel):
    """One commercial layer of the combined answer."""

    order: int
    product: str
    insurer: str | None
    policy_number: str | None
    computed_fen: int
    authorised_fen: int
    authorisation_id: str | None
    status: PayerStatus
    reason: str


class SettlementAnswer(BaseModel):
    """The combined answer: statutory layers, each commercial layer, the patient's remainder."""

    kind: str = Field(description="trial, settlement, refund or cancellation")
    status: str = Field(description="trial, confirmed, superseded or cancellation")
    setl_id: str | None
    settlement_id: str | None
    mdtrt_id: str | None
    pseudonym: str
    hospital: str
    medfee_sumamt: int
    basic_fund_fen: int
    critical_illness_fen: int
    medical_assistance_fen: int
    fund_pay_sumamt: int
    personal_account_fen: int
    payers: list[PayerLine]
    commercial_paid_fen: int
    patient_remainder_fen: int
    claim_ceiling_fen: int
    record_commitment: str | None
    supersedes: str | None
    superseded_by: str | None
    computed: dict[str, Any] | None = Field(description="the engine's full breakdown and trace")
    setl_time: str | None = None
    med_type: str | None = None
    hospital_level: str | None = None
    cancels: str | None = Field(default=None, description="a cancellation: the setl_id reversed")
    refunds: str | None = Field(default=None, description="a refund: the setl_id re-settled")
    reason: str | None = Field(default=None, description="a cancellation's reason")


_ANSWERS: dict[int | str, dict[str, Any]] = {
    201: {"model": SettlementAnswer, "description": "stored and queued for clearing"},
    401: {"description": "missing or unknown hospital token"},
    409: {"description": "the same Idempotency-Key is in flight, or the record already exists"},
    422: {"description": "invalid body (field paths in error.problems) or a reused key"},
}


def _respond(stored: StoredResponse) -> JSONResponse:
    headers = {"Idempotent-Replayed": "true"} if stored.replayed else None
    return JSONResponse(stored.body, status_code=stored.status_code, headers=headers)


@router.post(
    "/trial",
    response_model=SettlementAnswer,
    response_model_exclude_unset=True,
    summary="Settle a bill, store nothing",
)
def trial(body: SettlementRequest, context: ContextDep, hospital: HospitalDep) -> dict[str, Any]:
    """The full breakdown; commercial layers are the engine's estimates (no insurer asked)."""
    return service.trial_settlement(context, hospital, body.to_input())


@router.post("", status_code=201, responses=_ANSWERS, summary="Confirm a settlement")
async def confirm(
    body: SettlementRequest,
    request: Request,
    hospital: HospitalDep,
    idempotency_key: IdempotencyKey,
) -> JSONResponse:
    """Settle, ask each consented insurer in payer order, store and queue for clearing."""
    context: BureauContext = request.app.state.context
    work = partial(
        service.confirm_settlement,
        context,
        hospital,
        body.to_input(),
        key=idempotency_key,
        path=request.url.path,
    )
    if body.bill.products:  # insurers are asked over the network: wait in a worker thread
        return _respond(await run_in_threadpool(work))
    # Nobody to ask: ~2 ms of local work, cheaper on the loop than a thread hand-off (which
    # under load costs more in GIL contention than the work itself).
    return _respond(work())


@router.post("/{setl_id}/cancel", status_code=201, responses=_ANSWERS, summary="Cancel")
def cancel(
    setl_id: str,
    body: CancelRequest,
    request: Request,
    context: ContextDep,
    hospital: HospitalDep,
    idempotency_key: IdempotencyKey,
) -> JSONResponse:
    """Reverse the settlement with a cancellation record that supersedes it."""
    stored = service.cancel_settlement(
        context, hospital, setl_id, reason=body.reason, key=idempotency_key, path=request.url.path
    )
    return _respond(stored)


@router.post("/{setl_id}/refund", status_code=201, responses=_ANSWERS, summary="Partial refund")
def refund(
    setl_id: str,
    body: RefundRequest,
    request: Request,
    context: ContextDep,
    hospital: HospitalDep,
    idempotency_key: IdempotencyKey,
) -> JSONResponse:
    """Re-settle the lower bill as a record that supersedes the settlement."""
    stored = service.refund_settlement(
        context,
        hospital,
        setl_id,
        body.bill,
        body.accumulators,
        key=idempotency_key,
        path=request.url.path,
    )
    return _respond(stored)


@router.get(
    "/{setl_id}",
    response_model=SettlementAnswer,
    response_model_exclude_unset=True,
    summary="Read a settlement back",
)
def read(setl_id: str, session: SessionDep, hospital: HospitalDep) -> dict[str, Any]:
    """The stored answer and the record's current status (404 if not this hospital's)."""
    return service.settlement_view(session, hospital, setl_id)
