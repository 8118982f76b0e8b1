"""A person's year-to-date accumulators: what the caps, deductibles and thresholds have seen."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from trustshare.domain.errors import InvalidAccumulators
from trustshare.domain.money import FenField
from trustshare.domain.validation import domain_error_from

_FROZEN = ConfigDict(extra="forbid", frozen=True)


class BenefitAccumulator(BaseModel):
    """One commercial benefit's year to date."""

    model_config = _FROZEN

    deductible_met_fen: FenField = 0
    paid_fen: FenField = 0


class Accumulators(BaseModel):
    """Year-to-date figures for one person; a settlement returns them updated."""

    model_config = _FROZEN

    year: int | None = Field(default=None, strict=True, description="calendar year, informative")
    inpatient_fund_paid_fen: FenField = Field(
        default=0, description="basic fund paid for stays, against the inpatient annual cap"
    )
    outpatient_deductible_met_fen: FenField = Field(
        default=0, description="outpatient annual deductible met so far"
    )
    outpatient_fund_paid_fen: FenField = Field(
        default=0, description="basic fund paid for outpatient visits, against their annual cap"
    )
    critical_illness_cumulative_fen: FenField = Field(
        default=0, description="cumulative in-scope self-pay counted by critical-illness insurance"
    )
    critical_illness_paid_fen: FenField = Field(
        default=0, description="critical-illness insurance paid so far"
    )
    assistance_deductible_met_fen: FenField = Field(
        default=0, description="medical-assistance annual threshold met so far"
    )
    assistance_paid_fen: FenField = Field(default=0, description="medical assistance paid so far")
    products: dict[str, dict[str, BenefitAccumulator]] = Field(
        default_factory=dict, description="product id → benefit id → its year to date"
    )

    def benefit(self, product_id: str, benefit_id: str) -> BenefitAccumulator:
        """The year to date of one product benefit (zeros if never used)."""
        per_product = self.products.get(product_id)
        if per_product is None:
            return _EMPTY_BENEFIT
        return per_product.get(benefit_id, _EMPTY_BENEFIT)


_EMPTY_BENEFIT = BenefitAccumulator()

EMPTY_ACCUMULATORS = Accumulators()
"""Accumulators of a person with nothing settled yet this year."""


def parse_accumulators(data: Mapping[str, Any] | object) -> Accumulators:
    """Validate accumulators decoded from JSON; raise :class:`InvalidAccumulators` if malformed."""
    if not isinstance(data, Mapping):
        raise InvalidAccumulators("", f"accumulators are a JSON object, got {type(data).__name__}")
    try:
        return Accumulators.model_validate(data)
    except ValidationError as exc:
        raise domain_error_from(exc, InvalidAccumulators) from None
