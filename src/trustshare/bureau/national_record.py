"""The bulk file's line: one settlement as the national platform returns it (docs/INGESTION.md).

Amounts are integer fen under the platform's own field names (``setl_id``, ``medfee_sumamt``,
``hifp_pay`` …); the person comes as ``id_number``, which ingestion turns into the keyed
pseudonym and drops. A line becomes the disclosure groups ``settlement_summary``,
``fund_breakdown``, ``diagnosis`` (if given) and ``line_items`` (if given).
"""

from __future__ import annotations

import hashlib
from datetime import datetime
from typing import Annotated, Any, Final

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from trustshare.domain.bill import InsuranceType, LineItem, PersonCategory, VisitType

NATIONAL_PLATFORM_RULES_DIGEST: Final = hashlib.sha256(
    b"trustshare/rules/national-platform/v1"
).digest()
"""``rules_digest`` of records the national platform settled (not recomputable from our rules)."""

SUMMARY_FIELDS: Final = (
    "setl_id",
    "mdtrt_id",
    "setl_time",
    "region",
    "insutype",
    "psn_type",
    "med_type",
    "fixmedins_code",
    "fixmedins_name",
    "medfee_sumamt",
    "fund_pay_sumamt",
    "psn_part_amt",
    "acct_pay",
    "psn_cash_pay",
)
"""Fields of the ``settlement_summary`` group (absent optional fields are left out)."""

FUND_FIELDS: Final = (
    "fulamt_ownpay_amt",
    "overlmt_selfpay",
    "preselfpay_amt",
    "inscp_scp_amt",
    "act_pay_dedc",
    "hifp_pay",
    "pool_prop_selfpay",
    "cvlserv_pay",
    "hifes_pay",
    "hifmi_pay",
    "hifob_pay",
    "maf_pay",
    "hosp_part_amt",
    "oth_pay",
)
"""Fields of the ``fund_breakdown`` group."""

DIAGNOSIS_FIELDS: Final = ("dise_codg", "dise_name")
"""Fields of the ``diagnosis`` group, present when the line has a diagnosis."""

Fen = Annotated[int, Field(ge=0, le=10**15)]
Reference = Annotated[str, Field(min_length=1, max_length=64)]
Label = Annotated[str, Field(min_length=1, max_length=200)]


class NationalSettlementLine(BaseModel):
    """One line of a bulk file: a settlement as the national platform returns it, amounts in fen."""

    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)

    setl_id: Reference
    mdtrt_id: Reference
    id_number: Annotated[str, Field(min_length=1, max_length=64)]
    setl_time: Annotated[str, Field(min_length=10, max_length=40)]
    region: Label
    insutype: InsuranceType
    psn_type: PersonCategory | None = None
    med_type: VisitType
    fixmedins_code: Reference | None = None
    fixmedins_name: Label | None = None
    dise_codg: Reference | None = None
    dise_name: Label | None = None
    medfee_sumamt: Fen
    fulamt_ownpay_amt: Fen
    overlmt_selfpay: Fen
    preselfpay_amt: Fen
    inscp_scp_amt: Fen
    act_pay_dedc: Fen
    hifp_pay: Fen
    pool_prop_selfpay: Annotated[str, Field(pattern=r"^(0|1)(\.[0-9]{1,6})?$")]
    cvlserv_pay: Fen
    hifes_pay: Fen
    hifmi_pay: Fen
    hifob_pay: Fen
    maf_pay: Fen
    hosp_part_amt: Fen
    oth_pay: Fen
    fund_pay_sumamt: Fen
    psn_part_amt: Fen
    acct_pay: Fen
    psn_cash_pay: Fen
    line_items: Annotated[list[LineItem], Field(min_length=1, max_length=10_000)] | None = None
    claim_ceiling_fen: Fen | None = None

    @field_validator("setl_time")
    @classmethod
    def _iso_time(cls, value: str) -> str:
        datetime.fromisoformat(value)
        return value

    def inconsistency(self) -> tuple[str, str] | None:
        """The first amount that contradicts the others, as (field, reason), or None."""
        if self.psn_part_amt != self.acct_pay + self.psn_cash_pay:
            return "psn_part_amt", "must equal acct_pay + psn_cash_pay"
        if self.medfee_sumamt != self.fund_pay_sumamt + self.psn_part_amt + self.hosp_part_amt:
            return "medfee_sumamt", "must equal fund_pay_sumamt + psn_part_amt + hosp_part_amt"
        if self.claim_ceiling_fen is not None and self.claim_ceiling_fen > self.psn_part_amt:
            return "claim_ceiling_fen", "must not exceed psn_part_amt (what the person paid)"
        return None

    def disclosure_groups(self) -> dict[str, dict[str, Any]]:
        """The record as ``{group: {field: value}}`` (no ID number, no claim ceiling)."""
        values = self.__dict__
        summary = {name: values[name] for name in SUMMARY_FIELDS if values[name] is not None}
        groups: dict[str, dict[str, Any]] = {
            "settlement_summary": summary,
            "fund_breakdown": {name: values[name] for name in FUND_FIELDS},
        }
        if self.dise_codg is not None or self.dise_name is not None:
            groups["diagnosis"] = {n: values[n] for n in DIAGNOSIS_FIELDS if values[n] is not None}
        if self.line_items is not None:
            items = [item.model_dump(mode="json", exclude_none=True) for item in self.line_items]
            groups["line_items"] = {"items": items}
        return groups


def first_problem(error: ValidationError) -> tuple[str | None, str]:
    """The first problem of a refused line as (field path or None, reason)."""
    problem = error.errors(include_url=False, include_input=False)[0]
    path = ""
    for part in problem.get("loc", ()):
        path += f"[{part}]" if isinstance(part, int) else (f".{part}" if path else str(part))
    if problem.get("type") == "json_invalid":
        return None, f"not valid JSON: {problem.get('msg', '')}"
    return path or None, str(problem.get("msg", "invalid"))
