"""``create_app(settings)``: the bureau node's FastAPI application."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI

from trustshare.bureau.context import BureauContext
from trustshare.bureau.settings import BureauSettings
from trustshare.gateway.errors import install_error_handlers


def create_app(settings: BureauSettings, *, context: BureauContext | None = None) -> FastAPI:
    """Build the app for ``settings`` (or around a ready ``context``, as tests do)."""
    node = context or BureauContext.from_settings(settings)

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        yield
        node.engine.dispose()

    app = FastAPI(
        title="TrustShare bureau node",
        version="1",
        description=(
            "One-stop settlement for hospitals, Merkle-batch clearing, and consent-bound "
            "release of sealed records to insurers."
        ),
        lifespan=lifespan,
    )
    app.state.context = node
    install_error_handlers(app)

    @app.get("/v1/health", tags=["operations"])
    def health() -> dict[str, object]:
        """Liveness, the bureau's chain address and the chain it is on."""
        return {"status": "ok", "bureau": node.address, "chain_id": node.deployment.chain_id}

    return app
