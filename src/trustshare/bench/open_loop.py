"""Open-loop load on the hospital API, run as a process of its own by the hospital benchmark.

Request *i* is sent at ``t0 + i / rate`` whether or not earlier ones have answered, so a slow
server cannot slow the load down (no coordinated omission); latency is measured from that
scheduled instant to the full response. aiohttp's client is used (lighter than httpx's, so that
the load generator is not the bottleneck). The first ``warmup`` seconds are sent but not
counted; any non-201 answer or transport error is an error.

    python -m trustshare.bench.open_loop URL TOKEN RATE DURATION WARMUP

prints the figures as one JSON object.
"""

from __future__ import annotations

import asyncio
import json
import statistics
import sys
import time
import uuid
from typing import Any

from trustshare.bench.network import percentile
from trustshare.bench.population import HOSPITAL_ID_NUMBER, hospital_bill


async def open_loop(
    url: str, token: str, rate: float, duration: float, warmup: float
) -> dict[str, Any]:
    """Confirm the hospital bill at ``rate`` per second; latencies in ms and errors by kind."""
    import aiohttp  # a lighter client than httpx: the load must not be the bottleneck

    bill = hospital_bill()
    headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
    latencies: list[float] = []
    errors: dict[str, int] = {}
    late_sends = 0
    connector = aiohttp.TCPConnector(limit=512)
    timeout = aiohttp.ClientTimeout(total=30)
    async with aiohttp.ClientSession(url, connector=connector, timeout=timeout) as client:

        async def one(index: int, scheduled: float, counted: bool) -> None:
            bill["setl_id"] = f"BENCH-{index:07d}-{uuid.uuid4().hex[:8]}"
            body = json.dumps({"id_number": HOSPITAL_ID_NUMBER, "bill": bill}).encode()
            key = {"Idempotency-Key": uuid.uuid4().hex}
            try:
                async with client.post(
                    "/v1/settlements", data=body, headers=headers | key
                ) as answer:
                    await answer.read()
                    outcome = "ok" if answer.status == 201 else f"http_{answer.status}"
            except (aiohttp.ClientError, TimeoutError) as error:
                outcome = type(error).__name__
            if counted:
                latencies.append((time.perf_counter() - scheduled) * 1000)
                if outcome != "ok":
                    errors[outcome] = errors.get(outcome, 0) + 1

        total = int((warmup + duration) * rate)
        skip = int(warmup * rate)
        tasks = []
        cpu_start = time.process_time()
        start = time.perf_counter() + 0.2
        for index in range(total):
            scheduled = start + index / rate
            delay = scheduled - time.perf_counter()
            if delay > 0:
                await asyncio.sleep(delay)
            elif delay < -0.005:
                late_sends += 1
            tasks.append(asyncio.create_task(one(index, scheduled, index >= skip)))
        sending_s = time.perf_counter() - start
        await asyncio.gather(*tasks)
        loader_cpu_s = time.process_time() - cpu_start
    latencies.sort()
    return {
        "requests": len(latencies),
        "rate_per_s": rate,
        "duration_s": duration,
        "sent_rate_per_s": round(total / sending_s, 1),
        "sends_late_over_5ms": late_sends,
        "loader_cpu_s": round(loader_cpu_s, 2),
        "errors": sum(errors.values()),
        "error_kinds": errors,
        "p50_ms": percentile(latencies, 0.50),
        "p90_ms": percentile(latencies, 0.90),
        "p99_ms": percentile(latencies, 0.99),
        "max_ms": latencies[-1],
        "mean_ms": statistics.fmean(latencies),
    }


def main(arguments: list[str]) -> None:
    """Run the load described by the command line and print its figures as JSON."""
    url, token, rate, duration, warmup = arguments
    figures = asyncio.run(open_loop(url, token, float(rate), float(duration), float(warmup)))
    print(json.dumps(figures))


if __name__ == "__main__":
    main(sys.argv[1:])
