"""Real-time authorisation latency of the insurer node, on loopback.

Method (docs/INSURER.md): anvil with the registries, the bureau and the insurer registered; the
patient's wallet bound by the bureau and their DIRECT_SETTLEMENT grant, signed by the wallet,
relayed by the bureau; the insurer's SQLite database migrated with one policy; the node served
by ``trustshare insurer serve`` (one worker). Then N requests are sent one after another over
one keep-alive HTTP connection, each for a new settlement, signed beforehand with the bureau's
key (signing is the bureau's cost, not timed). One request's time is from sending it to having
its answer parsed; the first ``warmup`` requests are not counted. Every answer must be a hold.
The client's own cyclic garbage collector is frozen and paused while it times (its collections,
up to 1.6 ms each and tens of ms for a full one, are the client's cost, not the node's); the
machine's load average when the timing began is part of the result (the machine is shared).

``chain_cache_s=0`` reads the bureau's status and the patient's consent from the chain on every
request (two RPC calls to anvil): the cost of an uncached node.
"""

from __future__ import annotations

import gc
import json
import os
import statistics
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
from eth_account import Account
from eth_account.signers.local import LocalAccount

from trustshare.bench.network import dev_network, insurer_values, percentile, served
from trustshare.crypto.eip712 import ConsentDomain, ConsentTerms, sign_grant
from trustshare.crypto.leaves import settlement_id
from trustshare.crypto.vocabulary import Purpose, Scope
from trustshare.devnet import DevNetwork
from trustshare.domain import default_rules
from trustshare.gateway.realtime_contract import REALTIME_AUTHORISATION_PATH
from trustshare.gateway.signing import sign_request
from trustshare.insurer.policies import issue_policy
from trustshare.storage.database import make_engine, make_session_factory
from trustshare.storage.insurer_migrate import upgrade

TARGET_P99_MS = 20.0
PRODUCT = "enterprise-supplementary"
PSEUDONYM = bytes.fromhex("5a" * 32)


def consent_to_direct_settlement(network: DevNetwork, insurer: str) -> None:
    """The patient's wallet bound to ``PSEUDONYM`` and their DIRECT_SETTLEMENT grant relayed."""
    patient: LocalAccount = Account.create()
    relay = network.registries(network.bureau).consents
    relay.bind_wallet(PSEUDONYM, patient.address)
    now = int(network.w3.eth.get_block("latest")["timestamp"])
    terms = ConsentTerms(
        PSEUDONYM, insurer, Scope.SETTLEMENT_SUMMARY, Purpose.DIRECT_SETTLEMENT, now, now + 86_400
    )
    domain = ConsentDomain(network.deployment.chain_id, network.deployment.consent_registry)
    signature = sign_grant(patient.key, domain, terms, 0, now + 3_600)
    relay.grant_by_signature(terms, 0, now + 3_600, signature)


def issue_bench_policy(database_url: str) -> None:
    """Migrate the insurer's database and issue the patient's policy of ``PRODUCT``."""
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


def signed_requests(bureau: LocalAccount, count: int) -> list[tuple[bytes, dict[str, str]]]:
    """``count`` authorisation requests for new settlements, signed with the bureau's key."""
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


def measure_realtime(
    requests: int = 1_000, warmup: int = 50, chain_cache_s: float = 2.0
) -> dict[str, Any]:
    """Set everything up, time the requests one after another; the figures (milliseconds)."""
    if requests < 1 or warmup < 0:
        raise ValueError("the real-time benchmark needs at least one request")
    with tempfile.TemporaryDirectory(prefix="bench-realtime-") as work, dev_network() as network:
        workdir = Path(work)
        insurer = network.insurers[0]
        values = insurer_values(network, insurer, workdir)
        values["CHAIN_CACHE_S"] = str(chain_cache_s)
        consent_to_direct_settlement(network, insurer.account.address)
        issue_bench_policy(values["DATABASE_URL"])
        with served("insurer", values, workdir) as node:
            signed = signed_requests(network.bureau, requests + warmup)
            load = os.getloadavg()
            with httpx.Client(base_url=node.url, timeout=5) as client, _client_gc_paused():
                timings = _timed(client, signed, warmup)
    timings.sort()
    return {
        "requests": len(timings),
        "chain_cache_s": chain_cache_s,
        "load_average": [round(value, 2) for value in load],
        "p50_ms": percentile(timings, 0.50),
        "p90_ms": percentile(timings, 0.90),
        "p99_ms": percentile(timings, 0.99),
        "max_ms": timings[-1],
        "mean_ms": statistics.fmean(timings),
    }


def _timed(
    client: httpx.Client, signed: list[tuple[bytes, dict[str, str]]], warmup: int
) -> list[float]:
    """Each request's time (ms) from sending to its answer parsed, after the first ``warmup``."""
    timings: list[float] = []
    for index, (raw, headers) in enumerate(signed):
        started = time.perf_counter()
        reply = client.post(REALTIME_AUTHORISATION_PATH, content=raw, headers=headers)
        answer = reply.json()
        elapsed = (time.perf_counter() - started) * 1000
        if reply.status_code != 200 or answer["authorised_fen"] <= 0:
            raise RuntimeError(f"authorisation {index} was not held: {reply.text}")
        if index >= warmup:
            timings.append(elapsed)
    return timings


@contextmanager
def _client_gc_paused() -> Iterator[None]:
    """The cyclic GC of the measuring process frozen and off for the block (restored after)."""
    gc.collect()
    gc.freeze()
    gc.disable()
    try:
        yield
    finally:
        gc.enable()
        gc.unfreeze()
