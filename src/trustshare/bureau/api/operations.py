"""Operator endpoints: identity binding, enrollment records, bulk ingestion of settlements.

Every route needs ``Authorization: Bearer <operator token>`` (the node's ``operator_token``
setting); a node without one refuses them all with 503.
"""

from __future__ import annotations

import datetime as dt
import hmac
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Header, Query, Request, Response, status
from pydantic import BaseModel, ConfigDict, Field
from starlette.concurrency import run_in_threadpool

from trustshare.bureau.api.deps import ContextDep, SessionDep
from trustshare.bureau.enrollment import EnrollmentTerms, enroll
from trustshare.bureau.identity import (
    BoundByOtherBureau,
    OperatorInputError,
    bind_identity,
    binding_status,
    parse_pseudonym,
)
from trustshare.bureau.ingestion import (
    DEFAULT_CHUNK_LINES,
    DEFAULT_SOURCE,
    LineSplitter,
    SettlementIngestor,
)
from trustshare.domain.bill import InsuranceType, PersonCategory
from trustshare.gateway.errors import ApiError, Conflict, NotFound, Unauthenticated, Unprocessable

NDJSON = "application/x-ndjson"


def require_operator(
    context: ContextDep, authorization: Annotated[str | None, Header()] = None
) -> None:
    """Admit only requests carrying the node's operator token (compared in constant time)."""
    configured = context.settings.operator_token
    if configured is None:
        raise ApiError(
            "operator_endpoints_disabled",
            "this node has no operator token configured (TRUSTSHARE_BUREAU_OPERATOR_TOKEN), "
            "so its operator endpoints are off",
            status_code=503,
        )
    scheme, _, token = (authorization or "").partition(" ")
    expected = configured.get_secret_value().encode()
    if scheme.lower() != "bearer" or not hmac.compare_digest(token.strip().encode(), expected):
        raise Unauthenticated(
            "operator_token_invalid", "send the operator token as 'Authorization: Bearer …'"
        )


router = APIRouter(prefix="/v1", tags=["operations"], dependencies=[Depends(require_operator)])


def _unprocessable(error: OperatorInputError) -> Unprocessable:
    return Unprocessable(f"invalid_{error.field}", error.reason, field=error.field)


def _hex(value: bytes) -> str:
    return "0x" + value.hex()


# -- identities -----------------------------------------------------------------------------


class IdentityBindingCreate(BaseModel):
    """A verified person's ID number and the wallet that will speak for them."""

    model_config = ConfigDict(extra="forbid")

    id_number: str = Field(
        min_length=1,
        max_length=64,
        description="resident ID number (18 characters) or 'passport:<ISO alpha-3>:<number>'; "
        "turned into the keyed pseudonym at once, never stored",
    )
    wallet: str = Field(description="0x-prefixed address of the person's wallet")


class IdentityBindingQueued(BaseModel):
    """The pseudonym and the queued chain write."""

    pseudonym: str
    wallet: str
    outbox_id: int
    repeated: bool = Field(description="the same binding was already queued or on chain")


@router.post("/identities", status_code=status.HTTP_202_ACCEPTED)
def bind(
    body: IdentityBindingCreate, context: ContextDep, session: SessionDep
) -> IdentityBindingQueued:
    """Bind a verified person to a wallet (or rebind after key loss); the chain write is queued."""
    try:
        queued = bind_identity(context, session, body.id_number, body.wallet)
    except OperatorInputError as error:
        raise _unprocessable(error) from None
    except BoundByOtherBureau as error:
        raise Conflict("bound_by_other_bureau", str(error), field="id_number") from None
    return IdentityBindingQueued(
        pseudonym=_hex(queued.pseudonym),
        wallet=queued.wallet,
        outbox_id=queued.outbox_id,
        repeated=queued.repeated,
    )


class IdentityBindingStatus(BaseModel):
    """What the bureau and the chain each record for a pseudonym."""

    pseudonym: str
    state: str = Field(description="synced, pending, failed, chain_only")
    wallet: str | None = Field(description="the wallet this bureau bound (locally)")
    bound_at: dt.datetime | None
    outbox_id: int | None
    outbox_status: str | None
    outbox_error: str | None
    chain_wallet: str | None
    chain_bureau: str | None


