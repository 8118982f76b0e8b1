"""The fast-claim benchmark's set-up (not timed): patients with consent, policies, cleared bills.

Anvil (automine) with the registries, the bureau and the insurer registered; one patient per
claim, with their own wallet bound by the bureau and a CLAIM consent they sign and the bureau
relays; an insurer policy each. The real bureau node (publisher running) is served and its
endpoint registered on chain; the hospital confirms one discharge per patient over HTTP (the
hospital bill, :func:`trustshare.bench.population.hospital_bill`, settled today, statutory
layers only) and the publisher clears them into final batches.
"""

from __future__ import annotations

import asyncio
import json
import tempfile
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any, Final

import httpx
from eth_account import Account
from eth_account.signers.local import LocalAccount
from sqlalchemy import Engine, func, select
from web3 import Web3
from web3.contract.contract import ContractFunction
from web3.types import Nonce, TxParams, Wei

from trustshare.bench.network import bureau_values, dev_network, insurer_values, served
from trustshare.bench.population import hospital_bill
from trustshare.chain.devchain import free_port
from trustshare.crypto.eip712 import ConsentDomain, ConsentTerms, sign_grant
from trustshare.crypto.hashing import keccak256
from trustshare.crypto.pseudonym import pseudonym_of, resident_check_character
from trustshare.crypto.vocabulary import Purpose, Scope
from trustshare.devnet import DevNetwork
from trustshare.domain import default_rules
from trustshare.insurer.policies import issue_policy
from trustshare.storage import insurer_migrate
from trustshare.storage.database import make_engine, make_session_factory
from trustshare.storage.insurer_models import ClaimRow, PayoutRow
from trustshare.storage.models import Batch, SettlementRow

PRODUCT: Final = "enterprise-supplementary"
HOSPITAL_TOKEN: Final = "bench-claims-hospital-token-0123456789"
CLAIMS_TOKEN: Final = "bench-claims-staff-token-0123456789abcdef"
YEAR: Final = 365 * 86_400


def id_number(index: int) -> str:
    """A valid resident ID number for patient ``index`` (distinct below 21,000)."""
    first = f"110105{1960 + index % 40}{1 + index % 12:02d}{1 + index % 28:02d}{index % 1000:03d}"
    return first + resident_check_character(first)


def send_all(w3: Web3, account: LocalAccount, calls: Sequence[ContractFunction]) -> None:
    """Sign ``calls`` with consecutive nonces and broadcast them 100 at a time, each checked."""
    nonce = w3.eth.get_transaction_count(account.address, "pending")
    fee = 2 * int(w3.eth.get_block("latest").get("baseFeePerGas", 0) or 0) + 10**9
    for start in range(0, len(calls), 100):
        hashes = []
        for offset, call in enumerate(calls[start : start + 100], start=nonce + start):
            params: TxParams = {
                "from": account.address,
                "nonce": Nonce(offset),
                "gas": 300_000,
                "maxFeePerGas": Wei(fee),
                "maxPriorityFeePerGas": Wei(10**9),
            }
            tx: dict[str, Any] = dict(call.build_transaction(params))
            signed = account.sign_transaction(tx)
            hashes.append(w3.eth.send_raw_transaction(signed.raw_transaction))
        for tx_hash in hashes:
            if w3.eth.wait_for_transaction_receipt(tx_hash, timeout=120)["status"] != 1:
                raise RuntimeError(f"set-up transaction {tx_hash.hex()} reverted")


def consent_to_claims(network: DevNetwork, insurer: str, pseudonyms: list[bytes]) -> None:
    """Each patient's own wallet bound by the bureau, and their signed CLAIM grant relayed."""
    deployment = network.deployment
    consents = network.registries().consents.contract.functions
    domain = ConsentDomain(deployment.chain_id, deployment.consent_registry)
    now = int(network.w3.eth.get_block("latest")["timestamp"]) - 60
    scopes = Scope.SETTLEMENT_SUMMARY | Scope.FUND_BREAKDOWN
    binds, grants = [], []
    for pseudonym in pseudonyms:
        wallet: LocalAccount = Account.from_key(keccak256(b"bench-claims wallet" + pseudonym))
        binds.append(consents.bindWallet(pseudonym, wallet.address))
        terms = ConsentTerms(pseudonym, insurer, scopes, Purpose.CLAIM, now, now + YEAR)
        signature = sign_grant(wallet.key, domain, terms, 0, now + 3_600)
        grants.append(consents.grantBySig(terms.as_abi_tuple(), 0, now + 3_600, signature))
    send_all(network.w3, network.bureau, binds + grants)


def issue_policies(database_url: str, pseudonyms: list[bytes]) -> None:
    """The insurer's policy of the product for every patient (the database migrated first)."""
    insurer_migrate.upgrade(database_url)
    engine = make_engine(database_url)
    now = datetime.now(UTC)
    with make_session_factory(engine)() as session:
        for index, pseudonym in enumerate(pseudonyms):
            issue_policy(
                session,
                default_rules(),
                policy_number=f"P-BENCH-{index:06d}",
                pseudonym=pseudonym,
                product=PRODUCT,
                valid_from=now - timedelta(days=1),
                valid_to=now + timedelta(days=365),
            )
    engine.dispose()


