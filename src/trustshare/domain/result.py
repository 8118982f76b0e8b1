"""What a settlement returns: the national record, the commercial lines, the patient's remainder."""

from __future__ import annotations

from dataclasses import dataclass, fields
from typing import Any

from trustshare.domain.accumulators import Accumulators
from trustshare.domain.bill import Bill
from trustshare.domain.money import format_yuan


@dataclass(frozen=True, slots=True)
class SettlementRecord:
    """The national settlement record's amounts (fen), named as the platform names them."""

    medfee_sumamt: int
    fulamt_ownpay_amt: int
    overlmt_selfpay: int
    preselfpay_amt: int
    inscp_scp_amt: int
    act_pay_dedc: int
    hifp_pay: int
    pool_prop_selfpay: str
    """The basic fund's effective ratio on the in-scope amount above the deductible (text)."""
    cvlserv_pay: int
    hifes_pay: int
    hifmi_pay: int
    hifob_pay: int
    maf_pay: int
    hosp_part_amt: int
    oth_pay: int
    fund_pay_sumamt: int
    psn_part_amt: int
    acct_pay: int
    psn_cash_pay: int

    def to_dict(self) -> dict[str, Any]:
        """The record as a JSON-able mapping."""
        return {item.name: getattr(self, item.name) for item in fields(self)}


@dataclass(frozen=True, slots=True)
class BenefitPayment:
    """What one benefit of a commercial product paid."""

    benefit_id: str
    applies: bool
    base_fen: int
    """What the benefit's buckets still held when it came to pay (left by earlier payers)."""
    deductible_applied_fen: int
    ratio: str
    paid_fen: int

    def to_dict(self) -> dict[str, Any]:
        """The benefit line as a JSON-able mapping."""
        return {item.name: getattr(self, item.name) for item in fields(self)}


@dataclass(frozen=True, slots=True)
class CommercialPayment:
    """One commercial payer's line of the settlement."""

    order: int
    """Position in the payer order (``Coverage.order``; basic insurance is 1)."""
    product_id: str
    product_version: str
    insurer: str
    pre_existing: bool
    prior_payers_paid_fen: int
    """What every earlier payer (statutory funds and earlier products) paid: ``priorpayerpaid``."""
    paid_fen: int
    benefits: tuple[BenefitPayment, ...]

    def to_dict(self) -> dict[str, Any]:
        """The payer's line as a JSON-able mapping."""
        out = {item.name: getattr(self, item.name) for item in fields(self)}
        out["benefits"] = [benefit.to_dict() for benefit in self.benefits]
        return out


@dataclass(frozen=True, slots=True)
class TraceStep:
    """One layer's arithmetic, in words.

    The text is kept as a template whose ``{}`` are amounts in fen, rendered as yuan only when
    read: settling stays cheap and two equal settlements have equal traces.
    """

    layer: str
    paid_fen: int
    template: str
    amounts: tuple[int, ...] = ()

    @property
    def explanation(self) -> str:
        """The arithmetic with every amount rendered in yuan."""
        return self.template.format(*[format_yuan(amount) for amount in self.amounts])


@dataclass(frozen=True, slots=True)
class RulesUsed:
    """A rules file a settlement used, identified by version and content hash."""

    id: str
    version: str
    status: str
    content_hash: str


@dataclass(frozen=True, slots=True)
class Settlement:
    """The full breakdown of one bill: who pays what, and the accumulators afterwards."""

    bill: Bill
    record: SettlementRecord
    commercial: tuple[CommercialPayment, ...]
    commercial_paid_fen: int
    patient_remainder_fen: int
    """What the patient still owes after every payer: ``psn_part_amt`` − commercial payments."""
    claim_ceiling_fen: int
    """What all commercial insurers together may pay on this settlement: ``psn_part_amt``."""
    accumulators: Accumulators
    trace: tuple[TraceStep, ...]
    rules: tuple[RulesUsed, ...]

    def to_dict(self) -> dict[str, Any]:
        """The settlement as a JSON-able mapping (amounts in integer fen)."""
        bill = self.bill
        return {
            "mdtrt_id": bill.mdtrt_id,
            "setl_id": bill.setl_id,
            "psn_no": bill.psn_no,
            "region": bill.region,
            "insutype": bill.insurance_type.value,
            "psn_type": bill.person_category.value,
            "med_type": bill.visit_type.value,
            "setl_time": bill.settlement_time,
            "record": self.record.to_dict(),
            "commercial": [payment.to_dict() for payment in self.commercial],
            "commercial_paid_fen": self.commercial_paid_fen,
            "patient_remainder_fen": self.patient_remainder_fen,
            "claim_ceiling_fen": self.claim_ceiling_fen,
            "accumulators": self.accumulators.to_dict(),
            "trace": [
                {"layer": step.layer, "paid_fen": step.paid_fen, "explanation": step.explanation}
                for step in self.trace
            ],
            "rules": [
                {
                    "id": used.id,
                    "version": used.version,
                    "status": used.status,
                    "content_hash": used.content_hash,
                }
                for used in self.rules
            ],
        }
