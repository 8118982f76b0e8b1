"""Fast claims in bulk, end to end: the sustained throughput with batching.

``clients`` claims-staff clients each send ``POST /v1/claims/bulk`` with ``size`` settlements at
a time (the next as soon as the previous is answered) to the real insurer node, whose claim
sender records the queued claims on chain with ``recordClaims`` and pays them. Claims/s = all
claims / (last payout − first request); latency of a claim = its bulk request sent → its
``payouts`` row; CPU ms per claim of each process from ``/proc``. ``bulk_answered_per_s`` is
the intake alone (claims / last answer − first request), ``bulk_claims_per_tx`` how many
claims each ``recordClaims`` carried.
"""

from __future__ import annotations

import asyncio
import os
import time
import uuid
from typing import Any

import httpx

from trustshare.bench.claims_network import (
    CLAIMS_TOKEN,
    PRODUCT,
    ClaimsNetwork,
    transactions_of,
    wait_paid,
)
from trustshare.bench.network import cpu_seconds, percentile
from trustshare.network.processes import NodeProcess
from trustshare.storage.insurer_models import ClaimStatus

BULK_PATH = "/v1/claims/bulk"
FILED = (ClaimStatus.PENDING, ClaimStatus.QUEUED, ClaimStatus.RECORDED)


async def _send_bulks(
    url: str, settlements: list[str], clients: int, size: int
) -> tuple[float, float, dict[str, float], int]:
    chunks = [settlements[start : start + size] for start in range(0, len(settlements), size)]
    chunks.reverse()
    sent: dict[str, float] = {}
    waiting = 0
    answered = 0.0
    headers = {"Authorization": f"Bearer {CLAIMS_TOKEN}"}
    limits = httpx.Limits(max_connections=clients)
    async with httpx.AsyncClient(base_url=url, timeout=120, headers=headers, limits=limits) as http:

        async def client() -> None:
            nonlocal waiting, answered
            while chunks:
                chunk = chunks.pop()
                body = {"claims": [{"settlement_id": s, "product": PRODUCT} for s in chunk]}
                started = time.time()
                answer = await http.post(
                    BULK_PATH, json=body, headers={"Idempotency-Key": uuid.uuid4().hex}
                )
                if answer.status_code != 200:
                    raise RuntimeError(f"a bulk was refused: {answer.status_code} {answer.text}")
                for claim in answer.json()["claims"]:
                    if claim["status"] not in FILED:
                        raise RuntimeError(f"a claim was not queued: {claim}")
                    sent[claim["claim_id"]] = started
                    waiting += claim["status"] == ClaimStatus.PENDING
                answered = max(answered, time.time())

        first = time.time()
        await asyncio.gather(*(client() for _ in range(clients)))
    return first, answered, sent, waiting


def bulk_end_to_end(
    insurer: NodeProcess, ready: ClaimsNetwork, settlements: list[str], clients: int, size: int
) -> dict[str, Any]:
    """Claims/s from the first bulk request to the last payout; latency and CPU per claim."""
    processes = {**ready.pids, "insurer": insurer.process.pid, "bench": os.getpid()}
    before = {name: cpu_seconds(pid) for name, pid in processes.items()}
    first, answered, sent, waiting = asyncio.run(
        _send_bulks(insurer.url, settlements, clients, size)
    )
    paid = wait_paid(ready.insurer_database, list(sent), poll=0.05)
    seconds = max(paid.values()) - first
    latencies = sorted((paid[claim] - started) * 1000 for claim, started in sent.items())
    figures: dict[str, Any] = {
        "bulk_claims": len(sent),
        "bulk_clients": clients,
        "bulk_size": size,
        "bulk_answered_pending": waiting,
        "bulk_claims_per_s": len(sent) / seconds,
        "bulk_answered_per_s": len(sent) / (answered - first),
        "bulk_claims_per_tx": len(sent) / transactions_of(ready.insurer_database, list(sent)),
        "bulk_p50_ms": percentile(latencies, 0.50),
        "bulk_p99_ms": percentile(latencies, 0.99),
    }
    for name, pid in processes.items():
        figures[f"bulk_cpu_ms_per_claim_{name}"] = (
            (cpu_seconds(pid) - before[name]) * 1000 / len(sent)
        )
    return figures
