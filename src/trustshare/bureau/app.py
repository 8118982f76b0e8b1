"""``create_app(settings)``: the bureau node's FastAPI application."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI

from trustshare.bureau.api import hospital, insurer, operations, patient, patient_page, premium
from trustshare.bureau.context import BureauContext
from trustshare.bureau.publisher import Publisher
from trustshare.bureau.settings import BureauSettings
from trustshare.gateway.errors import install_error_handlers


def create_app(settings: BureauSettings, *, context: BureauContext | None = None) -> FastAPI:
    """Build the app for ``settings`` (or around a ready ``context``, as tests do).

    With ``settings.run_publisher`` the node's single clearing publisher runs in a background
    thread for the app's lifetime: serve the app with one worker process.
    """
    node = context or BureauContext.from_settings(settings)
    publisher = Publisher(node) if settings.run_publisher else None

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        if publisher is not None:
            publisher.start()
        try:
            yield
        finally:
            if publisher is not None:
                publisher.stop()
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
    app.state.publisher = publisher
    install_error_handlers(app)
    for module in (hospital, insurer, patient, operations, premium, patient_page):
        app.include_router(module.router)

    @app.get("/v1/health", tags=["operations"])
    def health() -> dict[str, object]:
        """Liveness, the bureau's chain address and the chain it is on."""
        return {"status": "ok", "bureau": node.address, "chain_id": node.deployment.chain_id}

    return app
