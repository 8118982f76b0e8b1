"""What the patient types becomes consent terms, or a refusal saying what to type instead."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest

from trustshare.crypto.vocabulary import Purpose, Scope
from trustshare.wallet.errors import InvalidConsentInput
from trustshare.wallet.terms import (
    DAY_S,
    DEFAULT_DAYS,
    Window,
    WindowRequest,
    consent_window,
    parse_purposes,
    parse_scopes,
)

BEIJING = timezone(timedelta(hours=8))
NOW = int(datetime(2025, 6, 1, 9, 30, tzinfo=BEIJING).timestamp())


def at(text: str) -> int:
    return int(datetime.fromisoformat(text).replace(tzinfo=BEIJING).timestamp())


def test_scope_and_purpose_names_are_read_as_the_contract_bits() -> None:
    assert parse_scopes("enrollment, fund_breakdown") == Scope.ENROLLMENT | Scope.FUND_BREAKDOWN
    assert parse_purposes("claim|underwriting") == Purpose.CLAIM | Purpose.UNDERWRITING
    assert parse_purposes("快赔") == Purpose.CLAIM


def test_an_unknown_scope_lists_the_valid_names() -> None:
    with pytest.raises(InvalidConsentInput, match="unknown scope 'enrolment'") as refused:
        parse_scopes("enrolment")
    assert refused.value.hint == (
        "type --scopes with names from: enrollment, settlement_summary, fund_breakdown, "
        "line_items, diagnosis"
    )


def test_an_unknown_purpose_lists_the_valid_names() -> None:
    with pytest.raises(InvalidConsentInput, match="unknown purpose 'marketing'") as refused:
        parse_purposes("claim,marketing")
    assert refused.value.hint == (
        "type --purposes with names from: underwriting, direct_settlement, claim"
    )


def test_an_empty_list_is_refused_too() -> None:
    with pytest.raises(InvalidConsentInput, match="no scope named"):
        parse_scopes(" , ")


def test_a_grant_window_runs_from_now_for_the_default_or_the_given_days() -> None:
    default = consent_window(WindowRequest(), now=NOW, tz=BEIJING)
    assert default == Window(NOW, NOW + DEFAULT_DAYS * DAY_S - 1)
    thirty = consent_window(WindowRequest(days=30), now=NOW, tz=BEIJING)
    assert thirty == Window(NOW, NOW + 30 * DAY_S - 1)


def test_dates_are_whole_local_days_and_the_end_is_inclusive() -> None:
    window = consent_window(
        WindowRequest(start="2025-07-01", until="2025-07-31"), now=NOW, tz=BEIJING
    )
    assert window == Window(at("2025-07-01T00:00:00"), at("2025-07-31T23:59:59"))
    timed = consent_window(
        WindowRequest(start="2025-07-01T08:00", until="2025-07-01T18:00+00:00"),
        now=NOW,
        tz=BEIJING,
    )
    assert timed.not_before == at("2025-07-01T08:00:00")
    assert timed.not_after == int(datetime(2025, 7, 1, 18, tzinfo=UTC).timestamp())


def test_a_window_that_ends_before_it_starts_is_refused() -> None:
    request = WindowRequest(start="2025-07-10", until="2025-07-01")
    with pytest.raises(InvalidConsentInput, match=r"ends .* before it starts") as refused:
        consent_window(request, now=NOW, tz=BEIJING)
    assert refused.value.hint == "type an --until later than --from, or --days N"


@pytest.mark.parametrize(
    ("request_", "problem"),
    [
        (WindowRequest(until="2025-05-01"), "ended already"),
        (WindowRequest(until="2025-12-31", days=3), "both --until and --days"),
        (WindowRequest(days=0), "--days must be between"),
        (WindowRequest(start="1 July"), "is not a date"),
    ],
)
def test_other_windows_that_cannot_be_signed_are_named(
    request_: WindowRequest, problem: str
) -> None:
    with pytest.raises(InvalidConsentInput, match=problem) as refused:
        consent_window(request_, now=NOW, tz=BEIJING)
    assert refused.value.hint


def test_narrowing_keeps_what_is_not_typed() -> None:
    base = Window(NOW - 10 * DAY_S, NOW + 100 * DAY_S)
    assert consent_window(WindowRequest(), now=NOW, tz=BEIJING, base=base) == base
    shorter = consent_window(WindowRequest(until="2025-06-30"), now=NOW, tz=BEIJING, base=base)
    assert shorter == Window(base.not_before, at("2025-06-30T23:59:59"))
    later = consent_window(WindowRequest(start="2025-06-15"), now=NOW, tz=BEIJING, base=base)
    assert later == Window(at("2025-06-15T00:00:00"), base.not_after)
    week = consent_window(WindowRequest(days=7), now=NOW, tz=BEIJING, base=base)
    assert week == Window(NOW, NOW + 7 * DAY_S - 1)
