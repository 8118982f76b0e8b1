"""Deciding a verified fast claim: the policy, the consent, the engine's payout and the caps.

Called inside the transaction that queues the claim (:func:`.claims.queue_in`), with the
chain's facts read just before it. The payout is the engine's commercial layer for the
policy's product on the disclosed record, given this year's earlier payouts; it is then capped
by what is left of the product's annual cap (holds and claims) and of the settlement's claim
ceiling after every insurer's active claims.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from trustshare.chain.registries.consent import PermissionStatus
from trustshare.insurer import payouts
from trustshare.insurer.claims_verify import ChainFacts, ClaimRefused, VerifiedRecord
from trustshare.insurer.context import InsurerContext
from trustshare.insurer.policies import annual_cap_fen
from trustshare.insurer.realtime import year_bounds
from trustshare.insurer.year_book import YearBook
from trustshare.storage.insurer_models import ClaimRow, PolicyRow, PolicyStatus


def locked_policies(session: Session, pseudonyms: Iterable[bytes]) -> dict[bytes, list[PolicyRow]]:
    """Every policy of ``pseudonyms``, locked, oldest first (one query for a bulk)."""
    query = select(PolicyRow).where(PolicyRow.pseudonym.in_(set(pseudonyms))).with_for_update()
    policies: dict[bytes, list[PolicyRow]] = {}
    for policy in session.scalars(query.order_by(PolicyRow.id)):
        policies.setdefault(bytes(policy.pseudonym), []).append(policy)
    return policies


def _covers(policy: PolicyRow, claim: ClaimRow, pseudonym: bytes) -> bool:
    if claim.policy_number:
        return policy.policy_number == claim.policy_number
    return (
        policy.pseudonym == pseudonym
        and policy.product == claim.product
        and policy.status == PolicyStatus.ACTIVE
    )


def claim_policy(
    session: Session, claim: ClaimRow, pseudonym: bytes, known: Sequence[PolicyRow] = ()
) -> PolicyRow:
    """The policy a claim is made under (locked), or the refusal saying why there is none.

    ``known``: the person's policies already locked (:func:`locked_policies`), looked at first.
    """
    policy = next((each for each in known if _covers(each, claim, pseudonym)), None)
    if policy is None:
        query = select(PolicyRow).with_for_update()
        if claim.policy_number:
            query = query.where(PolicyRow.policy_number == claim.policy_number)
        else:
            query = query.where(
                PolicyRow.pseudonym == pseudonym,
                PolicyRow.product == claim.product,
                PolicyRow.status == PolicyStatus.ACTIVE,
            )
        policy = session.scalars(query.order_by(PolicyRow.id)).first()
    if policy is None:
        raise ClaimRefused("no_policy", "no policy of this insurer covers the claim")
    if policy.pseudonym != pseudonym:
        raise ClaimRefused("pseudonym_mismatch", "the policy belongs to another person")
    if claim.product and policy.product != claim.product:
        raise ClaimRefused("product_mismatch", "the policy is for another product")
    if policy.status != PolicyStatus.ACTIVE:
        raise ClaimRefused("policy_not_active", f"the policy is {policy.status}")
    return policy


@dataclass
class BulkContext:
    """What a bulk of claims read once for all of them: the policies and the year book."""

    policies: dict[bytes, list[PolicyRow]]
    book: YearBook


def decide_fast(
    context: InsurerContext,
    session: Session,
    claim: ClaimRow,
    verified: VerifiedRecord,
    facts: ChainFacts,
    now: datetime,
    bulk: BulkContext | None = None,
) -> payouts.Decision:
    """A fast claim's payout: policy, consent, the engine, then the annual cap and the ceiling.

    Raises :class:`ClaimRefused` with the first check that fails. ``bulk``: the policies and
    year book read for the claim's whole bulk; the decision is added to the book.
    """
    leaf = verified.leaf
    known = bulk.policies.get(leaf.pseudonym, []) if bulk is not None else []
    policy = claim_policy(session, claim, leaf.pseudonym, known)
    if policy.product not in context.rules.products:
        raise ClaimRefused("product_mismatch", f"{policy.product!r} is not in the rules")
    if facts.permission is not PermissionStatus.PERMITTED:
        raise ClaimRefused(
            f"consent_{facts.permission.name.lower()}",
            "the patient's consent does not permit a claim",
        )
    since, until = year_bounds(now)
    key = (leaf.pseudonym, policy.product)
    book = bulk.book if bulk is not None else YearBook()
    book.ensure(session, key, since=since, until=until)
    year = book.of(*key, since)
    try:
        computed = payouts.compute_payout(
            context.rules, policy.product, verified.groups, year.accumulators(policy.product)
        )
    except payouts.RecordIncomplete as exc:
        raise ClaimRefused("record_incomplete", str(exc)) from exc
    if computed.paid_fen == 0:
        raise ClaimRefused("nothing_payable", "the product pays nothing on this record")
    cap_left = annual_cap_fen(context.rules, policy.product) - year.used_fen
    if cap_left <= 0:
        raise ClaimRefused("annual_cap_reached", "this year's holds and claims took the cap")
    left = leaf.claim_ceiling_fen - facts.claimed_fen
    if left <= 0:
        raise ClaimRefused("ceiling_taken", "other insurers' claims took the claim ceiling")
    amount_fen = min(computed.paid_fen, left, cap_left)
    year.add(computed.benefits, amount_fen, fast=True)
    return payouts.Decision(
        product=policy.product,
        policy_number=policy.policy_number,
        computed_fen=computed.paid_fen,
        amount_fen=amount_fen,
        benefits=computed.benefits,
    )
