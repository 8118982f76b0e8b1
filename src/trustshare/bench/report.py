"""The bench run as a table: each figure next to its target and its anchor.

Targets are the issues' (engine ≥ 20,000/s per core; clearing ≥ 5,000/s and ≤ 50 gas per
settlement; hospital p99 ≤ 50 ms at 200/s; real-time p99 ≤ 20 ms; fast claim p50 ≤ 100 ms,
p99 ≤ 250 ms, ≥ 200 claims/s). Anchors are the public figures TrustShare is read against
(docs/BENCHMARKS.md): EAS ≈ 200,000 gas per attestation; the national platform ≈ 0.8 s per
inpatient settlement; a blockchain claim paid in 5 s.
"""

from __future__ import annotations

import operator
from collections.abc import Callable
from dataclasses import dataclass

from trustshare.bench.figures import BenchRun

EAS_GAS_PER_ATTESTATION = 200_000
NATIONAL_PLATFORM_SETTLEMENT_MS = 800.0
BLOCKCHAIN_CLAIM_PAID_MS = 5_000.0

Compare = Callable[[float, float], bool]
AT_LEAST: Compare = operator.ge
AT_MOST: Compare = operator.le


@dataclass(frozen=True)
class Row:
    """One line of the table: a figure, how to read it from the run, its target and anchor."""

    label: str
    value: Callable[[BenchRun], float]
    unit: str
    target: tuple[Compare, float] | None = None
    anchor: tuple[str, float] | None = None
    """The anchor's words and its value in the row's unit (for the ratio shown)."""


def _figure(key: str) -> Callable[[BenchRun], float]:
    return lambda run: run.figures[key]


ROWS = (
    Row(
        "engine settlements / s, one core",
        _figure("engine_settlements_per_s_per_core"),
        "/s",
        (AT_LEAST, 20_000),
    ),
    Row(
        "bulk clearing, end to end", _figure("clearing_settlements_per_s"), "/s", (AT_LEAST, 5_000)
    ),
    Row(
        "gas per settlement",
        _figure("gas_per_settlement"),
        "gas",
        (AT_MOST, 50),
        ("EAS ≈ 200,000 gas per attestation", EAS_GAS_PER_ATTESTATION),
    ),
    Row(
        "hospital confirm p50",
        _figure("hospital_confirm_p50_ms"),
        "ms",
        None,
        ("national platform ≈ 0.8 s per inpatient settlement", NATIONAL_PLATFORM_SETTLEMENT_MS),
    ),
    Row(
        "hospital confirm p99",
        _figure("hospital_confirm_p99_ms"),
        "ms",
        (AT_MOST, 50),
        ("national platform ≈ 0.8 s per inpatient settlement", NATIONAL_PLATFORM_SETTLEMENT_MS),
    ),
    Row("real-time authorisation p50", _figure("realtime_auth_p50_ms"), "ms"),
    Row("real-time authorisation p99", _figure("realtime_auth_p99_ms"), "ms", (AT_MOST, 20)),
    Row(
        "fast claim p50, request → paid",
        _figure("fast_claim_p50_ms"),
        "ms",
        (AT_MOST, 100),
        ("a blockchain claim paid in 5 s", BLOCKCHAIN_CLAIM_PAID_MS),
    ),
    Row(
        "fast claim p99, request → paid",
        _figure("fast_claim_p99_ms"),
        "ms",
        (AT_MOST, 250),
        ("a blockchain claim paid in 5 s", BLOCKCHAIN_CLAIM_PAID_MS),
    ),
    Row("fast claims / s, end to end (bulk)", _figure("claims_per_s"), "/s", (AT_LEAST, 200)),
    Row(
        "fast claims / s, one per request",
        lambda run: run.details["claims"]["single_claims_per_s"],
        "/s",
    ),
    Row("consent grant → effective p50", _figure("consent_effective_ms"), "ms"),
    Row("consent grant → effective p99", lambda run: run.details["consent"]["p99_ms"], "ms"),
)


def _number(value: float) -> str:
    """Three significant digits or more: 25,123; 290; 61.2; 5.43."""
    if value >= 100 or value == int(value):
        return f"{value:,.0f}"
    return f"{value:.1f}" if value >= 10 else f"{value:.2f}"


def _target(row: Row, value: float) -> str:
    if row.target is None:
        return "none set"
    compare, bound = row.target
    sign = "≥" if compare is AT_LEAST else "≤"
    verdict = "met" if compare(value, bound) else "MISSED"
    return f"{sign} {_number(bound)} {row.unit} ({verdict})"


def _anchor(row: Row, value: float) -> str:
    if row.anchor is None:
        return "—"
    words, anchor_value = row.anchor
    return f"{words}; {anchor_value / value:,.0f}× less here" if value > 0 else words


def workloads(run: BenchRun) -> str:
    """What each measurement did, in one line (the sizes of the run)."""
    d = run.details
    engine, clearing, claims = d["engine"], d["clearing"], d["claims"]
    return "; ".join(
        [
            f"engine {engine['bills']:,} bills, median of {engine['rounds']} rounds",
            f"clearing {clearing['records']:,} records in {clearing['batches']} batches "
            f"of up to {clearing['batch_leaves']:,}",
            f"hospital {d['hospital']['requests']:,} confirms at {d['hospital']['rate_per_s']:g}/s",
            f"real-time {d['realtime']['requests']:,} requests one by one",
            f"fast claims {claims['claims_alone']} alone, {claims['claims']} from "
            f"{claims['concurrency']} clients at once, {claims['bulk_claims']:,} in bulks of "
            f"{claims['bulk_size']} from {claims['bulk_clients']} clients",
            f"consent {d['consent']['grants']} grants one by one",
        ]
    )


def render_table(run: BenchRun) -> str:
    """The run as a Markdown table, with the machine, date, run time and load below it."""
    lines = ["| figure | measured | target | anchor |", "|---|---|---|---|"]
    for row in ROWS:
        value = row.value(run)
        measured = f"{_number(value)} {row.unit}"
        lines.append(
            f"| {row.label} | {measured} | {_target(row, value)} | {_anchor(row, value)} |"
        )
    before, after = run.load_average
    lines += [
        "",
        f"workloads: {workloads(run)}",
        f"machine: {run.machine}",
        f"date: {run.date}; run time {run.seconds:.0f} s; "
        f"1-minute load average {before:.2f} at the start, {after:.2f} at the end",
    ]
    return "\n".join(lines)
