"""Reading what the patient types into consent terms: scopes, purposes and the window.

Every refusal names what was wrong and what to type instead; nothing here touches a key or the
network. Times are unix seconds; a date without a time means the start of that day for
``--from`` and its last second for ``--until`` (the window is inclusive), in ``tz``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, tzinfo

from trustshare.crypto.errors import UnknownVocabularyError
from trustshare.crypto.vocabulary import Purpose, Scope
from trustshare.wallet.errors import InvalidConsentInput

DAY_S = 86_400
DEFAULT_DAYS = 365
MAX_DAYS = 100 * 366
_UINT48_LIMIT = 2**48


def _valid_names(flags: type[Scope] | type[Purpose]) -> str:
    return ", ".join(flag.key for flag in flags)


def parse_scopes(text: str) -> Scope:
    """Scopes from comma-separated names (``enrollment,fund_breakdown``)."""
    try:
        return Scope.from_names(text)
    except UnknownVocabularyError as error:
        raise InvalidConsentInput(
            str(error), hint=f"type --scopes with names from: {_valid_names(Scope)}"
        ) from error


def parse_purposes(text: str) -> Purpose:
    """Purposes from comma-separated names (``underwriting,claim``)."""
    try:
        return Purpose.from_names(text)
    except UnknownVocabularyError as error:
        raise InvalidConsentInput(
            str(error), hint=f"type --purposes with names from: {_valid_names(Purpose)}"
        ) from error


@dataclass(frozen=True)
class Window:
    """An inclusive consent window in unix seconds."""

    not_before: int
    not_after: int

    def contains(self, other: Window) -> bool:
        """Whether ``other`` lies within this window."""
        return self.not_before <= other.not_before and other.not_after <= self.not_after


def parse_moment(text: str, tz: tzinfo, *, end_of_day: bool) -> int:
    """Unix seconds of ``YYYY-MM-DD`` or an ISO date-time (without offset: in ``tz``)."""
    stripped = text.strip()
    try:
        if len(stripped) == len("YYYY-MM-DD"):
            day = date.fromisoformat(stripped)
            moment = datetime.combine(day, time.max if end_of_day else time.min, tzinfo=tz)
            return int(moment.timestamp())
        moment = datetime.fromisoformat(stripped)
    except ValueError as error:
        raise InvalidConsentInput(
            f"{text!r} is not a date",
            hint="type a date as YYYY-MM-DD or a time as YYYY-MM-DDTHH:MM",
        ) from error
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=tz)
    return int(moment.timestamp())


def _stamp(seconds: int, tz: tzinfo) -> str:
    return datetime.fromtimestamp(seconds, tz).strftime("%Y-%m-%d %H:%M:%S")


@dataclass(frozen=True)
class WindowRequest:
    """The window options as typed: ``--from``, ``--until``, ``--days`` (each optional)."""

    start: str | None = None
    until: str | None = None
    days: int | None = None

    @property
    def given(self) -> bool:
        """Whether any window option was typed."""
        return (self.start, self.until, self.days) != (None, None, None)


def consent_window(
    request: WindowRequest, *, now: int, tz: tzinfo, base: Window | None = None
) -> Window:
    """The window asked for, judged against the chain's clock ``now``.

    For a new grant (``base`` None) it starts at ``--from`` or now and ends at ``--until``,
    after ``--days``, or after :data:`DEFAULT_DAYS`. When narrowing the consent in force
    (``base``), what is not typed stays as it is: ``--days`` counts from ``--from`` or now.
    """
    if request.until is not None and request.days is not None:
        raise InvalidConsentInput(
            "both --until and --days were given", hint="type only one of --until DATE, --days N"
        )
    days = request.days
    if days is not None and not 1 <= days <= MAX_DAYS:
        raise InvalidConsentInput(
            f"--days must be between 1 and {MAX_DAYS}, got {days}",
            hint="type --days N for a window of N days",
        )
    if request.start is not None:
        not_before = parse_moment(request.start, tz, end_of_day=False)
    elif base is None or days is not None:
        not_before = now
    else:
        not_before = base.not_before
    if request.until is not None:
        not_after = parse_moment(request.until, tz, end_of_day=True)
    elif days is not None or base is None:
        not_after = not_before + (days or DEFAULT_DAYS) * DAY_S - 1
    else:
        not_after = base.not_after
    if not_after < now:
        raise InvalidConsentInput(
            f"the window ended already ({_stamp(not_after, tz)}; now {_stamp(now, tz)})",
            hint="type an --until in the future, or --days N",
        )
    if not_after < not_before:
        raise InvalidConsentInput(
            f"the window ends ({_stamp(not_after, tz)}) before it starts "
            f"({_stamp(not_before, tz)})",
            hint="type an --until later than --from, or --days N",
        )
    if not 0 <= not_before < _UINT48_LIMIT or not_after >= _UINT48_LIMIT:
        raise InvalidConsentInput(
            "the window lies outside the years the chain can record",
            hint="type dates between 1970 and the year 8000000",
        )
    return Window(not_before, not_after)


def window_text(window: Window, tz: tzinfo) -> str:
    """``YYYY-MM-DD HH:MM:SS → YYYY-MM-DD HH:MM:SS`` in ``tz``."""
    return f"{_stamp(window.not_before, tz)} → {_stamp(window.not_after, tz)}"
