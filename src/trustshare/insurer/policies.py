"""Policies this insurer has issued (one-click enrollment will issue them; for now, directly)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from trustshare.domain import RuleSet
from trustshare.insurer.records import policy_by_number
from trustshare.storage.insurer_models import PolicyRow, PolicyStatus


class PolicyProblem(ValueError):
    """A policy cannot be issued as asked; ``field`` names what is wrong."""

    def __init__(self, field: str, reason: str) -> None:
        """Say which field is wrong and why."""
        super().__init__(f"{field}: {reason}")
        self.field = field
        self.reason = reason


class PolicyAlreadyIssued(PolicyProblem):
    """Another policy of the product for the person starts at the same moment (a race)."""


def annual_cap_fen(rules: RuleSet, product: str) -> int:
    """The most ``product`` pays one person in a year: the sum of its benefits' annual caps."""
    return sum(benefit.annual_cap_fen for benefit in rules.products[product].benefits)


def issue_policy(
    session: Session,
    rules: RuleSet,
    *,
    policy_number: str,
    pseudonym: bytes,
    product: str,
    valid_from: datetime,
    valid_to: datetime,
) -> PolicyRow:
    """Record a new active policy and commit it. Raises :class:`PolicyProblem`.

    Two enrollments racing for the same cover meet the unique key: the second gets
    :class:`PolicyAlreadyIssued` and nothing is stored for it.
    """
    if product not in rules.products:
        raise PolicyProblem("product", f"{product!r} is not a product of the rule set")
    if len(pseudonym) != 32:
        raise PolicyProblem("pseudonym", "must be 32 bytes")
    if valid_to <= valid_from:
        raise PolicyProblem("valid_to", "cover must end after it starts")
    if policy_by_number(session, policy_number) is not None:
        raise PolicyProblem("policy_number", f"{policy_number!r} is already issued")
    policy = PolicyRow(
        policy_number=policy_number,
        pseudonym=pseudonym,
        product=product,
        status=PolicyStatus.ACTIVE,
        valid_from=valid_from,
        valid_to=valid_to,
    )
    session.add(policy)
    try:
        session.commit()
    except IntegrityError:
        session.rollback()
        if policy_by_number(session, policy_number) is not None:
            raise PolicyProblem("policy_number", f"{policy_number!r} is already issued") from None
        raise PolicyAlreadyIssued(
            "valid_from", f"a policy of {product} for this person already starts then"
        ) from None
    return policy
