"""Rules as data: a region's basic-insurance policy and a commercial product's terms.

Each is one YAML file, validated here on load. Amounts are integer fen; ratios are exact
decimals (see :mod:`trustshare.domain.money`). ``status`` says whether the parameters are a
region's published law or an illustration; ``source`` says where they came from.
"""

from __future__ import annotations

from enum import StrEnum
from functools import cached_property
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from trustshare.domain.bill import HospitalLevel, InsuranceType, PersonCategory, VisitType
from trustshare.domain.money import FenField, Ratio, RatioField
from trustshare.domain.validation import field_problem

_FROZEN = ConfigDict(extra="forbid", frozen=True)
_RULE_ID_PATTERN = r"^[a-z0-9][a-z0-9-]*$"


class Band(BaseModel):
    """A band of a tiered schedule: amounts up to ``up_to_fen`` (or without end) at ``ratio``."""

    model_config = _FROZEN

    up_to_fen: FenField | None = Field(description="upper bound of the band; null = no end")
    ratio: RatioField


def _check_bands(bands: list[Band], field: str, floor_fen: int) -> None:
    previous = floor_fen
    for index, band in enumerate(bands):
        is_last = index == len(bands) - 1
        if band.up_to_fen is None and not is_last:
            raise field_problem(
                f"{field}.{index}.up_to_fen", "only the last band may be open-ended"
            )
        if band.up_to_fen is not None:
            if is_last:
                raise field_problem(
                    f"{field}.{index}.up_to_fen", "the last band must be open-ended (null)"
                )
            if band.up_to_fen <= previous:
                raise field_problem(
                    f"{field}.{index}.up_to_fen",
                    f"bands must rise: {band.up_to_fen} is not above {previous}",
                )
            previous = band.up_to_fen


class InpatientLevelTerms(BaseModel):
    """Basic-fund terms for stays at one hospital level."""

    model_config = _FROZEN

    deductible_fen: FenField = Field(description="deductible of the first stay in the year")
    repeat_admission_deductible_fen: FenField | None = Field(
        default=None, description="deductible of the second and later stays; null = the same"
    )
    bands: list[Band] = Field(
        min_length=1, description="ratios by band of the stay's in-scope amount"
    )

    @model_validator(mode="after")
    def _consistent(self) -> InpatientLevelTerms:
        _check_bands(self.bands, "bands", 0)
        repeat = self.repeat_admission_deductible_fen
        if repeat is not None and repeat > self.deductible_fen:
            raise field_problem(
                "repeat_admission_deductible_fen",
                "a later admission's deductible cannot exceed the first admission's",
            )
        return self

    def deductible_for(self, admission_number: int) -> int:
        """The deductible of the ``admission_number``-th stay of the year."""
        if admission_number > 1 and self.repeat_admission_deductible_fen is not None:
            return self.repeat_admission_deductible_fen
        return self.deductible_fen


class InpatientPolicy(BaseModel):
    """Basic-fund terms for stays."""

    model_config = _FROZEN

    levels: dict[HospitalLevel, InpatientLevelTerms]
    annual_cap_fen: FenField

    @model_validator(mode="after")
    def _all_levels(self) -> InpatientPolicy:
        missing = [level.value for level in HospitalLevel if level not in self.levels]
        if missing:
            raise field_problem("levels", f"missing hospital levels: {', '.join(missing)}")
        return self


class OutpatientPolicy(BaseModel):
    """Basic-fund terms for outpatient visits: one annual deductible, a ratio per level."""

    model_config = _FROZEN

    annual_deductible_fen: FenField
    ratios: dict[HospitalLevel, RatioField]
    annual_cap_fen: FenField

    @model_validator(mode="after")
    def _all_levels(self) -> OutpatientPolicy:
        missing = [level.value for level in HospitalLevel if level not in self.ratios]
        if missing:
            raise field_problem("ratios", f"missing hospital levels: {', '.join(missing)}")
        return self


class CriticalIllnessPolicy(BaseModel):
    """Critical-illness insurance (大病): tiers over the annual cumulative in-scope self-pay."""

    model_config = _FROZEN

    threshold_fen: FenField = Field(description="annual cumulative threshold")
    tiers: list[Band] = Field(min_length=1, description="bands above the threshold")
    annual_cap_fen: FenField | None = Field(default=None, description="null = no cap")

    @model_validator(mode="after")
    def _consistent(self) -> CriticalIllnessPolicy:
        _check_bands(self.tiers, "tiers", self.threshold_fen)
        return self


class Scheme(BaseModel):
    """The statutory layers of one insurance type in one region."""

    model_config = _FROZEN

    inpatient: InpatientPolicy
    outpatient: OutpatientPolicy
    critical_illness: CriticalIllnessPolicy | None = None