async def confirm_all(url: str, id_numbers: list[str]) -> list[str]:
    """The hospital's confirmation of one discharge per patient, 8 at a time; settlement ids."""
    now = datetime.now(timezone(timedelta(hours=8))).replace(microsecond=0)
    bill = hospital_bill() | {"settlement_time": now.isoformat()}
    limit = asyncio.Semaphore(8)
    headers = {"Authorization": f"Bearer {HOSPITAL_TOKEN}"}
    async with httpx.AsyncClient(base_url=url, timeout=30, headers=headers) as client:

        async def confirm(index: int, number: str) -> str:
            body = {"id_number": number, "bill": {**bill, "setl_id": f"BENCH-{index:06d}"}}
            async with limit:
                answer = await client.post(
                    "/v1/settlements", json=body, headers={"Idempotency-Key": f"confirm-{index}"}
                )
            if answer.status_code != 201:
                raise RuntimeError(f"confirm {index} refused: {answer.text}")
            return str(answer.json()["settlement_id"])

        return list(await asyncio.gather(*(confirm(i, n) for i, n in enumerate(id_numbers))))


def wait_cleared(bureau_database: Engine, count: int) -> None:
    """Until ``count`` settlements sit in final batches on chain."""
    query = (
        select(func.count())
        .select_from(SettlementRow)
        .join(Batch, Batch.id == SettlementRow.batch_id)
        .where(Batch.status == "final")
    )
    deadline = time.monotonic() + 300
    while time.monotonic() < deadline:
        with bureau_database.connect() as connection:
            if connection.scalar(query) == count:
                return
        time.sleep(0.2)
    raise RuntimeError("the bureau's publisher did not clear the settlements within 300 s")


def paid_at(insurer_database: Engine, claim_ids: Sequence[str]) -> dict[str, float]:
    """The ledger's payout instant (Unix seconds) of each of ``claim_ids`` paid so far."""
    query = (
        select(ClaimRow.claim_id, PayoutRow.created_at)
        .join(PayoutRow, PayoutRow.claim_id == ClaimRow.id)
        .where(ClaimRow.claim_id.in_(claim_ids), PayoutRow.kind == "payout")
    )
    with insurer_database.connect() as connection:
        rows = connection.execute(query).all()
    return {claim: created.replace(tzinfo=UTC).timestamp() for claim, created in rows}


def wait_paid(insurer_database: Engine, claim_ids: Sequence[str], poll: float) -> dict[str, float]:
    """Until every claim of ``claim_ids`` is paid: their payout instants."""
    deadline = time.monotonic() + 600
    while len(paid := paid_at(insurer_database, claim_ids)) < len(claim_ids):
        if time.monotonic() > deadline:
            raise RuntimeError(f"{len(claim_ids) - len(paid)} claims not paid within 600 s")
        time.sleep(poll)
    return paid


def transactions_of(insurer_database: Engine, claim_ids: Sequence[str]) -> int:
    """How many distinct transactions paid the claims of ``claim_ids`` (at least 1)."""
    with insurer_database.connect() as connection:
        transactions = connection.scalar(
            select(func.count(PayoutRow.tx_hash.distinct()))
            .join(ClaimRow, ClaimRow.id == PayoutRow.claim_id)
            .where(ClaimRow.claim_id.in_(claim_ids))
        )
    return max(1, int(transactions or 0))


@dataclass
class ClaimsNetwork:
    """The set-up: anvil, the bureau node serving, the insurer's settings, cleared claims."""

    w3: Web3
    workdir: Path
    insurer: dict[str, str]
    """The insurer node's settings, as the values of its ``TRUSTSHARE_INSURER_*`` variables."""
    insurer_database: Engine
    settlements: list[str]
    pids: dict[str, int]


@contextmanager
def claims_network(patients: int) -> Iterator[ClaimsNetwork]:
    """Everything above ready, the bureau node serving; one confirmed, cleared claim each."""
    with tempfile.TemporaryDirectory(prefix="bench-claims-") as work, dev_network() as network:
        workdir = Path(work)
        insurer = network.insurers[0]
        bureau_port = free_port()
        network.registries(network.operator).participants.update_endpoint(
            network.bureau.address, f"http://127.0.0.1:{bureau_port}"
        )
        numbers = [id_number(index) for index in range(patients)]
        pseudonyms = [pseudonym_of(number, network.bureau_pseudonym_key) for number in numbers]
        consent_to_claims(network, insurer.account.address, pseudonyms)
        insurer_settings = insurer_values(network, insurer, workdir)
        insurer_settings["OPERATOR_TOKEN"] = CLAIMS_TOKEN
        issue_policies(insurer_settings["DATABASE_URL"], pseudonyms)
        bureau_settings = bureau_values(network, workdir) | {
            "HOSPITAL_TOKENS": json.dumps({"Bench Hospital": HOSPITAL_TOKEN}),
            "BATCH_MAX_WAIT_MS": "200",
        }
        bureau_database = make_engine(bureau_settings["DATABASE_URL"])
        insurer_database = make_engine(insurer_settings["DATABASE_URL"])
        try:
            with served("bureau", bureau_settings, workdir, bureau_port) as bureau:
                settlements = asyncio.run(confirm_all(bureau.url, numbers))
                wait_cleared(bureau_database, len(settlements))
                pids = {"anvil": network.chain.process.pid, "bureau": bureau.process.pid}
                yield ClaimsNetwork(
                    network.w3, workdir, insurer_settings, insurer_database, settlements, pids
                )
        finally:
            bureau_database.dispose()
            insurer_database.dispose()
