"""The claims staff's view of money: the payouts ledger and its reconciliation with the chain.

``GET /v1/payouts`` pages through the ledger (``payout``: paid to the patient; ``window``: a
layer paid at the hospital window, settled with the bureau; ``reversal``: a superseded
settlement's claim taken back). ``GET /v1/reconciliation`` compares it with this insurer's
claim events on chain and lists every settlement where they differ (nothing is changed).
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query
from sqlalchemy import select

from trustshare.insurer.api import ContextDep
from trustshare.insurer.reconcile import reconcile
from trustshare.storage.insurer_models import ClaimRow, PayoutRow

router = APIRouter(tags=["claims"])


@router.get("/v1/payouts")
def get_payouts(
    context: ContextDep,
    after: Annotated[int, Query(ge=0, description="the last ledger id already seen")] = 0,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
) -> dict[str, Any]:
    """Ledger rows after ``after``, oldest first, with the claim each belongs to."""
    with context.sessions() as session:
        rows = session.execute(
            select(PayoutRow, ClaimRow.claim_id)
            .join(ClaimRow, ClaimRow.id == PayoutRow.claim_id)
            .where(PayoutRow.id > after)
            .order_by(PayoutRow.id)
            .limit(limit)
        ).all()
    entries = [
        {
            "id": row.id,
            "kind": row.kind,
            "claim_id": claim_id,
            "settlement_id": "0x" + row.settlement_id.hex(),
            "amount_fen": row.amount_fen,
            "tx_hash": row.tx_hash,
            "created_at": row.created_at.isoformat(),
        }
        for row, claim_id in rows
    ]
    return {"entries": entries, "next_after": entries[-1]["id"] if entries else after}


@router.get("/v1/reconciliation")
def get_reconciliation(context: ContextDep) -> dict[str, Any]:
    """Every settlement whose on-chain claims (net of reversals) and ledger disagree."""
    differences = reconcile(context)
    return {
        "in_agreement": not differences,
        "differences": [
            {
                "settlement_id": "0x" + difference.settlement_id.hex(),
                "chain_fen": difference.chain_fen,
                "ledger_fen": difference.ledger_fen,
            }
            for difference in differences
        ],
    }