class AssistanceTerms(BaseModel):
    """Medical assistance (医疗救助) for one eligible person category."""

    model_config = _FROZEN

    annual_deductible_fen: FenField
    ratio: RatioField
    annual_cap_fen: FenField


class RulesHeader(BaseModel):
    """What every rules file starts with."""

    model_config = _FROZEN

    id: str = Field(pattern=_RULE_ID_PATTERN)
    version: str = Field(min_length=1)
    name: str = Field(min_length=1)
    status: Literal["published", "illustrative"]
    source: str = Field(min_length=1, description="where the parameters come from")


class RegionPolicy(RulesHeader):
    """A region's basic-insurance policy: exclusions, basic fund and statutory second layers."""

    kind: Literal["region"]
    class_b_selfpay_prop: RatioField = Field(description="default class-B advance self-pay ratio")
    schemes: dict[InsuranceType, Scheme] = Field(min_length=1)
    medical_assistance: dict[PersonCategory, AssistanceTerms] = Field(default_factory=dict)

    @model_validator(mode="after")
    def _consistent(self) -> RegionPolicy:
        if PersonCategory.GENERAL in self.medical_assistance:
            raise field_problem(
                "medical_assistance.general", "medical assistance is for eligible groups only"
            )
        return self


class Bucket(StrEnum):
    """What a commercial benefit pays from, all after the statutory layers."""

    IN_CATALOGUE = "in_catalogue"  # 目录内个人自付: class-B advance self-pay + in-scope share
    OUT_OF_CATALOGUE = "out_of_catalogue"  # 目录外全自费 (class C), except listed special drugs
    SPECIAL_DRUGS = "special_drugs"  # class-C lines whose code the product lists
    OVER_PRICE_CAP = "over_price_cap"  # 超限价自费


class Benefit(BaseModel):
    """One responsibility of a product (e.g. 住院自费 or 特药)."""

    model_config = _FROZEN

    id: str = Field(pattern=_RULE_ID_PATTERN)
    name: str = Field(min_length=1)
    covers: list[Bucket] = Field(min_length=1)
    visit_types: list[VisitType] = Field(
        default_factory=lambda: [VisitType.INPATIENT, VisitType.OUTPATIENT], min_length=1
    )
    annual_deductible_fen: FenField
    ratio: RatioField
    pre_existing_ratio: RatioField | None = Field(
        default=None, description="ratio for a pre-existing condition; null = same as ratio"
    )
    annual_cap_fen: FenField

    @model_validator(mode="after")
    def _consistent(self) -> Benefit:
        if len(set(self.covers)) != len(self.covers):
            raise field_problem("covers", "a bucket is listed twice")
        if self.pre_existing_ratio is not None and self.pre_existing_ratio.ppm > self.ratio.ppm:
            raise field_problem(
                "pre_existing_ratio", "the pre-existing-condition ratio cannot exceed the ratio"
            )
        return self

    def ratio_for(self, pre_existing: bool) -> Ratio:
        """The ratio that applies, given the holder's pre-existing-condition flag."""
        if pre_existing and self.pre_existing_ratio is not None:
            return self.pre_existing_ratio
        return self.ratio


class SpecialDrug(BaseModel):
    """A drug on a product's special-drug list, matched by the bill line's code."""

    model_config = _FROZEN

    code: str = Field(min_length=1)
    name: str = Field(min_length=1)


class ProductTerms(RulesHeader):
    """A commercial product's terms: its benefits, in the order they pay."""

    kind: Literal["product"]
    insurer: str = Field(min_length=1)
    regions: list[str] = Field(
        default_factory=list, description="region ids where it may be held; empty = anywhere"
    )
    special_drugs: list[SpecialDrug] = Field(default_factory=list)
    benefits: list[Benefit] = Field(min_length=1)

    @model_validator(mode="after")
    def _consistent(self) -> ProductTerms:
        benefit_ids = [benefit.id for benefit in self.benefits]
        for index, benefit_id in enumerate(benefit_ids):
            if benefit_id in benefit_ids[:index]:
                raise field_problem(f"benefits.{index}.id", f"benefit id {benefit_id!r} repeats")
        codes = [drug.code for drug in self.special_drugs]
        for index, code in enumerate(codes):
            if code in codes[:index]:
                raise field_problem(f"special_drugs.{index}.code", f"drug {code!r} is listed twice")
        for index, benefit in enumerate(self.benefits):
            if Bucket.SPECIAL_DRUGS in benefit.covers and not self.special_drugs:
                raise field_problem(
                    f"benefits.{index}.covers", "covers special_drugs but the product lists none"
                )
        return self

    @cached_property
    def special_drug_codes(self) -> frozenset[str]:
        """Codes of the listed special drugs."""
        return frozenset(drug.code for drug in self.special_drugs)
