"""Layer 5, commercial products in payer order, each paying only from the buckets it covers.

After the statutory layers the person's share sits in *pots*: the in-catalogue self-pay, the
above-price-cap self-pay and the class-C amounts by item code. A benefit's base is what its
buckets still hold — earlier payers have already taken their part — so no payer pays what an
earlier one paid (coordination of benefits). A payment is taken out of the benefit's buckets in
the order the benefit lists them, class-C codes in sorted order, so a later payer sees exactly
what is left.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from trustshare.domain.accumulators import Accumulators, BenefitAccumulator
from trustshare.domain.bill import ProductHolding, VisitType
from trustshare.domain.cob import coordinate_benefit
from trustshare.domain.money import round_half_up_micro
from trustshare.domain.result import BenefitPayment, CommercialPayment, TraceStep
from trustshare.domain.rules import Bucket, ProductTerms

_IN_CATALOGUE = Bucket.IN_CATALOGUE
_OVER_PRICE_CAP = Bucket.OVER_PRICE_CAP
_SPECIAL_DRUGS = Bucket.SPECIAL_DRUGS


@dataclass(slots=True)
class Pots:
    """The person's share after the statutory layers, by bucket; drained as payers pay."""

    in_catalogue: int
    over_price_cap: int
    class_c: dict[str, int]

    def copy(self) -> Pots:
        """An independent copy (the class-C mapping is copied too)."""
        return Pots(self.in_catalogue, self.over_price_cap, dict(self.class_c))

    def holds(self, bucket: Bucket, special_codes: frozenset[str]) -> int:
        """What ``bucket`` holds, for a product whose special-drug list is ``special_codes``."""
        if bucket is _IN_CATALOGUE:
            return self.in_catalogue
        if bucket is _OVER_PRICE_CAP:
            return self.over_price_cap
        special = bucket is _SPECIAL_DRUGS
        return sum(
            amount for code, amount in self.class_c.items() if (code in special_codes) is special
        )

    def take(self, bucket: Bucket, special_codes: frozenset[str], fen: int) -> int:
        """Take up to ``fen`` out of ``bucket``; return what could not be taken from it."""
        if bucket is _IN_CATALOGUE:
            taken = min(fen, self.in_catalogue)
            self.in_catalogue -= taken
            return fen - taken
        if bucket is _OVER_PRICE_CAP:
            taken = min(fen, self.over_price_cap)
            self.over_price_cap -= taken
            return fen - taken
        special = bucket is _SPECIAL_DRUGS
        for code, amount in self.class_c.items():
            if fen == 0:
                break
            if amount and (code in special_codes) is special:
                taken = min(fen, amount)
                self.class_c[code] = amount - taken
                fen -= taken
        return fen

    @property
    def total(self) -> int:
        """Everything the pots still hold: the patient's remainder so far."""
        return self.in_catalogue + self.over_price_cap + sum(self.class_c.values())


@dataclass(frozen=True, slots=True)
class CommercialOutcome:
    """Every commercial payer's line, the accumulators they touched and their trace."""

    payments: tuple[CommercialPayment, ...]
    benefit_accumulators: dict[str, dict[str, BenefitAccumulator]]
    trace: tuple[TraceStep, ...]


_NO_COMMERCIAL = CommercialOutcome((), {}, ())
_NOTHING_YET = BenefitAccumulator()


def _covered(
    pots: Pots, original: Pots, covers: Sequence[Bucket], special: frozenset[str]
) -> tuple[int, int]:
    """What ``covers`` holds now and what it held before any commercial payer (its charge)."""
    now = 0
    before = 0
    for bucket in covers:
        if bucket is _IN_CATALOGUE:
            now += pots.in_catalogue
            before += original.in_catalogue
        elif bucket is _OVER_PRICE_CAP:
            now += pots.over_price_cap
            before += original.over_price_cap
        else:
            want_special = bucket is _SPECIAL_DRUGS
            remaining = pots.class_c
            for code, amount in original.class_c.items():
                if (code in special) is want_special:
                    before += amount
                    now += remaining[code]
    return now, before


