"""``create_app(settings)``: the insurer node's FastAPI application."""

from __future__ import annotations

import gc
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import Depends, FastAPI

from trustshare.gateway.errors import install_error_handlers
from trustshare.insurer import api, api_claims, api_ledger, api_policies
from trustshare.insurer.api_auth import require_operator
from trustshare.insurer.claim_outbox import ClaimSender
from trustshare.insurer.context import InsurerContext
from trustshare.insurer.expiry import HoldsWorker
from trustshare.insurer.settings import InsurerSettings
from trustshare.storage.database import WalCheckpointer


def create_app(settings: InsurerSettings, *, context: InsurerContext | None = None) -> FastAPI:
    """Build the app for ``settings`` (or around a ready ``context``, as tests do).

    For the app's lifetime background threads clear held holds into window claims, release
    expired holds and send the claims outbox (one of each per node): serve with one worker.
    Another checkpoints a SQLite database's log, so that no request's commit does.

    Once started (setting ``freeze_gc_at_start``), the objects that live as long as the node
    (modules, the app, the context) are moved out of the cyclic garbage collector's reach
    (``gc.freeze``): a full collection then walks only what requests created since, not the
    ≈ 200,000 start-up objects that made it a pause of tens of milliseconds in a request.
    """
    node = context or InsurerContext.from_settings(settings)
    holds = HoldsWorker(node, interval=settings.holds_interval_s)
    sender = ClaimSender(node) if settings.run_claim_sender else None
    checkpointer = WalCheckpointer(node.engine)

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        checkpointer.start()
        if settings.run_holds_worker:
            holds.start()
        if sender is not None:
            sender.start()
        if settings.freeze_gc_at_start:
            gc.collect()
            gc.freeze()
        try:
            yield
        finally:
            if settings.freeze_gc_at_start:
                gc.unfreeze()
            if sender is not None:
                sender.stop()
            holds.stop()
            checkpointer.stop()
            node.chain_view.close()
            node.engine.dispose()

    app = FastAPI(
        title="TrustShare insurer node",
        version="1",
        description=(
            "Real-time authorisation of this insurer's layer at the hospital window, "
            "one-click enrollment on verified basic-insurance data, policy codes, and fast "
            "claims paid exactly once."
        ),
        lifespan=lifespan,
    )
    app.state.context = node
    install_error_handlers(app)
    app.include_router(api.router)
    app.include_router(api_policies.router)
    app.include_router(api_claims.router, dependencies=[Depends(require_operator)])
    app.include_router(api_ledger.router, dependencies=[Depends(require_operator)])

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
