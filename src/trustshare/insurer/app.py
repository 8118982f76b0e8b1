"""``create_app(settings)``: the insurer node's FastAPI application."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI

from trustshare.gateway.errors import install_error_handlers
from trustshare.insurer import api, api_policies
from trustshare.insurer.context import InsurerContext
from trustshare.insurer.expiry import HoldReleaser
from trustshare.insurer.settings import InsurerSettings


def create_app(settings: InsurerSettings, *, context: InsurerContext | None = None) -> FastAPI:
    """Build the app for ``settings`` (or around a ready ``context``, as tests do).

    For the app's lifetime a background thread releases expired holds: serve with one worker.
    """
    node = context or InsurerContext.from_settings(settings)
    releaser = HoldReleaser(node)

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        releaser.start()
        try:
            yield
        finally:
            releaser.stop()
            node.engine.dispose()

    app = FastAPI(
        title="TrustShare insurer node",
        version="1",
        description=(
            "Real-time authorisation of this insurer's layer at the hospital window, "
            "one-click enrollment on verified basic-insurance data, and policy codes."
        ),
        lifespan=lifespan,
    )
    app.state.context = node
    install_error_handlers(app)
    app.include_router(api.router)
    app.include_router(api_policies.router)

    @app.get("/v1/health", tags=["operations"])
    def health() -> dict[str, object]:
        """Liveness, the insurer's chain address, the chain it is on, its sealing key."""
        return {
            "status": "ok",
            "insurer": node.address,
            "chain_id": node.deployment.chain_id,
            "encryption_key": node.keystore.current.public.hex(),
        }

    return app
