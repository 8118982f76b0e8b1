"""JSON output that writes ``Decimal`` values as exact JSON numbers (for FHIR money)."""

from __future__ import annotations

import json
import re
from decimal import Decimal
from typing import Any

_MARK = "\x1edecimal:"
_MARKED = re.compile(r'"\\u001edecimal:(-?[0-9]+(?:\.[0-9]+)?)"')


def _mark_decimal(value: object) -> str:
    if isinstance(value, Decimal):
        return f"{_MARK}{value}"
    raise TypeError(f"{type(value).__name__} is not JSON serialisable")


def dumps(document: Any, indent: int | None = 2) -> str:
    """``json.dumps`` that renders ``Decimal`` as a plain JSON number, exactly as written."""
    text = json.dumps(document, indent=indent, ensure_ascii=False, default=_mark_decimal)
    return _MARKED.sub(r"\1", text)
