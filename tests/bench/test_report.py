"""The bench table: every figure with its target, verdict and anchor (no measuring here)."""

from __future__ import annotations

from trustshare.bench.figures import BenchRun, headline_figures
from trustshare.bench.report import ROWS, render_table

DETAILS = {
    "engine": {"settlements_per_second": 25_123.4, "bills": 2_000, "rounds": 5},
    "clearing": {
        "end_to_end_per_second": 6_011.2,
        "gas_per_settlement": 5.4277,
        "records": 200_000,
        "batches": 20,
        "batch_leaves": 10_000,
    },
    "hospital": {"p50_ms": 3.61, "p99_ms": 61.2, "requests": 4_000, "rate_per_s": 200.0},
    "realtime": {"p50_ms": 3.8, "p99_ms": 8.2, "requests": 1_000},
    "claims": {
        "p50_ms": 50.0,
        "p99_ms": 120.0,
        "claims_per_s": 180.0,
        "claims_alone": 100,
        "claims": 300,
        "concurrency": 8,
        "single_claims_per_s": 40.0,
        "bulk_claims": 2_000,
        "bulk_size": 100,
        "bulk_clients": 2,
    },
    "consent": {"p50_ms": 150.0, "p99_ms": 290.0, "grants": 40},
}


def a_run() -> BenchRun:
    return BenchRun(
        figures=headline_figures(DETAILS),
        details=DETAILS,
        machine="Test CPU, 2 cores, 8.0 GiB RAM, Debian, Python 3.11",
        date="2026-01-02T03:04:05+00:00",
        seconds=181.0,
        load_average=(0.4, 1.2),
    )


def test_headline_figures_are_the_eleven_keys_rounded() -> None:
    figures = headline_figures(DETAILS)
    assert len(figures) == 11
    assert figures["engine_settlements_per_s_per_core"] == 25_123
    assert figures["gas_per_settlement"] == 5.43
    assert figures["consent_effective_ms"] == 150.0
    assert a_run().to_json_dict() == {
        **figures,
        "machine": "Test CPU, 2 cores, 8.0 GiB RAM, Debian, Python 3.11",
        "date": "2026-01-02T03:04:05+00:00",
    }


def test_table_shows_each_figure_with_target_verdict_and_anchor() -> None:
    table = render_table(a_run())
    rows = [line for line in table.splitlines() if line.startswith("| ") and "---" not in line]
    assert len(rows) == 1 + len(ROWS)
    assert "| engine settlements / s, one core | 25,123 /s | ≥ 20,000 /s (met) |" in table
    assert "| hospital confirm p99 | 61.2 ms | ≤ 50 ms (MISSED) |" in table
    assert "| fast claims / s, end to end (bulk) | 180 /s | ≥ 200 /s (MISSED) |" in table
    assert "| fast claims / s, one per request | 40 /s | none set | — |" in table
    assert "2,000 in bulks of 100 from 2 clients" in table
    assert "EAS ≈ 200,000 gas per attestation; 36,832× less here" in table
    assert "national platform ≈ 0.8 s per inpatient settlement; 222× less here" in table
    assert "a blockchain claim paid in 5 s; 100× less here" in table
    assert "| consent grant → effective p99 | 290 ms | none set | — |" in table
    assert "clearing 200,000 records in 20 batches of up to 10,000" in table
    assert "hospital 4,000 confirms at 200/s" in table
    assert "machine: Test CPU, 2 cores" in table
    assert "run time 181 s" in table and "0.40 at the start, 1.20 at the end" in table
