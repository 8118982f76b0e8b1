"""The demo's table of who paid what, and its list of expected outcomes, from a ledger."""

from __future__ import annotations

from typing import Any

from trustshare.scenario.checks import Checks
from trustshare.scenario.ledger import Ledger, Settled
from trustshare.scenario.report import patient_table
from trustshare.scenario.text import table, width_of

INSURER = "0x" + "ab" * 20
NAMES = {INSURER: "Insurer B"}


def answer(setl_id: str, settlement_id: str, **amounts: Any) -> dict[str, Any]:
    base = {
        "setl_id": setl_id,
        "settlement_id": settlement_id,
        "hospital": "Shanghai Demo Hospital",
        "medfee_sumamt": 100_000,
        "basic_fund_fen": 50_000,
        "critical_illness_fen": 5_000,
        "medical_assistance_fen": 0,
        "patient_remainder_fen": 45_000,
        "payers": [],
        "supersedes": None,
    }
    return {**base, **amounts}


def claim(claim_id: str, settlement_id: str, status: str, amount: int) -> dict[str, Any]:
    return {
        "claim_id": claim_id,
        "settlement_id": settlement_id,
        "status": status,
        "origin": "fast",
        "amount_fen": amount,
    }


def rows(lines: list[str]) -> dict[str, list[str]]:
    """Each row's label and its cells (columns are at least two spaces apart)."""
    found = {}
    for line in lines[1:]:
        label, *cells = [cell for cell in line.split("  ") if cell.strip()]
        found[label.strip()] = [cell.strip() for cell in cells]
    return found


def test_a_reversed_claim_on_a_superseded_settlement_nets_out_of_what_the_patient_pays() -> None:
    ledger = Ledger()
    ledger.settled(Settled.of("li", "Beijing", answer("S1", "0x01"), NAMES))
    refund = answer(
        "S1R", "0x02", medfee_sumamt=80_000, patient_remainder_fen=25_000, supersedes="0x01"
    )
    ledger.settled(Settled.of("li", "Beijing", refund, NAMES))
    ledger.claim("li", "Insurer B", claim("c1", "0x01", "reversed", 10_000))
    ledger.claim("li", "Insurer B", claim("c2", "0x02", "recorded", 6_000))
    table = patient_table(ledger, "li")
    assert "S1 (superseded)" in table[0] and "all (current records)" in table[0]
    figures = rows(table)
    assert figures["total medical cost"] == ["1,000.00", "800.00", "800.00"]
    assert figures["fast claims (快赔)"] == ["100.00", "60.00", "160.00"]
    assert figures["reversals"] == ["-100.00", "0.00", "-100.00"]
    # the refund's remainder, less the one claim that stands
    assert figures["patient pays"] == ["450.00", "190.00", "190.00"]


def test_payments_at_the_window_get_a_row_per_insurer() -> None:
    payer = {
        "order": 2,
        "insurer": INSURER,
        "product": "huiminbao-typical",
        "computed_fen": 20_000,
        "authorised_fen": 20_000,
        "status": "authorised",
        "authorisation_id": "ra_" + "cd" * 16,
    }
    record = Settled.of("wang", "Beijing", answer("S1", "0x01", payers=[payer]), NAMES)
    assert record.payers[0].claim_id == "cl_" + "cd" * 16
    ledger = Ledger()
    ledger.settled(record)
    figures = rows(patient_table(ledger, "wang"))
    assert figures["Insurer B at the window"] == ["200.00"]
    assert figures["patient pays"] == ["450.00"]


def test_the_verdict_needs_every_outcome_and_names_the_missed_ones() -> None:
    checks = Checks()
    assert not checks.all_happened  # nothing checked is not a success
    checks.expect("the claim was paid", True)
    checks.expect("the tampered record was refused", False, "it was paid")
    printed: list[str] = []
    checks.report(printed.append)
    assert not checks.all_happened
    assert "  ✗ the tampered record was refused — instead: it was paid" in printed
    assert printed[-1] == "  ✗ the tampered record was refused"


def test_columns_line_up_in_a_terminal_with_chinese_labels() -> None:
    lines = table(["", "S1"], [["fast claims (快赔)", "1.00"], ["reversals", "-1.00"]])
    assert [width_of(line) for line in lines] == [width_of(lines[1])] * 3
