"""The hospital bill: what one visit cost, line by line, and who the patient is insured with."""

from __future__ import annotations

from collections.abc import Mapping
from enum import StrEnum
from typing import Annotated, Any

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    PlainValidator,
    ValidationError,
    WithJsonSchema,
    model_validator,
)

from trustshare.domain.errors import InvalidBill
from trustshare.domain.money import FenField, RatioField
from trustshare.domain.validation import domain_error_from, field_problem


class ItemClass(StrEnum):
    """Catalogue class of a line item (``chrgitm_lv``): 甲 A, 乙 B, 丙 C."""

    A = "A"
    B = "B"
    C = "C"


class VisitType(StrEnum):
    """Medical category of the visit (``med_type``)."""

    INPATIENT = "inpatient"
    OUTPATIENT = "outpatient"


class HospitalLevel(StrEnum):
    """Hospital grade, which sets the basic fund's deductible and ratio."""

    PRIMARY = "primary"
    SECONDARY = "secondary"
    TERTIARY = "tertiary"


class InsuranceType(StrEnum):
    """Basic insurance type (``insutype``): employee (职工) or urban-rural resident (居民)."""

    EMPLOYEE = "employee"
    RESIDENT = "resident"


class PersonCategory(StrEnum):
    """Person category (``psn_type``) as far as medical assistance cares."""

    GENERAL = "general"
    MINIMUM_LIVING = "minimum_living"  # 低保
    EXTREME_POVERTY = "extreme_poverty"  # 特困供养
    LOW_INCOME_MARGIN = "low_income_margin"  # 低保边缘


def _validate_quantity(value: object) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValueError(
            f"quantity is a whole number of billing units, got {value!r}; "
            "bill fractional quantities in a smaller unit"
        )
    if value < 1:
        raise ValueError(f"quantity must be at least 1, got {value}")
    return value


Quantity = Annotated[
    int,
    PlainValidator(_validate_quantity),
    WithJsonSchema({"type": "integer", "minimum": 1, "description": "billing units"}),
]

_FROZEN = ConfigDict(extra="forbid", frozen=True)


class LineItem(BaseModel):
    """One line of the bill (one charge item or drug)."""

    model_config = _FROZEN

    code: str = Field(min_length=1, description="charge item or drug code (special drugs match it)")
    name: str = Field(default="", description="display name")
    item_class: ItemClass = Field(description="catalogue class chrgitm_lv: A 甲, B 乙, C 丙")
    quantity: Quantity
    unit_price_fen: FenField
    price_cap_fen: FenField | None = Field(
        default=None, description="the catalogue's price cap per unit; above it is overlmt_selfpay"
    )
    selfpay_prop: RatioField | None = Field(
        default=None,
        description="class-B advance self-pay ratio; omitted means the region's default",
    )

    @model_validator(mode="after")
    def _flags_agree(self) -> LineItem:
        if self.selfpay_prop is not None and self.item_class is not ItemClass.B:
            raise field_problem(
                "selfpay_prop",
                f"only class B items have an advance self-pay ratio; this item is class "
                f"{self.item_class.value}",
            )
        return self

    @property
    def amount_fen(self) -> int:
        """What the line costs: quantity × unit price."""
        return self.quantity * self.unit_price_fen


class ProductHolding(BaseModel):
    """A commercial product the patient presented, in payer order (``Coverage.order``)."""

    model_config = _FROZEN

    product: str = Field(min_length=1, description="product rules id")
    pre_existing: bool = Field(
        default=False, description="the visit concerns a condition pre-existing for this product"
    )


class Bill(BaseModel):
    """The bill a hospital sends for settlement, and the facts that select the rules."""

    model_config = _FROZEN

    mdtrt_id: str = Field(min_length=1, description="visit id")
    setl_id: str | None = Field(default=None, description="settlement id")
    psn_no: str | None = Field(default=None, description="person number (a keyed pseudonym)")
    settlement_time: str | None = Field(default=None, description="ISO 8601 settlement time")
    region: str = Field(min_length=1, description="region policy id, e.g. beijing")
    insurance_type: InsuranceType
    person_category: PersonCategory = PersonCategory.GENERAL
    visit_type: VisitType
    hospital_level: HospitalLevel
    admission_number: int | None = Field(
        default=None, ge=1, strict=True, description="inpatient: 1 for the first stay this year"
    )
    personal_account_balance_fen: FenField = Field(
        default=0, description="employee personal account balance available to pay the share"
    )
    lines: list[LineItem] = Field(min_length=1, max_length=100_000)
    products: list[ProductHolding] = Field(
        default_factory=list, description="commercial products, in payer order"
    )

    @model_validator(mode="after")
    def _flags_agree(self) -> Bill:
        if self.visit_type is VisitType.INPATIENT and self.admission_number is None:
            raise field_problem("admission_number", "an inpatient bill needs the admission number")
        if self.visit_type is VisitType.OUTPATIENT and self.admission_number is not None:
            raise field_problem("admission_number", "an outpatient bill has no admission number")
        if self.insurance_type is InsuranceType.RESIDENT and self.personal_account_balance_fen != 0:
            raise field_problem(
                "personal_account_balance_fen", "resident insurance has no personal account"
            )
        seen: set[str] = set()
        for index, holding in enumerate(self.products):
            if holding.product in seen:
                raise field_problem(
                    f"products.{index}.product",
                    f"product {holding.product!r} appears twice in the payer order",
                )
            seen.add(holding.product)
        return self

    @property
    def medfee_sumamt(self) -> int:
        """Total medical cost of the bill."""
        return sum(line.quantity * line.unit_price_fen for line in self.lines)


def parse_bill(data: Mapping[str, Any] | object) -> Bill:
    """Validate a bill decoded from JSON; raise :class:`InvalidBill` naming the field and reason."""
    if not isinstance(data, Mapping):
        raise InvalidBill("", f"a bill is a JSON object, got {type(data).__name__}")
    try:
        return Bill.model_validate(data)
    except ValidationError as exc:
        raise domain_error_from(exc, InvalidBill) from None


def bill_json_schema() -> dict[str, Any]:
    """The published JSON schema of a bill."""
    schema = Bill.model_json_schema()
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["title"] = "TrustShare bill"
    return schema
