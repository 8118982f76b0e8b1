"""Coordination of benefits: a later payer never pays more than earlier payers left unpaid."""

from __future__ import annotations


def coordinate_benefit(
    charge_fen: int,
    prior_paid_fen: int,
    own_benefit_fen: int,
    own_allowed_fen: int,
    prior_allowed_fen: int,
) -> int:
    """What a later payer pays, by the rule of 42 CFR §411.33(b) and the NAIC COB model.

    The lesser of: the charge less what earlier payers paid; the payer's own benefit as if it
    were primary; and the higher of the two allowed amounts less what earlier payers paid.
    Never negative.

    >>> coordinate_benefit(17500, 12000, 10000, 12500, 15000)  # DOMAIN.md E1, in cents
    3000
    """
    left_unpaid = charge_fen - prior_paid_fen
    allowable_left = max(own_allowed_fen, prior_allowed_fen) - prior_paid_fen
    return max(0, min(left_unpaid, own_benefit_fen, allowable_left))
