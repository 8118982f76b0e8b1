"""One error shape for every node API: a status, a machine-readable code, words, a field path.

Services raise :class:`ApiError` (or a subclass); the app turns it into
``{"error": {"code": ..., "message": ..., "field": ...}}`` with the status. Request bodies that
fail validation get 422 with every offending field path.
"""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse

from trustshare.domain.validation import describe_problem


class ApiError(Exception):
    """A refusal a client can act on. ``code`` is stable; ``message`` is for people."""

    status_code = 400

    def __init__(
        self, code: str, message: str, *, field: str | None = None, status_code: int | None = None
    ) -> None:
        """Describe the refusal; ``status_code`` overrides the class default."""
        super().__init__(message)
        self.code = code
        self.message = message
        self.field = field
        if status_code is not None:
            self.status_code = status_code

    def body(self) -> dict[str, Any]:
        """The JSON body of the response."""
        error: dict[str, Any] = {"code": self.code, "message": self.message}
        if self.field is not None:
            error["field"] = self.field
        return {"error": error}


class Unauthenticated(ApiError):
    """401: the request's signature, timestamp, nonce or signer is not acceptable."""

    status_code = 401


class Forbidden(ApiError):
    """403: the signer is known but not allowed (no consent, scope not covered …)."""

    status_code = 403


class NotFound(ApiError):
    """404: the named record does not exist."""

    status_code = 404


class Conflict(ApiError):
    """409: the same request is still being processed."""

    status_code = 409


class Unprocessable(ApiError):
    """422: the body is well-formed JSON but not acceptable (or a reused idempotency key)."""

    status_code = 422


_LOCATIONS = ("body", "query", "path", "header")


def _problem(error: Any) -> dict[str, str]:
    located = {**error, "loc": [p for p in error.get("loc", ()) if p not in _LOCATIONS]}
    field, message = describe_problem(located)
    return {"field": field, "message": message}


def install_error_handlers(app: FastAPI) -> None:
    """Map :class:`ApiError` and request validation failures to the common error shape."""

    async def api_error(_: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, ApiError)
        return JSONResponse(exc.body(), status_code=exc.status_code)

    async def invalid_request(_: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, RequestValidationError)
        problems = [_problem(error) for error in exc.errors()]
        first = problems[0] if problems else {"field": "", "message": "invalid request"}
        body = {
            "error": {
                "code": "invalid_request",
                "message": first["message"],
                "field": first["field"],
                "problems": problems,
            }
        }
        return JSONResponse(body, status_code=422)

    app.add_exception_handler(ApiError, api_error)
    app.add_exception_handler(RequestValidationError, invalid_request)
