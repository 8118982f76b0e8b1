"""Layers 3 and 4: critical-illness insurance (大病) and medical assistance (医疗救助)."""

from __future__ import annotations

from dataclasses import dataclass

from trustshare.domain.bands import banded_micro, explain_bands
from trustshare.domain.money import round_half_up_micro
from trustshare.domain.result import TraceStep
from trustshare.domain.rules import AssistanceTerms, CriticalIllnessPolicy


@dataclass(frozen=True, slots=True)
class LayerOutcome:
    """A statutory second layer's payment and its arithmetic."""

    paid_fen: int
    deductible_applied_fen: int
    trace: TraceStep


def critical_illness_total_micro(cumulative_fen: int, policy: CriticalIllnessPolicy) -> int:
    """``f(cumulative)``: what the tiers pay on an annual cumulative self-pay, in micro-fen."""
    return banded_micro(cumulative_fen, policy.threshold_fen, policy.tiers)


def pay_critical_illness(
    policy: CriticalIllnessPolicy | None, base_fen: int, prior_fen: int, paid_ytd_fen: int
) -> LayerOutcome:
    """Pay ``f(prior + current) − f(prior)`` on this visit's in-scope self-pay ``base_fen``.

    The difference is exact and rounded half-up once; an annual cap, if any, limits it.
    """
    if policy is None:
        return LayerOutcome(
            0, 0, TraceStep("critical_illness", 0, "no critical-illness insurance in this scheme")
        )
    after = prior_fen + base_fen
    computed = round_half_up_micro(
        critical_illness_total_micro(after, policy)
        - critical_illness_total_micro(prior_fen, policy)
    )
    cap_amounts: tuple[int, ...]
    if policy.annual_cap_fen is None:
        paid = computed
        cap_text, cap_amounts = "no cap", ()
    else:
        cap_left = max(policy.annual_cap_fen - paid_ytd_fen, 0)
        paid = computed if computed < cap_left else cap_left
        cap_text, cap_amounts = "cap left {}", (cap_left,)
    floor = max(prior_fen, policy.threshold_fen)
    arithmetic, band_amounts = explain_bands(after, floor, policy.tiers)
    trace = TraceStep(
        "critical_illness",
        paid,
        f"cumulative {{}} → {{}} (threshold {{}}): f(after) − f(before) = {arithmetic} = {{}}; "
        f"{cap_text} → hifmi_pay {{}}",
        (prior_fen, after, policy.threshold_fen, *band_amounts, computed, *cap_amounts, paid),
    )
    return LayerOutcome(paid, 0, trace)


def pay_medical_assistance(
    terms: AssistanceTerms | None,
    category: str,
    base_fen: int,
    deductible_met_fen: int,
    paid_ytd_fen: int,
) -> LayerOutcome:
    """Medical assistance on the in-scope self-pay left, for an eligible person category."""
    if terms is None:
        return LayerOutcome(
            0, 0, TraceStep("medical_assistance", 0, f"person category {category}: not eligible")
        )
    deductible_due = max(terms.annual_deductible_fen - deductible_met_fen, 0)
    deductible = deductible_due if deductible_due < base_fen else base_fen
    computed = round_half_up_micro((base_fen - deductible) * terms.ratio.ppm)
    cap_left = max(terms.annual_cap_fen - paid_ytd_fen, 0)
    paid = computed if computed < cap_left else cap_left
    trace = TraceStep(
        "medical_assistance",
        paid,
        f"person category {category}: base {{}}, threshold {{}}; {terms.ratio.text} × {{}} = {{}}; "
        "cap left {} → maf_pay {}",
        (base_fen, deductible, base_fen - deductible, computed, cap_left, paid),
    )
    return LayerOutcome(paid, deductible, trace)
