"""Reconciliation: this insurer's claim events on chain against its payouts ledger.

For every settlement, the chain's net amount (``ClaimRecorded`` less ``ClaimReversed`` for this
insurer) must equal the ledger's net amount (``payout`` rows less ``reversal`` rows). Every
settlement where they differ is reported; nothing is changed (a person looks at it).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from typing import Any

from hexbytes import HexBytes
from sqlalchemy import func, select

from trustshare.insurer.context import InsurerContext
from trustshare.storage.insurer_models import PayoutRow


@dataclass(frozen=True)
class Difference:
    """A settlement whose chain and ledger amounts disagree (net fen, reversals subtracted)."""

    settlement_id: bytes
    chain_fen: int
    ledger_fen: int


@dataclass(frozen=True)
class ChainClaimEvent:
    """One ``ClaimRecorded`` (positive) or ``ClaimReversed`` (negative) of this insurer."""

    settlement_id: bytes
    amount_fen: int
    tx_hash: str
    block_number: int


def claim_events(
    context: InsurerContext, *, from_block: int = 0, settlement_id: bytes | None = None
) -> list[ChainClaimEvent]:
    """The claim events of this insurer (recorded and reversed), in chain order."""
    contract = context.registries.claims.contract
    filters: dict[str, Any] = {"insurer": context.address}
    if settlement_id is not None:
        filters["settlementId"] = settlement_id
    found: list[tuple[int, int, ChainClaimEvent]] = []
    for name, sign in (("ClaimRecorded", 1), ("ClaimReversed", -1)):
        event = getattr(contract.events, name)
        for log in event.get_logs(from_block=from_block, argument_filters=filters):
            found.append(
                (
                    log["blockNumber"],
                    log["logIndex"],
                    ChainClaimEvent(
                        bytes(log["args"]["settlementId"]),
                        sign * int(log["args"]["amountFen"]),
                        "0x" + HexBytes(log["transactionHash"]).hex().removeprefix("0x"),
                        log["blockNumber"],
                    ),
                )
            )
    return [event for _, _, event in sorted(found, key=lambda item: item[:2])]


def event_tx(context: InsurerContext, settlement_id: bytes, *, reversal: bool) -> str | None:
    """The transaction that recorded (or reversed) this insurer's claim on ``settlement_id``."""
    for event in claim_events(context, settlement_id=settlement_id):
        if (event.amount_fen < 0) is reversal:
            return event.tx_hash
    return None


def reconcile(context: InsurerContext, *, from_block: int = 0) -> list[Difference]:
    """Every settlement whose on-chain claims and ledger disagree, by settlement id."""
    chain: dict[bytes, int] = defaultdict(int)
    for event in claim_events(context, from_block=from_block):
        chain[event.settlement_id] += event.amount_fen
    with context.sessions() as session:
        rows = session.execute(
            select(PayoutRow.settlement_id, func.sum(PayoutRow.amount_fen)).group_by(
                PayoutRow.settlement_id
            )
        ).all()
    ledger = {bytes(settlement): int(total or 0) for settlement, total in rows}
    return [
        Difference(settlement, chain.get(settlement, 0), ledger.get(settlement, 0))
        for settlement in sorted(set(chain) | set(ledger))
        if chain.get(settlement, 0) != ledger.get(settlement, 0)
    ]
