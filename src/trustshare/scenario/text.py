"""How the scenario prints things: shortened hashes, yuan, transactions, simple tables."""

from __future__ import annotations

import unicodedata
from collections.abc import Callable, Sequence
from datetime import datetime, timedelta, timezone

from trustshare.domain import format_yuan

Echo = Callable[[str], None]

#: China Standard Time: bills, consent windows and policies are read in it.
CHINA = timezone(timedelta(hours=8), "CST")


def short(value: str | bytes | None, *, keep: int = 6) -> str:
    """``0x1234ab…cdef`` for a hash, an address or an id (``-`` for none)."""
    if value is None:
        return "-"
    text = "0x" + value.hex() if isinstance(value, bytes) else str(value)
    head = keep + 2 if text.startswith("0x") else keep
    if len(text) <= head + 6:
        return text
    return f"{text[:head]}…{text[-4:]}"


def yuan(fen: int) -> str:
    """Fen as yuan with two decimals and thousands separators."""
    return format_yuan(fen)


def now_in_china() -> datetime:
    """The current time in China Standard Time, to the second."""
    return datetime.now(CHINA).replace(microsecond=0)


def width_of(text: str) -> int:
    """Columns ``text`` takes in a terminal (Chinese characters take two)."""
    return sum(2 if unicodedata.east_asian_width(char) in "WF" else 1 for char in text)


def table(header: Sequence[str], rows: Sequence[Sequence[str]], *, left: int = 1) -> list[str]:
    """Columns two spaces apart; the first ``left`` columns left-aligned, the others right."""
    widths = [max(width_of(row[i]) for row in [header, *rows]) for i in range(len(header))]

    def line(row: Sequence[str]) -> str:
        cells = []
        for index, (cell, width) in enumerate(zip(row, widths, strict=True)):
            padding = " " * (width - width_of(cell))
            cells.append(cell + padding if index < left else padding + cell)
        return "  ".join(cells).rstrip()

    return [line(header), *(line(row) for row in rows)]
