"""Who may file claims on an insurer node: its own claims staff, with the node's operator token."""

from __future__ import annotations

import hmac
from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from trustshare.gateway.errors import ApiError, Unauthenticated
from trustshare.insurer.context import InsurerContext

_bearer = HTTPBearer(auto_error=False, description="the insurer node's operator token")


async def require_operator(
    request: Request,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> None:
    """401 unless the bearer token is the node's operator token (compared in constant time)."""
    context: InsurerContext = request.app.state.context
    token = context.settings.operator_token
    if token is None:
        raise ApiError(
            "operator_endpoints_disabled",
            "this node has no operator token (TRUSTSHARE_INSURER_OPERATOR_TOKEN): claims are off",
            status_code=503,
        )
    presented = credentials.credentials.encode() if credentials is not None else b""
    if not hmac.compare_digest(presented, token.get_secret_value().encode()):
        raise Unauthenticated("bad_token", "send Authorization: Bearer <the node's operator token>")