def pay_commercial(
    holdings: Sequence[tuple[ProductHolding, ProductTerms]],
    pots: Pots,
    visit_type: VisitType,
    ytd: Accumulators,
    statutory_paid_fen: int,
) -> CommercialOutcome:
    """Let each product pay, in payer order, from what the statutory layers and earlier payers left.

    ``pots`` is drained in place. Each benefit: base = what its buckets hold now; annual
    deductible left; ``round_half_up((base − deductible) × ratio)`` (the pre-existing ratio if
    flagged); limited by the annual cap left and, by :func:`coordinate_benefit`, by what earlier
    payers left of the benefit's charge.
    """
    if not holdings:
        return _NO_COMMERCIAL
    original = pots.copy()
    payments: list[CommercialPayment] = []
    trace: list[TraceStep] = []
    updated: dict[str, dict[str, BenefitAccumulator]] = {}
    prior_paid = statutory_paid_fen
    for position, (holding, product) in enumerate(holdings):
        special = product.special_drug_codes
        benefit_lines: list[BenefitPayment] = []
        notes: list[str] = []
        note_amounts: list[int] = []
        product_paid = 0
        product_ytd = ytd.products.get(product.id, {})
        product_accumulators: dict[str, BenefitAccumulator] = dict(product_ytd)
        for benefit in product.benefits:
            if visit_type not in benefit.visit_types:
                benefit_lines.append(BenefitPayment(benefit.id, False, 0, 0, "0", 0))
                notes.append(f"{benefit.id}: not covered for {visit_type} visits")
                continue
            covers = benefit.covers
            base, charge = _covered(pots, original, covers, special)
            so_far = product_ytd.get(benefit.id, _NOTHING_YET)
            deductible_due = max(benefit.annual_deductible_fen - so_far.deductible_met_fen, 0)
            deductible = deductible_due if deductible_due < base else base
            ratio = benefit.ratio_for(holding.pre_existing)
            computed = round_half_up_micro((base - deductible) * ratio.ppm)
            cap_left = max(benefit.annual_cap_fen - so_far.paid_fen, 0)
            own_benefit = computed if computed < cap_left else cap_left
            paid = coordinate_benefit(charge, charge - base, own_benefit, charge, charge)
            left = paid
            for bucket in covers:
                if left == 0:
                    break
                left = pots.take(bucket, special, left)
            product_paid += paid
            benefit_lines.append(
                BenefitPayment(benefit.id, True, base, deductible, ratio.text, paid)
            )
            product_accumulators[benefit.id] = BenefitAccumulator(
                deductible_met_fen=so_far.deductible_met_fen + deductible,
                paid_fen=so_far.paid_fen + paid,
            )
            notes.append(
                f"{benefit.id}: base {{}} − deductible {{}}, × {ratio.text} = {{}}; "
                "cap left {} → {}"
            )
            note_amounts.extend((base, deductible, computed, cap_left, paid))
        updated[product.id] = product_accumulators
        payments.append(
            CommercialPayment(
                order=position + 2,
                product_id=product.id,
                product_version=product.version,
                insurer=product.insurer,
                pre_existing=holding.pre_existing,
                prior_payers_paid_fen=prior_paid,
                paid_fen=product_paid,
                benefits=tuple(benefit_lines),
            )
        )
        trace.append(
            TraceStep(
                layer=f"commercial:{product.id}",
                paid_fen=product_paid,
                template=f"payer {position + 2}"
                + (" (pre-existing condition)" if holding.pre_existing else "")
                + ": "
                + "; ".join(notes),
                amounts=tuple(note_amounts),
            )
        )
        prior_paid += product_paid
    return CommercialOutcome(tuple(payments), updated, tuple(trace))
