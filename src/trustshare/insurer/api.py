"""The insurer node's API for bureaus: ``POST /v1/realtime-authorisations``."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import JSONResponse

from trustshare.gateway.errors import Unauthenticated
from trustshare.gateway.realtime_contract import (
    REALTIME_AUTHORISATION_PATH,
    RealtimeAuthorisationRequest,
    RealtimeAuthorisationResponse,
)
from trustshare.gateway.signing import SignedRequest, read_signed_request
from trustshare.insurer.context import InsurerContext
from trustshare.insurer.realtime import authorise, response_of
from trustshare.insurer.records import InsurerNonceStore

REFUSAL_HEADER = "X-TrustShare-Refusal"
"""On a 0 (or partial) answer: the reason code, e.g. ``no_policy`` (not part of the body)."""

router = APIRouter(tags=["bureaus"])


def get_context(request: Request) -> InsurerContext:
    """The node's context, attached to the app by ``create_app``."""
    context: InsurerContext = request.app.state.context
    return context


ContextDep = Annotated[InsurerContext, Depends(get_context)]
SignedRequestDep = Annotated[SignedRequest, Depends(read_signed_request)]


@router.post(
    REALTIME_AUTHORISATION_PATH,
    response_model=RealtimeAuthorisationResponse,
    responses={
        200: {
            "description": "the answer: a hold of 0..computed_fen (0 refuses); the reason for "
            f"less than computed is in the {REFUSAL_HEADER} header"
        },
        401: {
            "description": "unsigned, badly signed, stale, replayed, not an active bureau, or "
            "a settlement id of another bureau"
        },
        422: {"description": "the body breaks the contract (every field path listed)"},
    },
)
def post_realtime_authorisation(
    body: RealtimeAuthorisationRequest, signed: SignedRequestDep, context: ContextDep
) -> JSONResponse:
    """Authorise (hold) this insurer's layer of a settlement, as the bureau asks at discharge.

    Signed by an active bureau (``X-TrustShare-*`` headers); the settlement id must be that
    bureau's. A refusal is ``200`` with ``authorised_fen`` 0. A repeat of the same
    ``(settlement_id, product)`` returns the first answer.
    """
    bureau = signed.verify(
        now=context.clock(),
        nonces=InsurerNonceStore(context.sessions),
        may_sign=context.chain_view.is_active_bureau,
        window=context.settings.request_window_s,
    )
    if body.bureau.lower() != bureau.lower():
        raise Unauthenticated("foreign_bureau", "the request names another bureau than its signer")
    if not body.settlement_id.startswith(bureau.lower()):
        raise Unauthenticated(
            "foreign_settlement", "the settlement id does not belong to the signing bureau"
        )
    row = authorise(
        context.sessions,
        body,
        rules=context.rules,
        chain=context.chain_view,
        now=context.clock(),
        hold_ttl_s=context.settings.hold_ttl_s,
    )
    headers = {REFUSAL_HEADER: row.reason} if row.reason else None
    return JSONResponse(response_of(row).model_dump(), headers=headers)
