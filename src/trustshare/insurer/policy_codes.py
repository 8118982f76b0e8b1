"""Issuing 商保码: a short-lived policy code, signed with the insurer's chain key.

The code (:mod:`trustshare.crypto.policy_code`) lets the bureau include this insurer's layer at
the hospital window without asking the insurer who holds which policy. It is issued only for an
active policy in force now, and expires after :data:`CODE_LIFETIME_SECONDS` or when the cover
ends, whichever is first.
"""

from __future__ import annotations

from datetime import UTC, datetime

from trustshare.crypto.policy_code import (
    PolicyCode,
    PolicyCodeDomain,
    SignedPolicyCode,
    sign_policy_code,
)
from trustshare.insurer.context import InsurerContext
from trustshare.storage.insurer_models import PolicyRow, PolicyStatus

CODE_LIFETIME_SECONDS = 600


class PolicyCodeRefused(Exception):
    """No code for this policy now: ``code`` is stable, ``reason`` is for people."""

    def __init__(self, code: str, reason: str) -> None:
        """Describe the refusal."""
        super().__init__(f"{code}: {reason}")
        self.code = code
        self.reason = reason


def policy_code_domain(context: InsurerContext) -> PolicyCodeDomain:
    """The EIP-712 domain of policy codes on this node's network."""
    return PolicyCodeDomain(context.deployment.chain_id, context.deployment.participants)


def issue_policy_code(
    context: InsurerContext, policy: PolicyRow, *, now: float
) -> SignedPolicyCode:
    """Sign a code for ``policy`` valid from ``now``; raises :class:`PolicyCodeRefused`."""
    if policy.status != PolicyStatus.ACTIVE:
        raise PolicyCodeRefused("policy_not_active", f"the policy is {policy.status}")
    starts, ends = _unix(policy.valid_from), _unix(policy.valid_to)
    if not starts <= now < ends:
        raise PolicyCodeRefused("policy_not_in_force", "the policy does not cover today")
    code = PolicyCode(
        pseudonym=policy.pseudonym,
        insurer=context.address,
        product=policy.product,
        policy_number=policy.policy_number,
        expires_at=min(int(now) + CODE_LIFETIME_SECONDS, int(ends)),
    )
    return sign_policy_code(context.keystore.account, policy_code_domain(context), code)


def _unix(moment: datetime) -> float:
    # SQLite hands back naive datetimes; every stored time is UTC.
    aware = moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)
    return aware.timestamp()
