"""Turning pydantic's validation errors into the domain's path-and-reason errors."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from pydantic import ValidationError

from trustshare.domain.errors import DomainError

_FIELD_MARK = "\x1f"


def field_problem(field: str, reason: str) -> ValueError:
    """A ``ValueError`` for a model validator that blames ``field`` of the model, not the model."""
    return ValueError(f"{_FIELD_MARK}{field}{_FIELD_MARK}{reason}")


def format_path(loc: Sequence[int | str]) -> str:
    """``("lines", 3, "unit_price_fen")`` → ``"lines[3].unit_price_fen"``."""
    parts: list[str] = []
    for element in loc:
        if isinstance(element, int):
            parts.append(f"[{element}]")
        else:
            parts.append(f".{element}" if parts else element)
    return "".join(parts)


def _clean_message(message: str) -> str:
    for prefix in ("Value error, ", "Assertion failed, "):
        if message.startswith(prefix):
            return message[len(prefix) :]
    return message


def describe_problem(problem: Any) -> tuple[str, str]:
    """One pydantic error (``ValidationError.errors()`` item) as a (field path, reason) pair."""
    loc = list(problem["loc"])
    reason = _clean_message(problem["msg"])
    if _FIELD_MARK in reason:
        _, field, reason = reason.split(_FIELD_MARK, 2)
        loc.extend(int(part) if part.isdigit() else part for part in field.split("."))
    if problem["type"] in ("extra_forbidden", "unexpected_keyword_argument"):
        reason = "unknown field (not part of the schema)"
    elif problem["type"] == "missing":
        reason = "required field is missing"
    return format_path(loc), reason


def domain_error_from(exc: ValidationError, error_type: type[DomainError]) -> DomainError:
    """A pydantic ``ValidationError`` as a ``error_type``.

    The first problem gives ``path`` and ``reason``; every further one is kept in
    ``further_problems``, so a bill's author sees all of them at once.
    """
    problems = [describe_problem(p) for p in exc.errors(include_url=False, include_input=False)]
    (path, reason), *others = problems
    return error_type(path, reason, further_problems=tuple(others))
