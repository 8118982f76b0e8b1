"""A person's year-to-date accumulators: what the caps, deductibles and thresholds have seen.

Plain frozen dataclasses, so the engine builds the updated ones cheaply; pydantic validates
them on the way in (:func:`parse_accumulators`) and dumps them on the way out.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Annotated, Any

from pydantic import ConfigDict, Field, TypeAdapter, ValidationError

from trustshare.domain.errors import InvalidAccumulators
from trustshare.domain.money import FenField
from trustshare.domain.validation import domain_error_from


@dataclass(frozen=True, slots=True)
class BenefitAccumulator:
    """One commercial benefit's year to date."""

    __pydantic_config__ = ConfigDict(extra="forbid")

    deductible_met_fen: FenField = 0
    paid_fen: FenField = 0


_EMPTY_BENEFIT = BenefitAccumulator()


@dataclass(frozen=True, slots=True)
class Accumulators:
    """Year-to-date figures for one person; a settlement returns them updated."""

    __pydantic_config__ = ConfigDict(extra="forbid")

    year: Annotated[int | None, Field(strict=True, description="calendar year, informative")] = None
    inpatient_fund_paid_fen: Annotated[
        FenField, Field(description="basic fund paid for stays, against the inpatient annual cap")
    ] = 0
    outpatient_deductible_met_fen: Annotated[
        FenField, Field(description="outpatient annual deductible met so far")
    ] = 0
    outpatient_fund_paid_fen: Annotated[
        FenField, Field(description="basic fund paid for outpatient visits, against their cap")
    ] = 0
    critical_illness_cumulative_fen: Annotated[
        FenField, Field(description="cumulative in-scope self-pay counted by critical illness")
    ] = 0
    critical_illness_paid_fen: Annotated[
        FenField, Field(description="critical-illness insurance paid so far")
    ] = 0
    assistance_deductible_met_fen: Annotated[
        FenField, Field(description="medical-assistance annual threshold met so far")
    ] = 0
    assistance_paid_fen: Annotated[
        FenField, Field(description="medical assistance paid so far")
    ] = 0
    products: Mapping[str, Mapping[str, BenefitAccumulator]] = field(default_factory=dict)
    """Product id → benefit id → its year to date."""

    def benefit(self, product_id: str, benefit_id: str) -> BenefitAccumulator:
        """The year to date of one product benefit (zeros if never used)."""
        per_product = self.products.get(product_id)
        if per_product is None:
            return _EMPTY_BENEFIT
        return per_product.get(benefit_id, _EMPTY_BENEFIT)

    def to_dict(self) -> dict[str, Any]:
        """The accumulators as a JSON-able mapping, as :func:`parse_accumulators` reads them."""
        dumped: dict[str, Any] = _ADAPTER.dump_python(self, mode="json")
        return dumped


_ADAPTER: TypeAdapter[Accumulators] = TypeAdapter(Accumulators)

EMPTY_ACCUMULATORS = Accumulators()
"""Accumulators of a person with nothing settled yet this year."""


def parse_accumulators(data: Mapping[str, Any] | object) -> Accumulators:
    """Validate accumulators decoded from JSON; raise :class:`InvalidAccumulators` if malformed."""
    if not isinstance(data, Mapping):
        raise InvalidAccumulators("", f"accumulators are a JSON object, got {type(data).__name__}")
    try:
        return _ADAPTER.validate_python(data)
    except ValidationError as exc:
        raise domain_error_from(exc, InvalidAccumulators) from None


def accumulators_json_schema() -> dict[str, Any]:
    """The JSON schema of the accumulators file."""
    return _ADAPTER.json_schema()