@router.get("/identities/{pseudonym}")
def binding(pseudonym: str, context: ContextDep, session: SessionDep) -> IdentityBindingStatus:
    """The binding of ``pseudonym`` (0x-hex), locally and on chain."""
    try:
        value = parse_pseudonym(pseudonym)
    except OperatorInputError as error:
        raise _unprocessable(error) from None
    found = binding_status(context, session, value)
    if found.state == "unbound":
        raise NotFound("binding_not_found", "no wallet is bound to this pseudonym")
    return IdentityBindingStatus(
        pseudonym=_hex(value),
        state=found.state,
        wallet=found.local_wallet,
        bound_at=found.bound_at,
        outbox_id=found.outbox_id,
        outbox_status=found.outbox_status,
        outbox_error=found.outbox_error,
        chain_wallet=found.chain_wallet,
        chain_bureau=found.chain_bureau,
    )


# -- enrollments ----------------------------------------------------------------------------


class EnrollmentCreate(BaseModel):
    """One enrollment record from the national platform."""

    model_config = ConfigDict(extra="forbid")

    id_number: str = Field(min_length=1, max_length=64, description="as for identity binding")
    insurance_type: InsuranceType
    person_category: PersonCategory = PersonCategory.GENERAL
    region: str = Field(min_length=1, max_length=64, description="region policy id")
    valid_from: dt.date
    valid_to: dt.date | None = Field(default=None, description="absent: open-ended")


class EnrollmentStored(BaseModel):
    """The stored enrollment and where it is in clearing."""

    enrollment_id: str
    pseudonym: str
    record_commitment: str
    batch_id: int | None = Field(description="null until its ENROLLMENT batch is built")
    created: bool


@router.post("/enrollments", status_code=status.HTTP_201_CREATED)
def create_enrollment(
    body: EnrollmentCreate, context: ContextDep, session: SessionDep, response: Response
) -> EnrollmentStored:
    """Commit one enrollment record, queued for an ENROLLMENT batch (a repeat answers 200)."""
    terms = EnrollmentTerms(
        body.insurance_type, body.person_category, body.region, body.valid_from, body.valid_to
    )
    try:
        stored = enroll(context, session, body.id_number, terms)
    except OperatorInputError as error:
        raise _unprocessable(error) from None
    if not stored.created:
        response.status_code = status.HTTP_200_OK
    return EnrollmentStored(
        enrollment_id=_hex(stored.enrollment_id),
        pseudonym=_hex(stored.pseudonym),
        record_commitment=_hex(stored.record_commitment),
        batch_id=stored.batch_id,
        created=stored.created,
    )


# -- bulk ingestion -------------------------------------------------------------------------


class LineRejectPublic(BaseModel):
    """A refused line."""

    line: int
    field: str | None
    reason: str


class IngestReportPublic(BaseModel):
    """Totals of one ingestion and the first refused lines."""

    lines: int
    accepted: int
    already_stored: int
    rejected: int
    rejects: list[LineRejectPublic]
    rejects_truncated: bool


_NDJSON_BODY: dict[str, Any] = {
    "requestBody": {
        "required": True,
        "description": "settlements as JSON lines (docs/INGESTION.md)",
        "content": {NDJSON: {"schema": {"type": "string", "format": "binary"}}},
    }
}


@router.post("/ingest/settlements", openapi_extra=_NDJSON_BODY)
async def ingest_settlements(
    request: Request,
    context: ContextDep,
    source: Annotated[
        str, Query(min_length=1, max_length=64, description="where the records come from")
    ] = DEFAULT_SOURCE,
) -> IngestReportPublic:
    """Ingest a streamed JSON-lines body, a chunk per transaction; memory stays flat."""
    ingestor = SettlementIngestor(
        context.sessions,
        bureau=context.address,
        pseudonym_key=context.pseudonym_key,
        source=source,
    )
    splitter = LineSplitter()
    chunk: list[bytes | None] = []
    async for block in request.stream():
        chunk += splitter.feed(block)
        if len(chunk) >= DEFAULT_CHUNK_LINES:
            await run_in_threadpool(ingestor.ingest_chunk, chunk)
            chunk = []
    chunk += splitter.finish()
    if chunk:
        await run_in_threadpool(ingestor.ingest_chunk, chunk)
    return IngestReportPublic.model_validate(ingestor.report.to_json_dict())
