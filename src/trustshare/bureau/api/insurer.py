"""Insurer API: release of committed records under consent (``POST /v1/releases``)."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field, model_validator

from trustshare.bureau.api.deps import ContextDep, SessionDep
from trustshare.bureau.release import (
    NotYetCommitted,
    ReleaseRequest,
    release_latest_enrollment,
    release_record,
)
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
    record_id: str | None = Field(
        default=None,
        pattern=r"^0x[0-9a-fA-F]{64}$",
        description="settlement or enrollment id (bytes32 hex)",
    )
    pseudonym: str | None = Field(
        default=None,
        pattern=r"^0x[0-9a-fA-F]{64}$",
        description="instead of record_id, for an enrollment: the person's latest one",
    )
    purpose: Literal["underwriting", "direct_settlement", "claim"]
    scopes: list[GroupName] = Field(min_length=1, max_length=5, description="disclosure groups")

    @model_validator(mode="after")
    def _one_record(self) -> ReleaseBody:
        if (self.record_id is None) == (self.pseudonym is None):
            raise ValueError("give exactly one of record_id and pseudonym")
        if self.pseudonym is not None and self.record_type != "enrollment":
            raise ValueError("a pseudonym names only an enrollment record")
        return self


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

    The record is named by ``record_id``, or (an enrollment only) by ``pseudonym``: the
    person's enrollment record stored last.

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
    purpose = Purpose.from_names([body.purpose])
    scopes = Scope.from_names(body.scopes)
    try:
        if body.pseudonym is not None:
            return release_latest_enrollment(
                context,
                session,
                insurer=insurer,
                pseudonym=bytes.fromhex(body.pseudonym[2:]),
                purpose=purpose,
                scopes=scopes,
            )
        assert body.record_id is not None  # the body's validator allows only these two forms
        request = ReleaseRequest(
            insurer, body.record_type, bytes.fromhex(body.record_id[2:]), purpose, scopes
        )
        return release_record(context, session, request)
    except NotYetCommitted as busy:
        return JSONResponse(
            busy.body(),
            status_code=busy.status_code,
            headers={"Retry-After": str(busy.retry_after)},
        )
