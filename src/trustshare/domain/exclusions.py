"""Layer 1, exclusions: what basic insurance never considers, line by line.

Class C → ``fulamt_ownpay_amt``; the part of a unit price above its cap → ``overlmt_selfpay``;
class B × ``selfpay_prop`` (on the price within the cap) → ``preselfpay_amt``, summed exactly over
the lines and rounded half-up once; what is left is ``inscp_scp_amt``, the policy scope.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from trustshare.domain.bill import ItemClass, LineItem
from trustshare.domain.money import Ratio, round_half_up_micro
from trustshare.domain.result import TraceStep

_CLASS_A = ItemClass.A
_CLASS_B = ItemClass.B
_CLASS_C = ItemClass.C


@dataclass(frozen=True, slots=True)
class Exclusions:
    """The bill split into what basic insurance excludes and what is in policy scope."""

    medfee_sumamt: int
    fulamt_ownpay_amt: int
    overlmt_selfpay: int
    preselfpay_amt: int
    inscp_scp_amt: int
    class_c_by_code: dict[str, int]
    """Class-C amounts by item code, codes in sorted order (special drugs are matched by code)."""

    def trace(self) -> TraceStep:
        """The layer's arithmetic for the trace."""
        return TraceStep(
            "exclusions",
            0,
            "total {}; class C {} → fulamt_ownpay_amt; above price cap {} → overlmt_selfpay; "
            "class-B advance self-pay {} → preselfpay_amt; in scope {}",
            (
                self.medfee_sumamt,
                self.fulamt_ownpay_amt,
                self.overlmt_selfpay,
                self.preselfpay_amt,
                self.inscp_scp_amt,
            ),
        )


def apply_exclusions(lines: Sequence[LineItem], default_selfpay_prop: Ratio) -> Exclusions:
    """Split the bill's lines into the exclusion buckets and the in-scope amount."""
    total = 0
    class_c = 0
    over_cap = 0
    preselfpay_micro = 0
    class_c_by_code: dict[str, int] = {}
    default_ppm = default_selfpay_prop.ppm
    for line in lines:
        quantity = line.quantity
        unit_price = line.unit_price_fen
        amount = quantity * unit_price
        total += amount
        item_class = line.item_class
        if item_class is _CLASS_C:
            class_c += amount
            class_c_by_code[line.code] = class_c_by_code.get(line.code, 0) + amount
            continue
        cap = line.price_cap_fen
        if cap is not None and unit_price > cap:
            over_cap += quantity * (unit_price - cap)
            amount = quantity * cap
        if item_class is _CLASS_B:
            prop = line.selfpay_prop
            preselfpay_micro += amount * (default_ppm if prop is None else prop.ppm)
    preselfpay = round_half_up_micro(preselfpay_micro)
    if len(class_c_by_code) > 1:
        class_c_by_code = dict(sorted(class_c_by_code.items()))
    return Exclusions(
        medfee_sumamt=total,
        fulamt_ownpay_amt=class_c,
        overlmt_selfpay=over_cap,
        preselfpay_amt=preselfpay,
        inscp_scp_amt=total - class_c - over_cap - preselfpay,
        class_c_by_code=class_c_by_code,
    )
