"""Single-use nonces of signed requests, over whichever node's table holds them."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import delete
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker


class SeenNonceTable:
    """Spends nonces in a table with columns ``signer``, ``nonce`` (the key) and ``seen_at``.

    Spending a nonce commits at once, whatever the request then does: a request that fails
    later cannot be replayed either. Concurrent uses of one nonce are settled by the primary
    key (signer, nonce): exactly one commit succeeds.
    """

    def __init__(self, sessions: sessionmaker[Session], model: Any) -> None:
        """Use sessions from ``sessions`` (one per call) and rows of ``model``."""
        self._sessions = sessions
        self._model = model

    def use(self, signer: str, nonce: str, *, now: float, keep_seconds: float) -> bool:
        """Record ``nonce`` for ``signer``; False if already used. Forgets entries past keeping."""
        model = self._model
        seen_at = datetime.fromtimestamp(now, UTC)
        session = self._sessions()
        try:
            if session.get(model, (signer, nonce)) is not None:
                return False
            session.execute(
                delete(model).where(model.seen_at < seen_at - timedelta(seconds=keep_seconds))
            )
            session.add(model(signer=signer, nonce=nonce, seen_at=seen_at))
            session.commit()
            return True
        except IntegrityError:
            session.rollback()
            return False
        finally:
            session.close()
