"""Deciding a verified fast claim: the policy, the consent, the engine's payout and the caps.

Called inside the transaction that queues the claim (:func:`.claims.queue_in`), with the
chain's facts read just before it. The payout is the engine's commercial layer for the
policy's product on the disclosed record, given this year's earlier payouts; it is then capped
by what is left of the product's annual cap (holds and claims) and of the settlement's claim
ceiling after every insurer's active claims.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from trustshare.chain.registries.consent import PermissionStatus
from trustshare.insurer import payouts
from trustshare.insurer.claims_verify import ChainFacts, ClaimRefused, VerifiedRecord
from trustshare.insurer.context import InsurerContext
from trustshare.insurer.policies import annual_cap_fen
from trustshare.insurer.realtime import year_bounds
from trustshare.insurer.records import used_fen
from trustshare.storage.insurer_models import ClaimRow, PolicyRow, PolicyStatus


def claim_policy(session: Session, claim: ClaimRow, pseudonym: bytes) -> PolicyRow:
    """The policy a claim is made under (locked), or the refusal saying why there is none."""
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


def decide_fast(
    context: InsurerContext,
    session: Session,
    claim: ClaimRow,
    verified: VerifiedRecord,
    facts: ChainFacts,
    now: datetime,
) -> payouts.Decision:
    """A fast claim's payout: policy, consent, the engine, then the annual cap and the ceiling.

    Raises :class:`ClaimRefused` with the first check that fails.
    """
    leaf = verified.leaf
    policy = claim_policy(session, claim, leaf.pseudonym)
    if policy.product not in context.rules.products:
        raise ClaimRefused("product_mismatch", f"{policy.product!r} is not in the rules")
    if facts.permission is not PermissionStatus.PERMITTED:
        raise ClaimRefused(
            f"consent_{facts.permission.name.lower()}",
            "the patient's consent does not permit a claim",
        )
    since, until = year_bounds(now)
    ytd = payouts.year_to_date(session, leaf.pseudonym, policy.product, since=since, until=until)
    try:
        computed = payouts.compute_payout(context.rules, policy.product, verified.groups, ytd)
    except payouts.RecordIncomplete as exc:
        raise ClaimRefused("record_incomplete", str(exc)) from exc
    if computed.paid_fen == 0:
        raise ClaimRefused("nothing_payable", "the product pays nothing on this record")
    used = used_fen(session, leaf.pseudonym, policy.product, since=since, until=until)
    cap_left = annual_cap_fen(context.rules, policy.product) - used
    if cap_left <= 0:
        raise ClaimRefused("annual_cap_reached", "this year's holds and claims took the cap")
    left = leaf.claim_ceiling_fen - facts.claimed_fen
    if left <= 0:
        raise ClaimRefused("ceiling_taken", "other insurers' claims took the claim ceiling")
    return payouts.Decision(
        product=policy.product,
        policy_number=policy.policy_number,
        computed_fen=computed.paid_fen,
        amount_fen=min(computed.paid_fen, left, cap_left),
        benefits=computed.benefits,
    )
