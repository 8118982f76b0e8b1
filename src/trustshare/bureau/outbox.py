"""Queueing chain writes in the outbox, in the caller's database transaction.

A service that needs a chain write calls :func:`enqueue` in the same session (and so the same
commit) as its business change: either both are stored or neither is. The publisher
(:mod:`trustshare.bureau.publisher`) sends entries in ``id`` order and marks them done only
when the receipt is final.

Kinds and their JSON payloads (bytes as 0x-hex, addresses checksummed):

- ``commit_batch``: ``{}`` — the entry's ``batch_id`` names the batch row to commit.
- ``bind_wallet``: ``{"pseudonym", "wallet"}``.
- ``grant_consent``: ``{"terms": {"pseudonym", "insurer", "scopes", "purposes", "not_before",
  "not_after"}, "nonce", "deadline", "signature"}`` — a patient-signed grant to relay.
- ``revoke_consent``: ``{"pseudonym", "insurer", "consent_id", "deadline", "signature"}``.
- ``supersede_settlement``: ``{"old_settlement_id", "new_settlement_id"}`` — sent once both
  settlements sit in final batches (the publisher builds both proofs from the stored trees).
"""

from __future__ import annotations

import json
from typing import Any, Final

from sqlalchemy.orm import Session

from trustshare.storage.models import OutboxEntry

OUTBOX_KINDS: Final = frozenset(
    {"commit_batch", "bind_wallet", "grant_consent", "revoke_consent", "supersede_settlement"}
)


def enqueue(
    session: Session, kind: str, payload: dict[str, Any], *, batch_id: int | None = None
) -> OutboxEntry:
    """Add a chain write to ``session``; it is stored when the caller commits."""
    if kind not in OUTBOX_KINDS:
        raise ValueError(f"unknown outbox kind {kind!r}; known: {sorted(OUTBOX_KINDS)}")
    entry = OutboxEntry(
        kind=kind, payload_json=json.dumps(payload, sort_keys=True), batch_id=batch_id
    )
    session.add(entry)
    session.flush()
    return entry
