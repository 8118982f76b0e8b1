"""Money and ratios, exactly.

Money is an ``int`` of fen (1 yuan = 100 fen) everywhere. Ratios are exact decimals with at
most six decimal places, held as an integer count of millionths (``Ratio.ppm``), so that every
product ``amount × ratio`` is an exact integer of micro-fen and never touches a float.

The single rounding rule: a layer (or a commercial payer's benefit) sums its exact micro-fen
and rounds **half-up to the fen once**, with :func:`round_half_up_micro`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Annotated, Final

from pydantic import PlainSerializer, PlainValidator, WithJsonSchema

Fen = int
"""An amount of money in fen (1/100 yuan). Never negative in a bill or a result."""

MICRO: Final = 1_000_000
"""Scale of :attr:`Ratio.ppm`: a ratio of 1 is one million millionths."""

_TWO_MICRO: Final = 2 * MICRO


def round_half_up_micro(micro_fen: int) -> Fen:
    """Round a non-negative amount of micro-fen (fen × 10⁶) half-up to the fen."""
    return (2 * micro_fen + MICRO) // _TWO_MICRO


def format_yuan(fen: Fen) -> str:
    """Render fen as yuan with two decimals (``1234567`` → ``"12,345.67"``)."""
    if fen < 0:
        return "-" + format_yuan(-fen)
    return f"{fen // 100:,}.{fen % 100:02d}"


def fen_to_decimal_yuan(fen: Fen) -> Decimal:
    """The exact yuan value of an amount of fen, for renderings that need a decimal."""
    return Decimal(fen).scaleb(-2)


def _ratio_text(ppm: int) -> str:
    whole, frac = divmod(ppm, MICRO)
    if frac == 0:
        return str(whole)
    return f"{whole}.{frac:06d}".rstrip("0")


@dataclass(frozen=True, slots=True)
class Ratio:
    """An exact ratio between 0 and 1 inclusive, in millionths."""

    ppm: int
    text: str = field(default="", compare=False)
    """Canonical decimal text (``"0.85"``, ``"1"``, ``"0"``); derived from ``ppm``."""

    def __post_init__(self) -> None:
        """Derive the canonical text once (ratios are read far more often than made)."""
        object.__setattr__(self, "text", _ratio_text(self.ppm))

    def __str__(self) -> str:
        """Same as :attr:`text`."""
        return self.text

    def apply_micro(self, fen: Fen) -> int:
        """``fen × ratio`` exactly, in micro-fen (not yet rounded)."""
        return fen * self.ppm


ZERO: Final = Ratio(0)
ONE: Final = Ratio(MICRO)


def parse_ratio(value: object) -> Ratio:
    """Parse a ratio from a decimal string, an ``int`` 0/1 or a ``Decimal``; never a float.

    Raises ``ValueError`` with a reason a rules or bill author can act on.
    """
    if isinstance(value, Ratio):
        return value
    if isinstance(value, bool | float):
        raise ValueError(
            f'ratios must be exact decimals written as strings (e.g. "0.85"), not {value!r}'
        )
    if isinstance(value, int):
        exact = Decimal(value)
    elif isinstance(value, Decimal):
        exact = value
    elif isinstance(value, str):
        try:
            exact = Decimal(value.strip())
        except InvalidOperation:
            raise ValueError(f"not a decimal number: {value!r}") from None
    else:
        raise ValueError(f'expected a decimal string such as "0.85", got {type(value).__name__}')
    if not exact.is_finite():
        raise ValueError(f"not a finite decimal: {value!r}")
    if exact < 0 or exact > 1:
        raise ValueError(f"ratio {exact} is outside 0–1")
    scaled = exact * MICRO
    if scaled != scaled.to_integral_value():
        raise ValueError(f"ratio {exact} has more than 6 decimal places")
    return Ratio(int(scaled))


def _validate_fen(value: object) -> Fen:
    if isinstance(value, bool) or not isinstance(value, int):
        if isinstance(value, float | Decimal):
            raise ValueError(
                f"amounts are integers of fen; got the decimal {value} (floats never enter money)"
            )
        raise ValueError(f"amounts are integers of fen; got {type(value).__name__}")
    if value < 0:
        raise ValueError(f"amount {value} is negative")
    return value


FenField = Annotated[
    int,
    PlainValidator(_validate_fen),
    WithJsonSchema({"type": "integer", "minimum": 0, "description": "integer fen (1/100 yuan)"}),
]
"""A pydantic field of non-negative integer fen that refuses floats, decimals and booleans."""


def _ratio_to_text(ratio: Ratio) -> str:
    return ratio.text


RatioField = Annotated[
    Ratio,
    PlainValidator(parse_ratio),
    PlainSerializer(_ratio_to_text, return_type=str),
    WithJsonSchema(
        {
            "type": "string",
            "pattern": r"^(0(\.[0-9]{1,6})?|1(\.0{1,6})?)$",
            "description": "exact decimal ratio between 0 and 1, at most 6 decimal places",
        }
    ),
]
"""A pydantic field holding a :class:`Ratio`, serialised as its canonical decimal text."""
