"""Consent grant to effective: a patient's signed grant relayed by the bureau, until PERMITTED.

The time from the grant posted to the bureau's relay until the chain says PERMITTED.
Method: anvil (automine) with the registries, the bureau and the insurers registered; N patients,
each with a fresh wallet bound to a pseudonym by the bureau (set-up, before the node starts);
the real bureau node served by ``trustshare bureau serve`` with its publisher running on its
default settings (outbox polled every ``publisher_poll_ms``, 200 ms). For each patient in turn,
the wallet signs an EIP-712 grant of a CLAIM consent to the insurer (not timed), then the clock
starts: the grant is posted with the wallet's own client
(:meth:`trustshare.wallet.bureau_client.BureauClient.relay_grant`, ``POST /v1/consents/grants``:
simulated against the chain, queued in the outbox), and ``ConsentRegistry.permissionOf`` is
read every ``poll_ms`` until it answers PERMITTED for that pseudonym, insurer, scope and
purpose; the clock stops at that answer. Between grants the benchmark waits a random fraction
of the publisher's poll period, so grants meet the publisher's cycle at every phase.
"""

from __future__ import annotations

import random
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

from eth_account import Account
from eth_account.signers.local import LocalAccount

from trustshare.bench.network import bureau_values, dev_network, percentile, served
from trustshare.bureau.settings import BureauSettings
from trustshare.chain.registries.consent import PermissionStatus
from trustshare.crypto.eip712 import ConsentDomain, ConsentTerms, sign_grant
from trustshare.crypto.hashing import keccak256
from trustshare.crypto.vocabulary import Purpose, Scope
from trustshare.devnet import DevNetwork
from trustshare.wallet.bureau_client import BureauClient

YEAR = 365 * 86_400
SCOPE = Scope.SETTLEMENT_SUMMARY
PURPOSE = Purpose.CLAIM


def bind_patients(network: DevNetwork, count: int, seed: int) -> list[tuple[bytes, LocalAccount]]:
    """``count`` patients: a pseudonym each, bound by the bureau to a fresh wallet."""
    relay = network.registries(network.bureau).consents
    patients = []
    for index in range(count):
        pseudonym = keccak256(f"bench-consent {seed} {index}".encode())
        wallet: LocalAccount = Account.create()
        relay.bind_wallet(pseudonym, wallet.address)
        patients.append((pseudonym, wallet))
    return patients


def measure_consent(grants: int = 40, *, poll_ms: float = 5.0, seed: int = 7) -> dict[str, Any]:
    """Relay ``grants`` signed grants one after another; ms from post to PERMITTED on chain."""
    if grants < 1 or poll_ms <= 0:
        raise ValueError("the consent benchmark needs at least one grant and a positive poll")
    rng = random.Random(seed)
    publisher_poll_s = BureauSettings.model_fields["publisher_poll_ms"].default / 1000
    with tempfile.TemporaryDirectory(prefix="bench-consent-") as work, dev_network() as network:
        workdir = Path(work)
        insurer = network.insurers[0].account.address
        consents = network.registries().consents
        domain = ConsentDomain(network.deployment.chain_id, network.deployment.consent_registry)
        patients = bind_patients(network, grants, seed)
        timings: list[float] = []
        with (
            served("bureau", bureau_values(network, workdir), workdir) as bureau,
            BureauClient(bureau.url) as client,
        ):
            for pseudonym, wallet in patients:
                now = int(network.w3.eth.get_block("latest")["timestamp"])
                terms = ConsentTerms(pseudonym, insurer, SCOPE, PURPOSE, now - 60, now + YEAR)
                signature = sign_grant(wallet.key, domain, terms, 0, now + 3_600)
                time.sleep(rng.uniform(0, publisher_poll_s))
                started = time.perf_counter()
                client.relay_grant(terms, 0, now + 3_600, signature)
                deadline = started + 60
                while consents.permission_of(pseudonym, insurer, SCOPE, PURPOSE) != (
                    PermissionStatus.PERMITTED
                ):
                    if time.perf_counter() > deadline:
                        raise RuntimeError("a relayed grant was not effective within 60 s")
                    time.sleep(poll_ms / 1000)
                timings.append((time.perf_counter() - started) * 1000)
    timings.sort()
    return {
        "grants": len(timings),
        "publisher_poll_ms": publisher_poll_s * 1000,
        "p50_ms": percentile(timings, 0.50),
        "p90_ms": percentile(timings, 0.90),
        "p99_ms": percentile(timings, 0.99),
        "max_ms": timings[-1],
        "mean_ms": statistics.fmean(timings),
    }
