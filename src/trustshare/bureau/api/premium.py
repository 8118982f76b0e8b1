"""Personal-account API: premium debits for insurers, statements, contributions by operators.

- ``POST /v1/premium-debits`` — an active insurer forwards a patient-signed premium debit
  (:mod:`trustshare.bureau.premium`); signed request (``X-TrustShare-*`` headers).
- ``GET /v1/patients/{pseudonym}/personal-account`` — the balance and entries, signed by the
  wallet bound to the pseudonym.
- ``POST /v1/personal-accounts/credits`` and ``GET /v1/personal-accounts/{pseudonym}`` — the
  operator's (``Authorization: Bearer <operator token>``): contributions credited from the
  national platform (:mod:`trustshare.bureau.personal_account`), and the statement.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Query, Response, status
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field

from trustshare.bureau.api.deps import ContextDep, SessionDep
from trustshare.bureau.api.operations import require_operator
from trustshare.bureau.identity import OperatorInputError
from trustshare.bureau.personal_account import (
    MAX_STATEMENT_PAGE,
    credit_contribution,
    entry_json,
    statement,
)
from trustshare.bureau.premium import debit_premium
from trustshare.crypto.errors import TypedDataError
from trustshare.gateway.errors import NotFound, Unprocessable
from trustshare.gateway.premium_contract import (
    PREMIUM_DEBITS_PATH,
    REPLAYED_HEADER,
    PremiumReceiptBody,
    SignedPremiumDebitBody,
)
from trustshare.gateway.signing import SignedRequest, read_signed_request
from trustshare.storage.access import SeenNonceStore

router = APIRouter(tags=["personal accounts"])
operations = APIRouter(prefix="/v1", tags=["operations"], dependencies=[Depends(require_operator)])

SignedRequestDep = Annotated[SignedRequest, Depends(read_signed_request)]
PseudonymPath = Annotated[str, Path(pattern=r"^0x[0-9a-fA-F]{64}$")]
AfterQuery = Annotated[int, Query(ge=0, lt=2**63, description="entries with ids above this")]
LimitQuery = Annotated[int, Query(ge=1, le=MAX_STATEMENT_PAGE)]


@router.post(
    PREMIUM_DEBITS_PATH,
    status_code=status.HTTP_201_CREATED,
    response_model=PremiumReceiptBody,
    responses={
        200: {"description": "this debit id was booked before: its receipt, nothing debited"},
        401: {"description": "unsigned, badly signed, stale, replayed, or not an active insurer"},
        403: {"description": "bad_signature (not the bound wallet's) or insurer_mismatch"},
        409: {"description": "debit_id_reused: the id was booked for another authorisation"},
        422: {
            "description": "insufficient_balance, expired, deadline_too_far, invalid_amount, "
            "no_personal_account, pseudonym_unbound, wrong_bureau, invalid_authorisation"
        },
    },
)
def post_premium_debit(
    body: SignedPremiumDebitBody, signed: SignedRequestDep, context: ContextDep
) -> JSONResponse:
    """Debit a premium from the patient's personal account, once; answer a signed receipt.

    Signed (``X-TrustShare-*`` headers) by an active insurer, the one the authorisation pays.
    """
    insurer = signed.verify(
        now=context.clock(),
        nonces=SeenNonceStore(context.sessions),
        may_sign=context.registries.participants.is_active_insurer,
        window=context.settings.request_window_s,
    )
    try:
        authorisation = body.signed()
    except TypedDataError as error:
        raise Unprocessable("invalid_authorisation", str(error), field="authorisation") from None
    answer = debit_premium(context, insurer, authorisation)
    if answer.replayed:
        return JSONResponse(answer.receipt, headers={REPLAYED_HEADER: "true"})
    return JSONResponse(answer.receipt, status_code=status.HTTP_201_CREATED)


@router.get(
    "/v1/patients/{pseudonym}/personal-account",
    responses={
        401: {"description": "not signed by the wallet bound to this pseudonym"},
        404: {"description": "the pseudonym is bound to no wallet, or has no account"},
    },
)
def get_own_statement(
    pseudonym: PseudonymPath,
    signed: SignedRequestDep,
    context: ContextDep,
    session: SessionDep,
    after: AfterQuery = 0,
    limit: LimitQuery = 100,
) -> dict[str, Any]:
    """The patient's own personal account: balance and entries, each debit with its receipt."""
    subject = bytes.fromhex(pseudonym[2:])
    wallet, _bureau = context.registries.consents.binding_of(subject)
    if int(wallet, 16) == 0:
        raise NotFound("pseudonym_unbound", "no wallet is bound to this pseudonym")
    signed.verify(
        now=context.clock(),
        nonces=SeenNonceStore(context.sessions),
        may_sign=lambda signer: signer == wallet,
        window=context.settings.request_window_s,
    )
    return statement(session, subject, after=after, limit=limit)


class CreditCreate(BaseModel):
    """One contribution to a person's personal account, as the national platform reports it."""

    model_config = ConfigDict(extra="forbid")

    id_number: str = Field(
        min_length=1, max_length=64, description="as for identity binding; never stored"
    )
    amount_fen: int = Field(gt=0, le=2**53 - 1, strict=True, description="fen credited")
    reference: str = Field(
        min_length=1,
        max_length=64,
        pattern=r"^[\x21-\x7e]+$",
        description="the contribution's reference at the platform: credits it once",
    )


@operations.post("/personal-accounts/credits", status_code=status.HTTP_201_CREATED)
def post_credit(body: CreditCreate, context: ContextDep, response: Response) -> dict[str, Any]:
    """Credit a contribution (a repeat of its reference answers 200 with the first entry)."""
    try:
        credited = credit_contribution(context, body.id_number, body.amount_fen, body.reference)
    except OperatorInputError as error:
        raise Unprocessable(f"invalid_{error.field}", error.reason, field=error.field) from None
    if not credited.created:
        response.status_code = status.HTTP_200_OK
    entry = credited.entry
    return {"pseudonym": "0x" + entry.pseudonym.hex(), **entry_json(entry)}


@operations.get("/personal-accounts/{pseudonym}")
def get_statement(
    pseudonym: PseudonymPath, session: SessionDep, after: AfterQuery = 0, limit: LimitQuery = 100
) -> dict[str, Any]:
    """A personal account's balance and one page of its entries."""
    return statement(session, bytes.fromhex(pseudonym[2:]), after=after, limit=limit)


router.include_router(operations)
