"""Benchmark: real-time authorisation latency of the insurer node, on loopback.

Method (docs/INSURER.md): start anvil, deploy the registries, register a bureau and the
insurer, bind the patient's wallet and grant DIRECT_SETTLEMENT consent; write the insurer's
keystore and a SQLite database (migrated) with one policy; start the node exactly as
``trustshare insurer serve`` does, in its own process (uvicorn, one worker). Then, from this
process, send N requests one after another over one keep-alive HTTP connection, each for a new
settlement, signed beforehand by the bureau's key (signing is the bureau's cost, not timed).
The time of one request is from sending it to having its answer parsed; the first
``--warmup`` requests are not counted. Every answer must be a hold (authorised_fen > 0).

    python scripts/bench_realtime.py [--requests 1000] [--chain-cache-s 2] [--json]

``--chain-cache-s 0`` reads the bureau's status and the patient's consent from the chain on
every request (two RPC calls to anvil): the cost of an uncached node.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
from web3 import Web3

from trustshare.chain.deployment import deploy_registries
from trustshare.chain.devchain import DevChain, dev_accounts, free_port
from trustshare.chain.registries import Registries
from trustshare.chain.sender import TransactionSender
from trustshare.crypto.eip712 import ConsentTerms
from trustshare.crypto.leaves import settlement_id
from trustshare.crypto.sealing import SealingPrivateKey
from trustshare.crypto.vocabulary import Purpose, Scope
from trustshare.domain import default_rules
from trustshare.gateway.realtime_contract import REALTIME_AUTHORISATION_PATH
from trustshare.gateway.signing import sign_request
from trustshare.insurer.keystore import Keystore, SealingKeyEntry
from trustshare.insurer.policies import issue_policy
from trustshare.storage.database import make_engine, make_session_factory
from trustshare.storage.insurer_migrate import upgrade

PRODUCT = "enterprise-supplementary"
PSEUDONYM = bytes.fromhex("5a" * 32)
SERVE = "from trustshare.cli.insurer import insurer_app; insurer_app()"


def _network(chain: DevChain, keystore: Keystore) -> tuple[Any, Any]:
    w3 = Web3(Web3.HTTPProvider(chain.rpc_url))
    operator, bureau, patient = dev_accounts(3)
    deployment = deploy_registries(TransactionSender(w3, operator))
    participants = Registries.connect(w3, deployment, TransactionSender(w3, operator))
    participants.participants.register_bureau(bureau.address, "Bench Bureau", "http://127.0.0.1")
    participants.participants.register_insurer(
        keystore.address, "Bench Insurer", keystore.current.public.to_bytes(), "http://127.0.0.1"
    )
    Registries.connect(w3, deployment, TransactionSender(w3, bureau)).consents.bind_wallet(
        PSEUDONYM, patient.address
    )
    now = int(w3.eth.get_block("latest")["timestamp"])
    terms = ConsentTerms(
        PSEUDONYM,
        keystore.address,
        Scope.SETTLEMENT_SUMMARY,
        Purpose.DIRECT_SETTLEMENT,
        now,
        now + 86_400,
    )
    Registries.connect(w3, deployment, TransactionSender(w3, patient)).consents.grant(terms)
    return deployment, bureau


def _policy(database_url: str) -> None:
    upgrade(database_url)
    engine = make_engine(database_url)
    now = datetime.now(UTC)
    with make_session_factory(engine)() as session:
        issue_policy(
            session,
            default_rules(),
            policy_number="P-BENCH",
            pseudonym=PSEUDONYM,
            product=PRODUCT,
            valid_from=now - timedelta(days=1),
            valid_to=now + timedelta(days=365),
        )
    engine.dispose()


def _requests(bureau: Any, count: int) -> list[tuple[bytes, dict[str, str]]]:
    signed = []
    deadline_ms = int((time.time() + 3_600) * 1000)
    for index in range(count):
        body = {
            "settlement_reference": f"BENCH-{index}",
            "settlement_id": "0x" + settlement_id(bureau.address, index + 1).hex(),
            "bureau": bureau.address,
            "pseudonym": "0x" + PSEUDONYM.hex(),
            "product": PRODUCT,
            "policy_number": "P-BENCH",
            "payer_order": 2,
            "computed_fen": 1_000,
            "prior_payers_paid_fen": 50_000,
            "claim_ceiling_fen": 60_000,
            "rules_version": default_rules().digest,
            "deadline_unix_ms": deadline_ms,
        }
        raw = json.dumps(body).encode()
        headers = sign_request(bureau, "POST", REALTIME_AUTHORISATION_PATH, raw, now=time.time())
        signed.append((raw, {**headers, "Content-Type": "application/json"}))
    return signed


def _wait_healthy(url: str, server: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise SystemExit("the insurer node exited during start-up")
        try:
            if httpx.get(url + "/v1/health", timeout=1).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.1)
    raise SystemExit("the insurer node did not start within 30 s")


def percentile(sorted_values: list[float], fraction: float) -> float:
    """The nearest-rank percentile of already-sorted values."""
    rank = max(1, round(fraction * len(sorted_values)))
    return sorted_values[min(rank, len(sorted_values)) - 1]


def run(requests: int, warmup: int, chain_cache_s: float) -> dict[str, Any]:
    """Set everything up, time the requests, return the figures (milliseconds)."""
    with tempfile.TemporaryDirectory(prefix="bench-realtime-") as work, DevChain.start() as chain:
        directory = Path(work)
        insurer = dev_accounts(4)[3]
        keystore = Keystore(insurer, (SealingKeyEntry(SealingPrivateKey.generate(), 0),))
        keystore.write(directory / "keys.json")
        deployment, bureau = _network(chain, keystore)
        deployment.write(directory / "deployment.json")
        database_url = f"sqlite:///{directory / 'insurer.db'}"
        _policy(database_url)
        port = free_port()
        environment = {
            **os.environ,
            "TRUSTSHARE_INSURER_DATABASE_URL": database_url,
            "TRUSTSHARE_INSURER_RPC_URL": chain.rpc_url,
            "TRUSTSHARE_INSURER_DEPLOYMENT_FILE": str(directory / "deployment.json"),
            "TRUSTSHARE_INSURER_KEYSTORE_FILE": str(directory / "keys.json"),
            "TRUSTSHARE_INSURER_CHAIN_CACHE_S": str(chain_cache_s),
        }
        command = [sys.executable, "-c", SERVE, "serve", "--port", str(port)]
        server = subprocess.Popen(
            command, env=environment, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )
        try:
            url = f"http://127.0.0.1:{port}"
            _wait_healthy(url, server)
            signed = _requests(bureau, requests + warmup)
            timings: list[float] = []
            with httpx.Client(base_url=url, timeout=5) as client:
                for index, (raw, headers) in enumerate(signed):
                    started = time.perf_counter()
                    reply = client.post(REALTIME_AUTHORISATION_PATH, content=raw, headers=headers)
                    answer = reply.json()
                    elapsed = (time.perf_counter() - started) * 1000
                    if reply.status_code != 200 or answer["authorised_fen"] <= 0:
                        raise SystemExit(f"request {index} was not held: {reply.text}")
                    if index >= warmup:
                        timings.append(elapsed)
        finally:
            server.terminate()
            server.wait(timeout=10)
    timings.sort()
    return {
        "requests": len(timings),
        "chain_cache_s": chain_cache_s,
        "p50_ms": round(percentile(timings, 0.50), 2),
        "p90_ms": round(percentile(timings, 0.90), 2),
        "p99_ms": round(percentile(timings, 0.99), 2),
        "max_ms": round(timings[-1], 2),
        "mean_ms": round(statistics.fmean(timings), 2),
    }


def main() -> None:
    """Parse the options, run, print."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=1_000)
    parser.add_argument("--warmup", type=int, default=50)
    parser.add_argument("--chain-cache-s", type=float, default=2.0)
    parser.add_argument("--json", action="store_true")
    options = parser.parse_args()
    result = run(options.requests, options.warmup, options.chain_cache_s)
    if options.json:
        print(json.dumps(result))
        return
    print(
        f"{result['requests']} real-time authorisations (chain cache {options.chain_cache_s} s): "
        f"p50 {result['p50_ms']} ms, p90 {result['p90_ms']} ms, p99 {result['p99_ms']} ms, "
        f"max {result['max_ms']} ms"
    )


if __name__ == "__main__":
    main()
