"""The insurer node's fast-claims API: one claim, many claims at once, a claim's state.

``POST /v1/claims``, ``POST /v1/claims/bulk`` and ``GET /v1/claims/{claim_id}``.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Header
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field, model_validator

from trustshare.gateway.errors import NotFound, Unprocessable
from trustshare.gateway.idempotency import IDEMPOTENCY_HEADER, check_key, request_fingerprint
from trustshare.insurer import claims, claims_bulk
from trustshare.insurer.api import ContextDep
from trustshare.insurer.claim_outbox import wake_sender
from trustshare.storage.insurer_models import ClaimStatus

router = APIRouter(tags=["claims"])

CLAIMS_PATH = "/v1/claims"
BULK_PATH = "/v1/claims/bulk"


class ClaimBody(BaseModel):
    """A fast claim on one settlement: the product, or the policy, it is claimed under."""

    model_config = ConfigDict(extra="forbid")

    settlement_id: str = Field(pattern=r"^0x[0-9a-fA-F]{64}$", description="bytes32 hex")
    product: str | None = Field(default=None, min_length=1, max_length=64)
    policy_number: str | None = Field(default=None, min_length=1, max_length=64)

    @model_validator(mode="after")
    def _names_a_cover(self) -> ClaimBody:
        if self.product is None and self.policy_number is None:
            raise ValueError("give the product or the policy_number the claim is made under")
        return self


class BulkClaimsBody(BaseModel):
    """Fast claims on several settlements at once (each settlement at most once)."""

    model_config = ConfigDict(extra="forbid")

    claims: list[ClaimBody] = Field(min_length=1, max_length=claims_bulk.MAX_BULK)

    @model_validator(mode="after")
    def _each_settlement_once(self) -> BulkClaimsBody:
        seen: set[str] = set()
        for claim in self.claims:
            settlement = claim.settlement_id.lower()
            if settlement in seen:
                raise ValueError(f"settlement {claim.settlement_id} is claimed twice")
            seen.add(settlement)
        return self


def _ask(body: ClaimBody) -> claims.ClaimAsk:
    return claims.ClaimAsk(
        settlement_id=bytes.fromhex(body.settlement_id[2:]),
        product=body.product,
        policy_number=body.policy_number,
    )


def _key(idempotency_key: str | None, path: str) -> str:
    if idempotency_key is None:
        raise Unprocessable(
            "missing_idempotency_key",
            f"POST {path} needs an Idempotency-Key header",
            field=IDEMPOTENCY_HEADER,
        )
    return check_key(idempotency_key)


@router.post(
    CLAIMS_PATH,
    status_code=202,
    responses={
        200: {"description": "the settlement already has a claim (under another key): that one"},
        202: {"description": "the claim: queued, pending (with the reason) or refused (why)"},
        409: {"description": "a request with this Idempotency-Key is still running"},
        422: {"description": "bad body, bad key, or the key was used with another body"},
    },
)
def post_claim(
    body: ClaimBody,
    context: ContextDep,
    idempotency_key: Annotated[str | None, Header(alias=IDEMPOTENCY_HEADER)] = None,
) -> JSONResponse:
    """Claim this insurer's share of a settlement: verified, computed, queued on chain.

    The record is fetched from the settlement's bureau under the patient's CLAIM consent and
    verified against the chain before anything is queued. A repeat under the same
    ``Idempotency-Key`` returns the first answer.
    """
    key = _key(idempotency_key, CLAIMS_PATH)
    fingerprint = request_fingerprint("POST", CLAIMS_PATH, body.model_dump())
    answer = claims.submit(context, _ask(body), key=key, fingerprint=fingerprint)
    if answer.body.get("status") == ClaimStatus.QUEUED:
        wake_sender(context)  # record it on chain now, not at the sender's next poll
    return JSONResponse(answer.body, status_code=answer.status_code)


@router.post(
    BULK_PATH,
    responses={
        200: {"description": "every claim, in the order asked: queued, pending or refused"},
        409: {"description": "a request with this Idempotency-Key is still running"},
        422: {"description": "bad body (a settlement twice, too many), bad or reused key"},
    },
)
def post_claims_bulk(
    body: BulkClaimsBody,
    context: ContextDep,
    idempotency_key: Annotated[str | None, Header(alias=IDEMPOTENCY_HEADER)] = None,
) -> JSONResponse:
    """Claim on up to 200 settlements at once: the same checks as alone, shared round trips.

    Each settlement's bureau is asked once for all its records; the chain's facts are read in
    batches; every claim is decided in one transaction. The answer lists each claim as
    ``GET /v1/claims/{id}`` shows it; a settlement already claimed gives its existing claim. A
    repeat under the same ``Idempotency-Key`` returns the first answer.
    """
    key = _key(idempotency_key, BULK_PATH)
    fingerprint = request_fingerprint("POST", BULK_PATH, body.model_dump())
    asks = [_ask(claim) for claim in body.claims]
    answer = claims_bulk.submit_bulk(context, asks, key=key, fingerprint=fingerprint)
    if any(claim.get("status") == ClaimStatus.QUEUED for claim in answer.body["claims"]):
        wake_sender(context)
    return JSONResponse(answer.body, status_code=answer.status_code)


@router.get(CLAIMS_PATH + "/{claim_id}", responses={404: {"description": "no such claim"}})
def get_claim(claim_id: str, context: ContextDep) -> dict[str, Any]:
    """A claim's state, amount, transaction, and the reason of a refusal or of a wait."""
    with context.sessions() as session:
        claim = claims.claim_by_id(session, claim_id)
        if claim is None:
            raise NotFound("claim_not_found", "no such claim")
        return claims.claim_view(claim)
