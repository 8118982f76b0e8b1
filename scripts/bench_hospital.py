"""Benchmark: the hospital path — confirm of one bill with no commercial layer, open loop.

Method: start anvil and deploy the registries (one bureau registered), migrate a fresh SQLite
file, and serve the real bureau app (``create_app`` + the hospital router) with uvicorn in a
child process (one worker, as ``trustshare bureau serve`` runs it). A second child process
generates open-loop load with aiohttp's client (lighter than httpx's, so that the load
generator is not the bottleneck): request *i* is sent at ``t0 + i / rate``
whether or not earlier ones have answered, so a slow server cannot slow the load down
(no coordinated omission); latency is measured from that scheduled instant to the full
response. Each request is a ``POST /v1/settlements`` of the Beijing example bill (20 lines,
products removed) with its own ``Idempotency-Key`` and ``setl_id``. The first ``--warmup``
seconds are sent but not counted. Any non-201 answer or transport error is an error.

    python scripts/bench_hospital.py [--rate 200] [--duration 20] [--warmup 3] [--json]

Target (issue 5): p99 ≤ 50 ms at 200 requests/s on this 2-core machine.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

import httpx

ROOT = Path(__file__).resolve().parents[1]
BILL_FILE = ROOT / "docs" / "examples" / "bill-beijing-inpatient.json"
TOKEN = "bench-hospital-token-0123456789abcdef"
ID_NUMBER = "11010519491231002X"
TARGET_P99_MS = 50.0


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


# -- the server process ----------------------------------------------------------------------


def serve(port: int) -> None:
    """Run the bureau app (settings from the environment) until killed."""
    import uvicorn

    from trustshare.bureau.api import hospital
    from trustshare.bureau.app import create_app
    from trustshare.bureau.settings import BureauSettings

    app = create_app(BureauSettings())  # type: ignore[call-arg]
    if "/v1/settlements" not in {getattr(route, "path", None) for route in app.routes}:
        app.include_router(hospital.router)
    uvicorn.run(app, host="127.0.0.1", port=port, log_level="warning", access_log=False)


# -- the load process ------------------------------------------------------------------------


async def _load(url: str, rate: float, duration: float, warmup: float) -> dict[str, Any]:
    import aiohttp  # a lighter client than httpx: the load must not be the bottleneck

    bill = json.loads(BILL_FILE.read_text())
    bill["products"] = []
    headers = {"Authorization": f"Bearer {TOKEN}", "Content-Type": "application/json"}
    latencies: list[float] = []
    errors: dict[str, int] = {}
    late_sends = 0
    connector = aiohttp.TCPConnector(limit=512)
    timeout = aiohttp.ClientTimeout(total=30)
    async with aiohttp.ClientSession(url, connector=connector, timeout=timeout) as client:

        async def one(index: int, scheduled: float, counted: bool) -> None:
            bill["setl_id"] = f"BENCH-{index:07d}-{uuid.uuid4().hex[:8]}"
            body = json.dumps({"id_number": ID_NUMBER, "bill": bill}).encode()
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

    def pct(p: float) -> float:
        return latencies[min(len(latencies) - 1, int(p / 100 * len(latencies)))]

    return {
        "requests": len(latencies),
        "rate_per_s": rate,
        "duration_s": duration,
        "sent_rate_per_s": round(total / sending_s, 1),
        "sends_late_over_5ms": late_sends,
        "loader_cpu_s": round(loader_cpu_s, 2),
        "errors": sum(errors.values()),
        "error_kinds": errors,
        "p50_ms": round(pct(50), 2),
        "p90_ms": round(pct(90), 2),
        "p99_ms": round(pct(99), 2),
        "max_ms": round(latencies[-1], 2),
        "mean_ms": round(statistics.fmean(latencies), 2),
    }


def load(url: str, rate: float, duration: float, warmup: float) -> None:
    """Generate the open-loop load and print the figures as JSON on stdout."""
    print(json.dumps(asyncio.run(_load(url, rate, duration, warmup))))


# -- the orchestrator ------------------------------------------------------------------------


def _wait_until_up(url: str, server: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise SystemExit("the bureau server exited during start-up")
        try:
            if httpx.get(url + "/v1/health", timeout=1).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.1)
    raise SystemExit("the bureau server did not start within 30 s")


def _cpu_seconds(pid: int) -> float:
    """User + system CPU seconds of process ``pid`` so far (Linux /proc)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def run(rate: float, duration: float, warmup: float) -> dict[str, Any]:
    """Start anvil, the database and the server; run the load process; return the figures."""
    from trustshare.chain.deployment import deploy_registries
    from trustshare.chain.devchain import DevChain, dev_accounts
    from trustshare.chain.registries import Registries
    from trustshare.chain.sender import TransactionSender
    from trustshare.storage.migrate import upgrade

    with DevChain.start() as chain, tempfile.TemporaryDirectory() as scratch:
        from web3 import Web3

        w3 = Web3(Web3.HTTPProvider(chain.rpc_url))
        operator, bureau = dev_accounts(2)
        deployment = deploy_registries(TransactionSender(w3, operator))
        participants = Registries.connect(w3, deployment, TransactionSender(w3, operator))
        participants.participants.register_bureau(bureau.address, "Bench Bureau", "")
        deployment_file = Path(scratch) / "deployment.json"
        deployment.write(deployment_file)
        database_url = f"sqlite:///{Path(scratch) / 'bureau.db'}"
        upgrade(database_url)
        port = _free_port()
        environment = os.environ | {
            "TRUSTSHARE_BUREAU_DATABASE_URL": database_url,
            "TRUSTSHARE_BUREAU_RPC_URL": chain.rpc_url,
            "TRUSTSHARE_BUREAU_DEPLOYMENT_FILE": str(deployment_file),
            "TRUSTSHARE_BUREAU_CHAIN_KEY": bytes(bureau.key).hex(),
            "TRUSTSHARE_BUREAU_PSEUDONYM_KEY": "5e" * 32,
            "TRUSTSHARE_BUREAU_HOSPITAL_TOKENS": json.dumps({"bench-hospital": TOKEN}),
        }
        script = str(Path(__file__).resolve())
        server = subprocess.Popen([sys.executable, script, "--serve", str(port)], env=environment)
        try:
            url = f"http://127.0.0.1:{port}"
            _wait_until_up(url, server)
            cpu_before = _cpu_seconds(server.pid)
            loader = subprocess.run(
                [
                    *(sys.executable, script, "--load", url, "--rate", str(rate)),
                    *("--duration", str(duration), "--warmup", str(warmup)),
                ],
                check=True,
                capture_output=True,
                text=True,
            )
            figures = dict(json.loads(loader.stdout))
            figures["server_cpu_s"] = round(_cpu_seconds(server.pid) - cpu_before, 2)
            return figures
        finally:
            server.terminate()
            server.wait(timeout=30)


