"""Fast claims (快赔) end to end on loopback, from the request to the payout.

Method (docs/BENCHMARKS-claims.md): the set-up of :mod:`trustshare.bench.claims_network` (not
timed), then the real insurer node served by ``trustshare insurer serve`` (SQLite, claim sender
running) and, over HTTP as the insurer's claims staff:

1. one claim at a time: ``POST /v1/claims`` (release fetched from the bureau, verified against
   the chain, payout computed, queued) → on-chain claim recorded by the claim sender → its
   ``payouts`` row. Latency = request sent → that row's timestamp (``warmup`` not counted);
2. ``claims`` claims from ``concurrency`` clients at once, one per request: claims/s from
   the first request to the last payout, latency under load, CPU ms per claim of each process;
3. ``bulk_claims`` claims in ``POST /v1/claims/bulk`` requests of ``bulk_size`` from
   ``bulk_clients`` clients (:mod:`trustshare.bench.claims_bulk`): the sustained throughput
   with batching, ``claims_per_s``;
4. ``claims`` claims queued by a node whose sender is off, then recorded and paid by one
   :class:`~trustshare.insurer.claim_outbox.ClaimSender` (the node's, run here) batching them
   into ``recordClaims``.

Every claim must be paid once, on a mined, successful transaction.

Targets (issue 6): p50 ≤ 100 ms, p99 ≤ 250 ms; ≥ 200 claims/s with batching.
"""

from __future__ import annotations

import asyncio
import os
import time
import uuid
from typing import Any

import httpx
from eth_typing import HexStr
from sqlalchemy import Engine, func, select
from web3 import Web3

from trustshare.bench.claims_bulk import bulk_end_to_end
from trustshare.bench.claims_network import (
    CLAIMS_TOKEN,
    PRODUCT,
    ClaimsNetwork,
    claims_network,
    paid_at,
    transactions_of,
    wait_paid,
)
from trustshare.bench.network import cpu_seconds, percentile, served, settings_of
from trustshare.insurer.claim_outbox import ClaimSender
from trustshare.insurer.context import InsurerContext
from trustshare.insurer.settings import InsurerSettings
from trustshare.network.processes import NodeProcess
from trustshare.storage.insurer_models import ClaimStatus, PayoutRow

FILED = (ClaimStatus.PENDING, ClaimStatus.QUEUED, ClaimStatus.RECORDED)
"""What a filed claim may be in when its answer comes back."""


def _filed(answer: httpx.Response) -> tuple[str, bool]:
    """The claim's id, and whether it must wait (``pending``: the node retries it itself).

    Under load the claim sender may record a claim before its answer is written: ``recorded``
    (on chain and paid) is as good as ``queued``.
    """
    claim = answer.json() if answer.status_code == 202 else {}
    if claim.get("status") not in FILED:
        raise RuntimeError(f"a claim was not queued: {answer.status_code} {answer.text}")
    return str(claim["claim_id"]), claim["status"] == ClaimStatus.PENDING


def _claim(settlement_id: str) -> dict[str, Any]:
    body = {"settlement_id": settlement_id, "product": PRODUCT}
    return {"json": body, "headers": {"Idempotency-Key": uuid.uuid4().hex}}


def one_at_a_time(
    url: str, insurer_database: Engine, settlements: list[str]
) -> tuple[list[float], list[float]]:
    """Each claim alone: ms from its request to its payout, and to the request's answer."""
    to_paid, to_answer = [], []
    headers = {"Authorization": f"Bearer {CLAIMS_TOKEN}"}
    with httpx.Client(base_url=url, timeout=30, headers=headers) as client:
        for settlement in settlements:
            started = time.time()
            answer = client.post("/v1/claims", **_claim(settlement))
            to_answer.append((time.time() - started) * 1000)
            claim_id, _ = _filed(answer)
            paid = wait_paid(insurer_database, [claim_id], poll=0.01)
            to_paid.append((paid[claim_id] - started) * 1000)
    return to_paid, to_answer


async def _all_at_once(
    url: str, settlements: list[str], concurrency: int
) -> tuple[float, dict[str, float], int]:
    queue = list(reversed(settlements))
    sent: dict[str, float] = {}
    waiting = 0
    headers = {"Authorization": f"Bearer {CLAIMS_TOKEN}"}
    limits = httpx.Limits(max_connections=concurrency)
    async with httpx.AsyncClient(base_url=url, timeout=60, headers=headers, limits=limits) as http:

        async def client() -> None:
            nonlocal waiting
            while queue:
                settlement = queue.pop()
                started = time.time()
                claim_id, pending = _filed(await http.post("/v1/claims", **_claim(settlement)))
                sent[claim_id] = started
                waiting += pending

        first = time.time()
        await asyncio.gather(*(client() for _ in range(concurrency)))
    return first, sent, waiting


