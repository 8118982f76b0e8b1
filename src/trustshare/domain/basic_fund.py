"""Layer 2, the basic pooled fund (统筹基金): deductible, banded ratios, annual cap."""

from __future__ import annotations

from dataclasses import dataclass

from trustshare.domain.accumulators import Accumulators
from trustshare.domain.bands import banded_micro, explain_bands
from trustshare.domain.bill import Bill, VisitType
from trustshare.domain.money import round_half_up_micro
from trustshare.domain.result import TraceStep
from trustshare.domain.rules import Scheme


@dataclass(frozen=True, slots=True)
class BasicFundOutcome:
    """What the basic fund paid for this visit, and why."""

    act_pay_dedc: int
    hifp_pay: int
    pool_prop_selfpay: str
    trace: TraceStep


def _effective_ratio(paid_fen: int, base_fen: int) -> str:
    """``paid / base`` half-up to four decimals, as text (display only, never used as money)."""
    if base_fen == 0:
        return "0"
    basis_points = (2 * paid_fen * 10_000 + base_fen) // (2 * base_fen)
    whole, frac = divmod(basis_points, 10_000)
    return f"{whole}.{frac:04d}"


def pay_basic_fund(
    bill: Bill, scheme: Scheme, inscp_fen: int, ytd: Accumulators
) -> BasicFundOutcome:
    """The basic fund's payment on the in-scope amount ``inscp_fen``.

    Inpatient: the stay's deductible depends on hospital level and admission number, the rest of
    the in-scope amount pays by band, rounded half-up once, then limited by the annual cap left.
    Outpatient: one annual deductible (tracked in the accumulators), one ratio per level.
    """
    if bill.visit_type is VisitType.INPATIENT:
        policy = scheme.inpatient
        terms = policy.levels[bill.hospital_level]
        deductible_due = terms.deductible_for(bill.admission_number or 1)
        cap_left = policy.annual_cap_fen - ytd.inpatient_fund_paid_fen
        deductible = deductible_due if deductible_due < inscp_fen else inscp_fen
        computed = round_half_up_micro(banded_micro(inscp_fen, deductible, terms.bands))
        arithmetic, band_amounts = explain_bands(inscp_fen, deductible, terms.bands)
        scope = f"{bill.hospital_level} stay, admission {bill.admission_number}"
    else:
        outpatient = scheme.outpatient
        deductible_due = max(
            0, outpatient.annual_deductible_fen - ytd.outpatient_deductible_met_fen
        )
        cap_left = outpatient.annual_cap_fen - ytd.outpatient_fund_paid_fen
        deductible = deductible_due if deductible_due < inscp_fen else inscp_fen
        ratio = outpatient.ratios[bill.hospital_level]
        computed = round_half_up_micro((inscp_fen - deductible) * ratio.ppm)
        arithmetic, band_amounts = f"{ratio.text} × {{}}", [inscp_fen - deductible]
        scope = f"{bill.hospital_level} outpatient"
    cap_left = max(cap_left, 0)
    paid = computed if computed < cap_left else cap_left
    trace = TraceStep(
        "basic_fund",
        paid,
        f"{scope}: deductible {{}} of {{}} due; {arithmetic} = {{}}; "
        "annual cap left {} → hifp_pay {}",
        (deductible, deductible_due, *band_amounts, computed, cap_left, paid),
    )
    return BasicFundOutcome(
        act_pay_dedc=deductible,
        hifp_pay=paid,
        pool_prop_selfpay=_effective_ratio(paid, inscp_fen - deductible),
        trace=trace,
    )