def main() -> None:
    """Parse arguments; run the whole benchmark, or one of its two child roles."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rate", type=float, default=200.0, help="requests per second")
    parser.add_argument("--duration", type=float, default=20.0, help="measured seconds")
    parser.add_argument("--warmup", type=float, default=3.0, help="unmeasured seconds first")
    parser.add_argument("--json", action="store_true", help="print the figures as JSON only")
    parser.add_argument("--serve", type=int, metavar="PORT", help=argparse.SUPPRESS)
    parser.add_argument("--load", metavar="URL", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve:
        serve(args.serve)
        return
    if args.load:
        load(args.load, args.rate, args.duration, args.warmup)
        return
    figures = run(args.rate, args.duration, args.warmup)
    if args.json:
        print(json.dumps(figures))
        return
    verdict = "meets" if figures["p99_ms"] <= TARGET_P99_MS and not figures["errors"] else "MISSES"
    print(
        f"hospital confirm, no commercial layer: {figures['requests']} requests at "
        f"{figures['rate_per_s']:.0f}/s (sent at {figures['sent_rate_per_s']}/s) — "
        f"p50 {figures['p50_ms']} ms, p90 {figures['p90_ms']} ms, p99 {figures['p99_ms']} ms, "
        f"max {figures['max_ms']} ms, errors {figures['errors']} {figures['error_kinds'] or ''}"
    )
    print(
        f"CPU: server {figures['server_cpu_s']} s, load generator {figures['loader_cpu_s']} s "
        f"over {figures['duration_s'] + 0.0:.0f} s measured (+ warm-up)"
    )
    print(f"target p99 ≤ {TARGET_P99_MS:.0f} ms: {verdict}")


if __name__ == "__main__":
    main()
