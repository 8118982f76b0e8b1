"""``trustshare bench``: every headline figure, measured on this machine in one run.

The measurements run one after another, each on its own fresh chain and nodes, so one cannot
slow another down: the settlement engine, bulk clearing (with its gas), the hospital confirm,
real-time authorisation, fast claims and consent grant-to-effective. :data:`STANDARD` sizes
keep the whole run near three and a half minutes on a 2-core machine; the scripts in
``scripts/`` run the same measurements at the larger sizes of the detailed documents.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, replace
from datetime import UTC, datetime
from typing import Any

from trustshare.bench.claims import measure_claims
from trustshare.bench.clearing import measure_clearing
from trustshare.bench.consent import measure_consent
from trustshare.bench.engine import measure_engine
from trustshare.bench.figures import BenchRun, headline_figures
from trustshare.bench.hospital import measure_hospital
from trustshare.bench.machine import describe_machine
from trustshare.bench.realtime import measure_realtime

Progress = Callable[[str], None]


@dataclass(frozen=True)
class BenchSizes:
    """How much each measurement does."""

    engine_bills: int
    engine_rounds: int
    clearing_records: int
    clearing_batch_leaves: int
    clearing_samples: int
    ingest_workers: int
    hospital_rate_per_s: float
    hospital_duration_s: float
    hospital_warmup_s: float
    realtime_requests: int
    realtime_warmup: int
    claims_alone: int
    claims_loaded: int
    claims_concurrency: int
    claims_warmup: int
    claims_bulk: int
    claims_bulk_size: int
    claims_bulk_clients: int
    consent_grants: int

    def with_workers(self, workers: int) -> BenchSizes:
        """The same sizes with ``workers`` ingest worker processes."""
        return replace(self, ingest_workers=workers)


STANDARD = BenchSizes(
    engine_bills=2_000,
    engine_rounds=5,
    clearing_records=200_000,
    clearing_batch_leaves=10_000,
    clearing_samples=50,
    ingest_workers=2,
    hospital_rate_per_s=200.0,
    hospital_duration_s=20.0,
    hospital_warmup_s=3.0,
    realtime_requests=1_000,
    realtime_warmup=50,
    claims_alone=200,
    claims_loaded=400,
    claims_concurrency=8,
    claims_warmup=10,
    claims_bulk=2_000,
    claims_bulk_size=100,
    claims_bulk_clients=2,
    consent_grants=60,
)
"""Sizes of the recorded run (about three and a half minutes on a 2-core machine)."""

QUICK = BenchSizes(
    engine_bills=40,
    engine_rounds=1,
    clearing_records=200,
    clearing_batch_leaves=100,
    clearing_samples=3,
    ingest_workers=0,
    hospital_rate_per_s=20.0,
    hospital_duration_s=1.0,
    hospital_warmup_s=0.2,
    realtime_requests=5,
    realtime_warmup=1,
    claims_alone=3,
    claims_loaded=4,
    claims_concurrency=2,
    claims_warmup=1,
    claims_bulk=6,
    claims_bulk_size=3,
    claims_bulk_clients=2,
    consent_grants=2,
)
"""Tiny sizes that exercise every measurement in seconds (the tests'); figures mean little."""


def _load_average() -> float:
    return os.getloadavg()[0] if hasattr(os, "getloadavg") else 0.0


def run_bench(sizes: BenchSizes = STANDARD, progress: Progress = lambda _: None) -> BenchRun:
    """Run every measurement at ``sizes``, saying what it does on ``progress``; the run."""
    started, date = time.monotonic(), datetime.now(UTC).isoformat(timespec="seconds")
    load_before = _load_average()
    details: dict[str, dict[str, Any]] = {}
    steps: list[tuple[str, str, Callable[[], dict[str, Any]]]] = [
        (
            "engine",
            f"settlement engine: {sizes.engine_bills:,} bills, {sizes.engine_rounds} timed rounds",
            lambda: asdict(measure_engine(sizes.engine_bills, sizes.engine_rounds)),
        ),
        (
            "clearing",
            f"bulk clearing: {sizes.clearing_records:,} records, "
            f"{sizes.clearing_batch_leaves:,}-leaf batches",
            lambda: asdict(
                measure_clearing(
                    sizes.clearing_records,
                    workers=sizes.ingest_workers,
                    batch_leaves=sizes.clearing_batch_leaves,
                    samples=sizes.clearing_samples,
                )
            ),
        ),
        (
            "hospital",
            f"hospital confirm: {sizes.hospital_rate_per_s:g}/s for "
            f"{sizes.hospital_duration_s:g} s (+ {sizes.hospital_warmup_s:g} s warm-up)",
            lambda: measure_hospital(
                sizes.hospital_rate_per_s, sizes.hospital_duration_s, sizes.hospital_warmup_s
            ),
        ),
        (
            "realtime",
            f"real-time authorisation: {sizes.realtime_requests:,} requests",
            lambda: measure_realtime(sizes.realtime_requests, sizes.realtime_warmup),
        ),
        (
            "claims",
            f"fast claims: {sizes.claims_alone} alone, {sizes.claims_loaded} under load, "
            f"{sizes.claims_bulk:,} in bulks of {sizes.claims_bulk_size}",
            lambda: measure_claims(
                sizes.claims_alone,
                sizes.claims_loaded,
                sizes.claims_concurrency,
                sizes.claims_warmup,
                sizes.claims_bulk,
                sizes.claims_bulk_size,
                sizes.claims_bulk_clients,
            ),
        ),
        (
            "consent",
            f"consent grant to effective: {sizes.consent_grants} grants",
            lambda: measure_consent(sizes.consent_grants),
        ),
    ]
    for number, (name, what, measure) in enumerate(steps, start=1):
        progress(f"[{number}/{len(steps)}] {what} …")
        step_started = time.monotonic()
        details[name] = measure()
        progress(f"      done in {time.monotonic() - step_started:.1f} s")
    if details["hospital"]["errors"]:
        raise RuntimeError(f"hospital confirmations failed: {details['hospital']['error_kinds']}")
    return BenchRun(
        figures=headline_figures(details),
        details=details,
        machine=describe_machine(),
        date=date,
        seconds=time.monotonic() - started,
        load_average=(load_before, _load_average()),
    )