def end_to_end(
    insurer: NodeProcess, ready: ClaimsNetwork, settlements: list[str], concurrency: int
) -> dict[str, float]:
    """Phase 2: claims/s from the first request to the last payout; latency and CPU under load."""
    processes = {**ready.pids, "insurer": insurer.process.pid, "bench": os.getpid()}
    before = {name: cpu_seconds(pid) for name, pid in processes.items()}
    first, sent, waiting = asyncio.run(_all_at_once(insurer.url, settlements, concurrency))
    paid = wait_paid(ready.insurer_database, list(sent), poll=0.05)
    seconds = max(paid.values()) - first
    latencies = sorted((paid[claim] - started) * 1000 for claim, started in sent.items())
    figures = {
        "claims": len(sent),
        "concurrency": concurrency,
        "answered_pending": waiting,
        "claims_per_s": len(sent) / seconds,
        "loaded_p50_ms": percentile(latencies, 0.50),
        "loaded_p99_ms": percentile(latencies, 0.99),
    }
    for name, pid in processes.items():
        figures[f"cpu_ms_per_claim_{name}"] = (cpu_seconds(pid) - before[name]) * 1000 / len(sent)
    return figures


def recording(ready: ClaimsNetwork, settlements: list[str], concurrency: int) -> dict[str, float]:
    """Phase 3: claims queued by a node without its sender, then recorded by one sender."""
    values = {**ready.insurer, "RUN_CLAIM_SENDER": "false"}
    with served("insurer", values, ready.workdir) as queueing:
        _, sent, waiting = asyncio.run(_all_at_once(queueing.url, settlements, concurrency))
    if waiting:
        raise RuntimeError(f"{waiting} claims were not queued (pending)")
    settings = InsurerSettings.model_validate(settings_of(ready.insurer))
    context = InsurerContext.from_settings(settings)
    sender = ClaimSender(context)
    started = time.time()
    while len(paid := paid_at(ready.insurer_database, list(sent))) < len(sent):
        report = sender.run_once()
        if report.interrupted or report.refused:
            raise RuntimeError(f"the sender stopped: {report.interrupted or report.refused}")
    seconds = max(paid.values()) - started
    context.engine.dispose()
    return {
        "recording_claims_per_s": len(sent) / seconds,
        "recording_claims_per_tx": len(sent) / transactions_of(ready.insurer_database, list(sent)),
    }


def check_ledger(insurer_database: Engine, w3: Web3, expected: int) -> None:
    """Exactly ``expected`` payouts, each on a mined, successful transaction."""
    with insurer_database.connect() as connection:
        hashes = set(connection.scalars(select(PayoutRow.tx_hash)))
        payouts = connection.scalar(select(func.count()).select_from(PayoutRow))
    for tx_hash in hashes:
        if w3.eth.get_transaction_receipt(HexStr(tx_hash))["status"] != 1:
            raise RuntimeError(f"payout on a failed transaction {tx_hash}")
    if payouts != expected:
        raise RuntimeError(f"{payouts} payouts in the ledger, {expected} expected")


def measure_claims(
    latency_claims: int = 300,
    claims: int = 1_000,
    concurrency: int = 8,
    warmup: int = 20,
    bulk_claims: int = 2_000,
    bulk_size: int = 100,
    bulk_clients: int = 2,
) -> dict[str, Any]:
    """Set everything up, measure the four phases; figures in ms, claims/s, CPU ms per claim.

    ``claims_per_s`` is the sustained throughput with batching (the bulk phase); the one of
    single requests from ``concurrency`` clients is ``single_claims_per_s``.
    """
    if latency_claims < 1 or claims < 1 or concurrency < 1 or warmup < 0:
        raise ValueError("the claims benchmark needs at least one claim per phase and one client")
    if bulk_claims < 1 or bulk_size < 1 or bulk_clients < 1:
        raise ValueError("the bulk phase needs at least one claim, one per bulk, one client")
    alone = warmup + latency_claims
    with claims_network(alone + 2 * claims + bulk_claims) as ready:
        first, rest = ready.settlements[:alone], ready.settlements[alone:]
        loaded, in_bulk, recorded = rest[:claims], rest[claims:-claims], rest[-claims:]
        with served("insurer", ready.insurer, ready.workdir) as insurer:
            to_paid, to_answer = one_at_a_time(insurer.url, ready.insurer_database, first)
            singles = end_to_end(insurer, ready, loaded, concurrency)
            bulk = bulk_end_to_end(insurer, ready, in_bulk, bulk_clients, bulk_size)
        recording_figures = recording(ready, recorded, concurrency)
        check_ledger(ready.insurer_database, ready.w3, len(ready.settlements))
    timed, answered = sorted(to_paid[warmup:]), sorted(to_answer[warmup:])
    singles["single_claims_per_s"] = singles.pop("claims_per_s")
    return {
        "load_average_1m": os.getloadavg()[0],
        "claims_alone": len(timed),
        "p50_ms": percentile(timed, 0.50),
        "p90_ms": percentile(timed, 0.90),
        "p99_ms": percentile(timed, 0.99),
        "max_ms": timed[-1],
        "answer_p50_ms": percentile(answered, 0.50),
        "answer_p99_ms": percentile(answered, 0.99),
        "claims_per_s": bulk["bulk_claims_per_s"],
        **singles,
        **bulk,
        **recording_figures,
    }
