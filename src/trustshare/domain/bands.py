"""Banded (tiered) schedules, computed exactly in micro-fen."""

from __future__ import annotations

from collections.abc import Sequence

from trustshare.domain.rules import Band


def banded_micro(amount_fen: int, floor_fen: int, bands: Sequence[Band]) -> int:
    """Σ ratio × (part of ``[floor_fen, amount_fen)`` in each band), exactly, in micro-fen.

    Bands start at zero and each ends at its ``up_to_fen`` (the last has no end); nothing
    below ``floor_fen`` counts (a deductible or a threshold).
    """
    total = 0
    lower = 0
    for band in bands:
        upper = band.up_to_fen
        top = amount_fen if upper is None or upper > amount_fen else upper
        bottom = floor_fen if floor_fen > lower else lower
        if top > bottom:
            total += (top - bottom) * band.ratio.ppm
        if upper is None or upper >= amount_fen:
            break
        lower = upper
    return total


def explain_bands(amount_fen: int, floor_fen: int, bands: Sequence[Band]) -> tuple[str, list[int]]:
    """Trace template and amounts: ``"85% of {} + 90% of {}"`` (or ``"nothing"``)."""
    parts: list[str] = []
    amounts: list[int] = []
    lower = 0
    for band in bands:
        upper = band.up_to_fen
        top = amount_fen if upper is None or upper > amount_fen else upper
        bottom = max(floor_fen, lower)
        if top > bottom:
            parts.append(f"{_percent(band.ratio.ppm)} of {{}}")
            amounts.append(top - bottom)
        if upper is None or upper >= amount_fen:
            break
        lower = upper
    return (" + ".join(parts) if parts else "nothing"), amounts


def _percent(ppm: int) -> str:
    whole, frac = divmod(ppm, 10_000)
    return f"{whole}%" if frac == 0 else f"{whole}.{frac:04d}".rstrip("0") + "%"
