"""What a fast claim pays, computed with the engine's commercial layer, and the payouts ledger.

The claim sees the *national record* (the ``settlement_summary`` and ``fund_breakdown`` groups),
not the bill's lines, so the engine's pots are rebuilt from the record's amounts exactly as
:func:`trustshare.domain.settle` builds them:

- in-catalogue self-pay = ``preselfpay_amt + inscp_scp_amt − hifp_pay − hifmi_pay − maf_pay``
  (class-B self-pay plus what the statutory funds left of the in-scope amount);
- above the price cap = ``overlmt_selfpay``;
- class C = ``fulamt_ownpay_amt``, as one amount without item codes: without ``line_items`` no
  class-C amount can be told to be a listed special drug, so a ``special_drugs`` benefit pays
  nothing on a fast claim (a claim with line items is a later step).

Then :func:`trustshare.domain.commercial.pay_commercial` runs this insurer's product alone, as
first commercial payer, with the person's year to date taken from this node's earlier queued or
recorded claims of the product (:func:`year_to_date`). What earlier payers took is accounted for
by the chain: the amount is capped by the leaf's claim ceiling less every insurer's active
claims.
A hospital-confirmed record keeps the national amounts under ``fund_breakdown.record``; a record
ingested from the national platform has them directly in ``fund_breakdown``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from trustshare.domain import RuleSet
from trustshare.domain.accumulators import Accumulators
from trustshare.domain.bill import ProductHolding, VisitType
from trustshare.domain.commercial import Pots, pay_commercial
from trustshare.insurer.year_book import YearBook
from trustshare.storage.insurer_models import (
    ClaimOrigin,
    ClaimRow,
    PayoutKind,
    PayoutRow,
)

RECORD_AMOUNTS = (
    "preselfpay_amt",
    "inscp_scp_amt",
    "hifp_pay",
    "hifmi_pay",
    "maf_pay",
    "overlmt_selfpay",
    "fulamt_ownpay_amt",
    "fund_pay_sumamt",
)
"""The national record's amounts the computation reads (integer fen)."""


class RecordIncomplete(ValueError):
    """The disclosed record lacks an amount or the visit type the computation needs."""


@dataclass(frozen=True)
class Computed:
    """What the product pays for the record, and its benefit lines (for the accumulators)."""

    paid_fen: int
    benefits: list[dict[str, Any]]


@dataclass(frozen=True)
class Decision:
    """What a verified claim records on chain and pays: product, policy, amounts, lines."""

    product: str
    policy_number: str
    computed_fen: int
    """What the rules pay (fast claim) or what was computed at the window (window claim)."""
    amount_fen: int
    benefits: list[dict[str, Any]]


def _amounts(groups: Mapping[str, Mapping[str, Any]]) -> dict[str, int]:
    fund = groups.get("fund_breakdown")
    if fund is None:
        raise RecordIncomplete("the fund_breakdown group was not disclosed")
    nested = fund.get("record")
    record = nested if isinstance(nested, Mapping) else fund
    amounts: dict[str, int] = {}
    for name in RECORD_AMOUNTS:
        value = record.get(name)
        if isinstance(value, bool) or not isinstance(value, int) or value < 0:
            raise RecordIncomplete(f"fund_breakdown.{name} is missing or not a fen amount")
        amounts[name] = value
    return amounts


def _visit_type(groups: Mapping[str, Mapping[str, Any]]) -> VisitType:
    summary = groups.get("settlement_summary", {})
    try:
        return VisitType(str(summary.get("med_type")))
    except ValueError:
        raise RecordIncomplete("settlement_summary.med_type is missing or unknown") from None


def pots_of(groups: Mapping[str, Mapping[str, Any]]) -> tuple[Pots, int]:
    """The person's share by bucket after the statutory layers, and what those layers paid."""
    a = _amounts(groups)
    in_catalogue = (
        a["preselfpay_amt"] + a["inscp_scp_amt"] - a["hifp_pay"] - a["hifmi_pay"] - a["maf_pay"]
    )
    if in_catalogue < 0:
        raise RecordIncomplete("the statutory funds paid more than the in-scope amount")
    class_c = {"": a["fulamt_ownpay_amt"]} if a["fulamt_ownpay_amt"] else {}
    return Pots(in_catalogue, a["overlmt_selfpay"], class_c), a["fund_pay_sumamt"]


def compute_payout(
    rules: RuleSet, product: str, groups: Mapping[str, Mapping[str, Any]], ytd: Accumulators
) -> Computed:
    """What ``product`` pays for the disclosed record, given the person's year to date."""
    terms = rules.products[product]
    pots, statutory_paid = pots_of(groups)
    outcome = pay_commercial(
        [(ProductHolding(product=product), terms)], pots, _visit_type(groups), ytd, statutory_paid
    )
    (payment,) = outcome.payments
    return Computed(payment.paid_fen, [line.to_dict() for line in payment.benefits])


def year_to_date(
    session: Session, pseudonym: bytes, product: str, *, since: datetime, until: datetime
) -> Accumulators:
    """The person's accumulators of ``product``: its queued and recorded claims in the period."""
    book = YearBook.read(session, [(pseudonym, product)], since=since, until=until)
    return book.of(pseudonym, product, since).accumulators(product)


def paid_claims(session: Session, claim_ids: list[int]) -> set[int]:
    """Which of ``claim_ids`` have their payout (or window) row already."""
    return set(
        session.scalars(
            select(PayoutRow.claim_id).where(
                PayoutRow.claim_id.in_(claim_ids),
                PayoutRow.kind.in_((PayoutKind.PAYOUT, PayoutKind.WINDOW)),
            )
        )
    )


def add_payout(session: Session, claim: ClaimRow, tx_hash: str) -> PayoutRow:
    """Add the claim's payout row in the caller's transaction (once :func:`paid_claims` saw none).

    The database refuses a second one (unique ``(claim_id, kind)``).

    A window claim's row is of kind ``window`` (settled with the bureau), a fast claim's of
    kind ``payout`` (paid to the patient).
    """
    kind = PayoutKind.WINDOW if claim.origin == ClaimOrigin.WINDOW else PayoutKind.PAYOUT
    row = PayoutRow(
        claim_id=claim.id,
        kind=kind,
        settlement_id=claim.settlement_id,
        amount_fen=claim.amount_fen,
        tx_hash=tx_hash,
    )
    session.add(row)
    return row


def reverse(session: Session, claim: ClaimRow, tx_hash: str) -> PayoutRow | None:
    """Add the claim's reversal (the negative amount); None if it has one."""
    return _ledger_row(session, claim, PayoutKind.REVERSAL, -claim.amount_fen, tx_hash)


def _ledger_row(
    session: Session, claim: ClaimRow, kind: str, amount_fen: int, tx_hash: str
) -> PayoutRow | None:
    kinds = (kind,) if kind == PayoutKind.REVERSAL else (PayoutKind.PAYOUT, PayoutKind.WINDOW)
    known = session.scalar(
        select(PayoutRow).where(PayoutRow.claim_id == claim.id, PayoutRow.kind.in_(kinds))
    )
    if known is not None:
        return None
    row = PayoutRow(
        claim_id=claim.id,
        kind=kind,
        settlement_id=claim.settlement_id,
        amount_fen=amount_fen,
        tx_hash=tx_hash,
    )
    session.add(row)
    return row


def ledger(session: Session) -> list[PayoutRow]:
    """Every ledger row, oldest first."""
    return list(session.scalars(select(PayoutRow).order_by(PayoutRow.id)))
