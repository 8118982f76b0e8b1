"""Corrections: a recorded claim whose settlement was superseded is reversed on chain.

The bureau corrects a settlement by committing the new record and calling
``AttestationRegistry.supersedeSettlement`` (event ``SettlementSuperseded``). For every such
settlement this node holds a ``recorded`` claim on, a ``reverse_claim`` entry enters the outbox;
when the chain has reversed it (by this node, or by anyone — a superseded settlement's claims
may be reversed by any account), the claim becomes ``reversed`` and the ledger gets a
``reversal`` row of the negative amount, in the same transaction. A claim for the corrected
record is a new claim on the new settlement id.
"""

from __future__ import annotations

from typing import Final

from sqlalchemy import select

from trustshare.insurer.context import InsurerContext
from trustshare.storage.database import transaction
from trustshare.storage.insurer_models import ClaimOutboxEntry, ClaimRow, ClaimStatus

REVERSE: Final = "reverse_claim"


def superseded_since(context: InsurerContext, from_block: int) -> tuple[set[bytes], int]:
    """Settlement ids superseded in blocks ``from_block``… latest, and the next block to scan."""
    latest = context.w3.eth.block_number
    if from_block > latest:
        return set(), from_block
    event = context.registries.attestations.contract.events.SettlementSuperseded
    logs = event.get_logs(from_block=from_block, to_block=latest)
    return {bytes(log["args"]["settlementId"]) for log in logs}, latest + 1


def queue_reversals(context: InsurerContext, *, from_block: int = 0) -> tuple[list[str], int]:
    """Queue the reversal of recorded claims on settlements superseded since ``from_block``.

    Returns the claim ids queued and the block to scan from next time. Idempotent: a claim
    with a reversal already queued or sent is skipped.
    """
    superseded, next_block = superseded_since(context, from_block)
    if not superseded:
        return [], next_block
    queued: list[str] = []
    with transaction(context.sessions) as session:
        recorded = session.scalars(
            select(ClaimRow)
            .where(ClaimRow.settlement_id.in_(superseded), ClaimRow.status == ClaimStatus.RECORDED)
            .with_for_update()
        )
        for claim in recorded:
            known = session.scalar(
                select(ClaimOutboxEntry.id).where(
                    ClaimOutboxEntry.claim_id == claim.id,
                    ClaimOutboxEntry.kind == REVERSE,
                    ClaimOutboxEntry.status != "failed",
                )
            )
            if known is None:
                session.add(ClaimOutboxEntry(kind=REVERSE, claim_id=claim.id))
                queued.append(claim.claim_id)
    return queued, next_block
