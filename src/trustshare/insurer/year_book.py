"""A person's year of a product at this insurer: what earlier claims paid, what the cap has left.

Two figures come out of the same rows:

- the **accumulators** the engine continues from: per benefit, the deductible met and the
  amount paid by this node's queued and recorded claims (fast or window) of the product in the
  period;
- the **used** part of the product's annual cap: holds still held or turned into a claim, plus
  fast claims queued or recorded (a window claim is counted through its hold, not twice).

:meth:`YearBook.read` reads them for many ``(pseudonym, product)`` pairs at once — two queries
for a whole bulk of claims — and :meth:`YearBook.add` keeps them current as the bulk's claims
are queued one after another, so a person with two claims in one bulk has the second computed
after the first, exactly as two requests would.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from trustshare.domain import Accumulators
from trustshare.domain.accumulators import BenefitAccumulator
from trustshare.storage.insurer_models import (
    AuthorisationRow,
    ClaimOrigin,
    ClaimRow,
    ClaimStatus,
    HoldStatus,
)

COUNTED_HOLDS = (HoldStatus.HELD, HoldStatus.CLAIMED)
"""Holds that use up a policy's annual cap: still held, or turned into a claim."""
COUNTED_CLAIMS = (ClaimStatus.QUEUED, ClaimStatus.RECORDED)
"""Claims that count: on their way to the chain, or recorded."""

Key = tuple[bytes, str]
"""``(pseudonym, product)``."""


@dataclass
class PersonYear:
    """One person's year of one product."""

    benefits: dict[str, tuple[int, int]] = field(default_factory=dict)
    """Per benefit id: (deductible met, paid) in fen."""
    held_fen: int = 0
    claimed_fen: int = 0
    """Fast claims only (a window claim is counted through its hold)."""

    @property
    def used_fen(self) -> int:
        """What holds and fast claims took of the annual cap."""
        return self.held_fen + self.claimed_fen

    def accumulators(self, product: str) -> Accumulators:
        """The engine's accumulators of ``product`` (empty if nothing was paid yet)."""
        benefits = {
            benefit: BenefitAccumulator(deductible_met_fen=met, paid_fen=paid)
            for benefit, (met, paid) in self.benefits.items()
        }
        return Accumulators(products={product: benefits} if benefits else {})

    def add(self, benefit_lines: Iterable[dict[str, Any]], amount_fen: int, *, fast: bool) -> None:
        """Count one more claim: its benefit lines (engine output) and, if fast, its amount."""
        for line in benefit_lines:
            met, paid = self.benefits.get(line["benefit_id"], (0, 0))
            self.benefits[line["benefit_id"]] = (
                met + int(line["deductible_applied_fen"]),
                paid + int(line["paid_fen"]),
            )
        if fast:
            self.claimed_fen += amount_fen


class YearBook:
    """:class:`PersonYear` of several ``(pseudonym, product)`` pairs, per period read."""

    def __init__(self) -> None:
        """An empty book (fill it with :meth:`read` or :meth:`ensure`)."""
        self._years: dict[tuple[bytes, str, datetime], PersonYear] = {}

    @classmethod
    def read(
        cls, session: Session, keys: Sequence[Key], *, since: datetime, until: datetime
    ) -> YearBook:
        """A book of ``keys`` over ``[since, until)``, from the node's claims and holds."""
        book = cls()
        book._read(session, keys, since=since, until=until)
        return book

    def ensure(self, session: Session, key: Key, *, since: datetime, until: datetime) -> None:
        """Read ``key``'s year over ``[since, until)`` unless this book holds it already."""
        if (*key, since) not in self._years:
            self._read(session, [key], since=since, until=until)

    def of(self, pseudonym: bytes, product: str, since: datetime) -> PersonYear:
        """The year of ``(pseudonym, product)`` starting ``since`` (which must have been read)."""
        return self._years[(pseudonym, product, since)]

    def _read(
        self, session: Session, keys: Sequence[Key], *, since: datetime, until: datetime
    ) -> None:
        years: dict[Key, PersonYear] = {key: PersonYear() for key in keys}
        if not years:
            return
        pseudonyms = {pseudonym for pseudonym, _ in years}
        products = {product for _, product in years}
        claims = session.execute(
            select(ClaimRow.pseudonym, ClaimRow.product, ClaimRow.origin, ClaimRow.amount_fen)
            .add_columns(ClaimRow.benefits_json)
            .where(
                ClaimRow.pseudonym.in_(pseudonyms),
                ClaimRow.product.in_(products),
                ClaimRow.status.in_(COUNTED_CLAIMS),
                ClaimRow.created_at >= since,
                ClaimRow.created_at < until,
            )
        )
        for pseudonym, product, origin, amount_fen, benefits_json in claims:
            year = years.get((bytes(pseudonym), product))
            if year is not None:
                fast = origin == ClaimOrigin.FAST
                year.add(json.loads(benefits_json or "[]"), amount_fen or 0, fast=fast)
        holds = session.execute(
            select(
                AuthorisationRow.pseudonym,
                AuthorisationRow.product,
                func.coalesce(func.sum(AuthorisationRow.authorised_fen), 0),
            )
            .where(
                AuthorisationRow.pseudonym.in_(pseudonyms),
                AuthorisationRow.product.in_(products),
                AuthorisationRow.created_at >= since,
                AuthorisationRow.created_at < until,
                AuthorisationRow.status.in_(COUNTED_HOLDS),
            )
            .group_by(AuthorisationRow.pseudonym, AuthorisationRow.product)
        )
        for pseudonym, product, held in holds:
            year = years.get((bytes(pseudonym), product))
            if year is not None:
                year.held_fen = int(held)
        for (pseudonym, product), year in years.items():
            self._years[(pseudonym, product, since)] = year
