"""The settlement engine's rate: one-stop settlements per second on one core.

Method: build the generated population (:mod:`trustshare.bench.population`), validate it once,
then time ``settle()`` over the whole population for several rounds after one warm-up round and
take the median rate. The measuring process is pinned to one CPU for the rounds (and unpinned
after). A second figure includes JSON decoding and validation of each bill (the CLI's path).
"""

from __future__ import annotations

import json
import os
import statistics
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from decimal import Decimal

from trustshare.bench.population import build_population
from trustshare.domain import default_rules, parse_bill, settle

TARGET_PER_SECOND = 20_000


@dataclass(frozen=True)
class EngineFigures:
    """Settlements per second on one core, and the population they were measured over."""

    settlements_per_second: float
    decode_validate_settle_per_second: float
    bills: int
    mean_lines_per_bill: float
    mean_products_per_bill: float
    rounds: int
    seed: int


@contextmanager
def one_cpu() -> Iterator[None]:
    """Pin this process to its lowest allowed CPU for the block (where the OS allows it)."""
    if not hasattr(os, "sched_setaffinity"):
        yield
        return
    allowed = os.sched_getaffinity(0)
    os.sched_setaffinity(0, {min(allowed)})
    try:
        yield
    finally:
        os.sched_setaffinity(0, allowed)


def median_rate(run: Callable[[], None], count: int, rounds: int) -> float:
    """The median over ``rounds`` of ``count`` divided by the seconds one ``run()`` takes."""
    rates = []
    for _ in range(rounds):
        started = time.perf_counter()
        run()
        rates.append(count / (time.perf_counter() - started))
    return statistics.median(rates)


def measure_engine(bills: int = 2_000, rounds: int = 5, seed: int = 7) -> EngineFigures:
    """Time ``settle()`` over ``bills`` generated bills, ``rounds`` times, pinned to one CPU."""
    if bills < 1 or rounds < 1:
        raise ValueError("the engine benchmark needs at least one bill and one round")
    rules = default_rules()
    texts, population = build_population(bills, seed)

    def settle_all() -> None:
        for bill, accumulators in population:
            settle(bill, accumulators, rules)

    def decode_validate_settle_all() -> None:
        for text, (_, accumulators) in zip(texts, population, strict=True):
            settle(parse_bill(json.loads(text, parse_float=Decimal)), accumulators, rules)

    with one_cpu():
        settle_all()  # warm-up
        settle_rate = median_rate(settle_all, len(population), rounds)
        full_rate = median_rate(decode_validate_settle_all, len(population), rounds)
    return EngineFigures(
        settlements_per_second=settle_rate,
        decode_validate_settle_per_second=full_rate,
        bills=len(population),
        mean_lines_per_bill=sum(len(bill.lines) for bill, _ in population) / len(population),
        mean_products_per_bill=sum(len(bill.products) for bill, _ in population) / len(population),
        rounds=rounds,
        seed=seed,
    )
