"""Insurer API: release of committed records under consent (``POST /v1/releases[/bulk]``)."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from trustshare.bureau.api.deps import ContextDep, SessionDep
from trustshare.bureau.context import BureauContext
from trustshare.bureau.release import (
    MAX_BULK_RECORDS,
    NotYetCommitted,
    Outcome,
    ReleaseRequest,
    release_latest_enrollment,
    release_record,
    release_records,
)
from trustshare.crypto.vocabulary import Purpose, Scope
from trustshare.domain.validation import field_problem
from trustshare.gateway.errors import ApiError
from trustshare.gateway.signing import SignedRequest, read_signed_request
from trustshare.storage.access import SeenNonceStore

router = APIRouter(tags=["insurers"])

GroupName = Literal["enrollment", "settlement_summary", "fund_breakdown", "line_items", "diagnosis"]
SignedRequestDep = Annotated[SignedRequest, Depends(read_signed_request)]
RecordId = Annotated[str, Field(pattern=r"^0x[0-9a-fA-F]{64}$")]
NOT_AN_ACTIVE_INSURER: dict[int | str, dict[str, Any]] = {
    401: {"description": "unsigned, badly signed, stale, replayed, or not an active insurer"}
}


class _ReleaseTerms(BaseModel):
    """What every release request states: the kind of record, the purpose, the groups."""

    model_config = ConfigDict(extra="forbid")

    record_type: Literal["settlement", "enrollment"]
    purpose: Literal["underwriting", "direct_settlement", "claim"]
    scopes: list[GroupName] = Field(min_length=1, max_length=5, description="disclosure groups")

    def request(self, insurer: str, record_ids: list[str]) -> ReleaseRequest:
        """The service's request for ``record_ids`` (0x-hex), signed by ``insurer``."""
        return ReleaseRequest(
            insurer,
            self.record_type,
            tuple(bytes.fromhex(record_id[2:]) for record_id in record_ids),
            Purpose.from_names([self.purpose]),
            Scope.from_names(self.scopes),
        )


class ReleaseBody(_ReleaseTerms):
    """An insurer's request for one committed record."""

    record_id: RecordId | None = Field(
        default=None, description="settlement or enrollment id (bytes32 hex)"
    )
    pseudonym: RecordId | None = Field(
        default=None,
        description="instead of record_id, for an enrollment: the person's latest one",
    )

    @model_validator(mode="after")
    def _one_record(self) -> ReleaseBody:
        if (self.record_id is None) == (self.pseudonym is None):
            raise ValueError("give exactly one of record_id and pseudonym")
        if self.pseudonym is not None and self.record_type != "enrollment":
            raise ValueError("a pseudonym names only an enrollment record")
        return self


class BulkReleaseBody(_ReleaseTerms):
    """An insurer's request for many committed records of one type, purpose and groups."""

    record_ids: list[RecordId] = Field(
        min_length=1,
        max_length=MAX_BULK_RECORDS,
        description=f"settlement or enrollment ids (bytes32 hex), 1 to {MAX_BULK_RECORDS}, "
        "each once",
    )

    @field_validator("record_ids")
    @classmethod
    def _each_once(cls, record_ids: list[str]) -> list[str]:
        first_at: dict[str, int] = {}
        for index, record_id in enumerate(record_ids):
            earlier = first_at.setdefault(record_id.lower(), index)
            if earlier != index:
                raise field_problem(
                    str(index), f"{record_id} is asked for twice (also record_ids[{earlier}])"
                )
        return record_ids


def _signing_insurer(signed: SignedRequest, context: BureauContext) -> str:
    """The active insurer that signed the request (its status through the node's 2 s cache)."""
    return signed.verify(
        now=context.clock(),
        nonces=SeenNonceStore(context.sessions),
        may_sign=context.signing_insurers.is_active_insurer,
        window=context.settings.request_window_s,
    )


@router.post(
    "/v1/releases",
    responses={
        **NOT_AN_ACTIVE_INSURER,
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
    insurer = _signing_insurer(signed, context)
    try:
        if body.pseudonym is not None:
            return release_latest_enrollment(
                context,
                session,
                insurer=insurer,
                pseudonym=bytes.fromhex(body.pseudonym[2:]),
                purpose=Purpose.from_names([body.purpose]),
                scopes=Scope.from_names(body.scopes),
            )
        assert body.record_id is not None  # the body's validator allows only these two forms
        return release_record(context, session, body.request(insurer, [body.record_id]))
    except NotYetCommitted as busy:
        return JSONResponse(
            busy.body(),
            status_code=busy.status_code,
            headers={"Retry-After": str(busy.retry_after)},
        )


@router.post(
    "/v1/releases/bulk",
    responses={
        **NOT_AN_ACTIVE_INSURER,
        422: {"description": "a bad record id, one asked twice, none, or more than 200"},
    },
)
def post_bulk_release(
    body: BulkReleaseBody, signed: SignedRequestDep, context: ContextDep, session: SessionDep
) -> dict[str, Any]:
    """Release many records at once: for each, what ``POST /v1/releases`` would answer.

    ``releases`` holds one item per record id, in request order: ``status`` 200 with the
    ``release`` (the single endpoint's body), or 403/404/409 with its ``error`` (409 also with
    ``retry_after`` seconds). Refusals (403/404) and releases are logged, in one transaction.
    """
    request = body.request(_signing_insurer(signed, context), body.record_ids)
    outcomes = release_records(context, session, request)
    return {
        "releases": [
            _bulk_item(record_id, outcome)
            for record_id, outcome in zip(body.record_ids, outcomes, strict=True)
        ]
    }


def _bulk_item(record_id: str, outcome: Outcome) -> dict[str, Any]:
    """One record's item of the bulk answer: its status and its release or error body."""
    item: dict[str, Any] = {"record_id": record_id.lower()}
    if not isinstance(outcome, ApiError):
        return {**item, "status": 200, "release": outcome}
    item.update(status=outcome.status_code, **outcome.body())
    if isinstance(outcome, NotYetCommitted):
        item["retry_after"] = outcome.retry_after
    return item
