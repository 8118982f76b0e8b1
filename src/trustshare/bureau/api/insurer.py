"""Insurer API: release of committed records under consent (``POST /v1/releases``)."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field

from trustshare.bureau.api.deps import ContextDep, SessionDep
from trustshare.bureau.release import NotYetCommitted, ReleaseRequest, release_record
from trustshare.crypto.vocabulary import Purpose, Scope
from trustshare.gateway.signing import SignedRequest, read_signed_request
from trustshare.storage.access import SeenNonceStore

router = APIRouter(tags=["insurers"])

GroupName = Literal["enrollment", "settlement_summary", "fund_breakdown", "line_items", "diagnosis"]
SignedRequestDep = Annotated[SignedRequest, Depends(read_signed_request)]


class ReleaseBody(BaseModel):
    """An insurer's request for one committed record."""

    model_config = ConfigDict(extra="forbid")

    record_type: Literal["settlement", "enrollment"]
    record_id: str = Field(
        pattern=r"^0x[0-9a-fA-F]{64}$", description="settlement or enrollment id (bytes32 hex)"
    )
    purpose: Literal["underwriting", "direct_settlement", "claim"]
    scopes: list[GroupName] = Field(min_length=1, max_length=5, description="disclosure groups")


@router.post(
    "/v1/releases",
    responses={
        401: {"description": "unsigned, badly signed, stale, replayed, or not an active insurer"},
        403: {"description": "the patient's consent does not permit it (logged)"},
        404: {"description": "no such record, or none of the consented groups in it (logged)"},
        409: {"description": "the record's batch is not final yet; retry after Retry-After"},
    },
)
def post_release(
    body: ReleaseBody, signed: SignedRequestDep, context: ContextDep, session: SessionDep
) -> Any:
    """Release the consented groups of one record, sealed to the signing insurer's key.

    The request must be signed by an active insurer (``X-TrustShare-*`` headers, see
    docs/BUREAU-API.md). The answer holds the sealed disclosure, the batch leaf, the batch root,
    the leaf's proof and the batch's transaction.
    """
    insurer = signed.verify(
        now=context.clock(),
        nonces=SeenNonceStore(context.sessions),
        may_sign=context.registries.participants.is_active_insurer,
        window=context.settings.request_window_s,
    )
    request = ReleaseRequest(
        insurer=insurer,
        record_type=body.record_type,
        record_id=bytes.fromhex(body.record_id[2:]),
        purpose=Purpose.from_names([body.purpose]),
        scopes=Scope.from_names(body.scopes),
    )
    try:
        return release_record(context, session, request)
    except NotYetCommitted as busy:
        return JSONResponse(
            busy.body(),
            status_code=busy.status_code,
            headers={"Retry-After": str(busy.retry_after)},
        )
