"""Benchmark: bulk clearing, from a national-platform file to on-chain batches with proofs.

Method (docs/BENCHMARKS-clearing.md): generate N realistic records with
``scripts/make_bulk_records.py`` (untimed), start anvil, deploy the registries and register the
bureau, then time, on one SQLite file:

1. ingestion exactly as ``trustshare bureau ingest FILE`` direct mode does it (validation,
   keyed pseudonyms, per-group commitments, bulk inserts, 1,000 lines per transaction);
2. clearing by the node's own publisher (``trustshare.bureau.publisher``): batches of
   ``--batch-leaves`` cut, trees stored, roots committed on chain, batches final after receipt.

The clock stops when every record sits in a final batch, i.e. its proof is servable. Then a
sample of proofs is served from the database and verified by the contract (untimed). Reports
records/s end to end and per stage, gas per settlement and the process's peak RSS.

    python scripts/bench_clearing.py [--records 200000] [--batch-leaves 10000] [--json]
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import random
import resource
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

from pydantic import SecretStr
from sqlalchemy import func, select
from web3 import Web3

from trustshare.bureau.batching import proof_for, settlement_leaf_of
from trustshare.bureau.context import BureauContext
from trustshare.bureau.ingestion import DEFAULT_CHUNK_LINES, SettlementIngestor, lines_of
from trustshare.bureau.publisher import Publisher
from trustshare.bureau.settings import BureauSettings
from trustshare.chain.deployment import deploy_registries
from trustshare.chain.devchain import DevChain, dev_accounts
from trustshare.chain.registries import Registries
from trustshare.chain.sender import TransactionSender
from trustshare.cli.bureau_ingest import default_workers
from trustshare.crypto.pseudonym import PseudonymKey
from trustshare.storage.database import transaction
from trustshare.storage.migrate import upgrade
from trustshare.storage.models import Batch, OutboxEntry, SettlementRow

TARGET_PER_SECOND = 5_000
TARGET_GAS_PER_SETTLEMENT = 50
HERE = Path(__file__).resolve().parent


def peak_rss_mb() -> float:
    """This process's peak resident set size so far (Linux reports KiB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def rss_mb(pid: int | str = "self") -> float:
    """A process's resident set size now (0 if it is gone)."""
    try:
        with open(f"/proc/{pid}/statm") as statm:
            return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20
    except (FileNotFoundError, ProcessLookupError):
        return 0.0


def pss_mb(pid: int | str = "self") -> float:
    """A process's proportional set size: pages shared after fork counted once overall."""
    try:
        with open(f"/proc/{pid}/smaps_rollup") as rollup:
            for line in rollup:
                if line.startswith("Pss:"):
                    return int(line.split()[1]) / 1024
    except (FileNotFoundError, ProcessLookupError):
        pass
    return 0.0


def child_pids() -> list[int]:
    """This process's children (ingest workers, anvil)."""
    pids: list[int] = []
    for task in Path("/proc/self/task").iterdir():
        with contextlib.suppress(FileNotFoundError):
            pids += [int(pid) for pid in (task / "children").read_text().split()]
    return pids


class ResidentSampler:
    """Samples the node's memory: its RSS, and the PSS of it and its workers (not anvil)."""

    def __init__(self, excluded: int, interval: float = 0.2) -> None:
        self.excluded = excluded
        self.interval = interval
        self.peak_total_mb = 0.0
        self.peak_node_mb = 0.0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self._stop.wait(self.interval):
            node = rss_mb()
            workers = sum(pss_mb(pid) for pid in child_pids() if pid != self.excluded)
            self.peak_node_mb = max(self.peak_node_mb, node)
            self.peak_total_mb = max(self.peak_total_mb, pss_mb() + workers)

    def __enter__(self) -> ResidentSampler:
        self._thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._stop.set()
        self._thread.join()


def generate(path: Path, records: int, seed: int) -> None:
    """Write the bulk file with the project's generator (not timed)."""
    subprocess.run(
        [
            sys.executable,
            str(HERE / "make_bulk_records.py"),
            str(path),
            "--records",
            str(records),
            "--seed",
            str(seed),
        ],
        check=True,
    )


def node(workdir: Path, chain: DevChain, batch_leaves: int, wait_ms: int) -> BureauContext:
    """A bureau node on a fresh network and a fresh SQLite file."""
    operator, bureau = dev_accounts(2)
    web3 = Web3(Web3.HTTPProvider(chain.rpc_url))
    deployment = deploy_registries(TransactionSender(web3, operator))
    operator_registries = Registries.connect(web3, deployment, TransactionSender(web3, operator))
    operator_registries.participants.register_bureau(bureau.address, "Bench Bureau", "http://b")
    deployment.write(workdir / "deployment.json")
    settings = BureauSettings(
        database_url=f"sqlite:///{workdir / 'bureau.db'}",
        rpc_url=chain.rpc_url,
        deployment_file=workdir / "deployment.json",
        chain_key=SecretStr(bytes(bureau.key).hex()),
        pseudonym_key=SecretStr(PseudonymKey.generate().reveal_bytes().hex()),
        batch_max_leaves=batch_leaves,
        batch_max_wait_ms=wait_ms,
        run_publisher=False,
    )
    upgrade(settings.database_url)
    return BureauContext.from_settings(settings)


def ingest(context: BureauContext, path: Path, workers: int) -> dict[str, Any]:
    """Ingest the file as the CLI's direct mode does."""
    ingestor = SettlementIngestor(
        context.sessions, bureau=context.address, pseudonym_key=context.pseudonym_key
    )
    with path.open("rb") as stream:
        blocks = iter(lambda: stream.read(1 << 16), b"")
        report = ingestor.ingest(lines_of(blocks), chunk_lines=DEFAULT_CHUNK_LINES, workers=workers)
    return report.to_json_dict()


def pending_work(context: BureauContext) -> int:
    """Records not yet in a batch plus batches not yet final."""
    with transaction(context.sessions) as session:
        pending = session.scalar(
            select(func.count()).select_from(SettlementRow).where(SettlementRow.batch_id.is_(None))
        )
        open_batches = session.scalar(
            select(func.count()).select_from(Batch).where(Batch.status != "final")
        )
    return int(pending or 0) + int(open_batches or 0)


def clear_after(context: BureauContext) -> None:
    """Publisher rounds in this process until nothing is pending (stage-by-stage mode)."""
    publisher = Publisher(context)
    while True:
        report = publisher.run_once()
        if report.interrupted or report.failed:
            raise RuntimeError(f"publisher stopped: {report.interrupted or report.failed}")
        if not pending_work(context):
            return


PUBLISHER_PROCESS = """
import signal, threading
from trustshare.bureau.context import BureauContext
from trustshare.bureau.publisher import Publisher
from trustshare.bureau.settings import BureauSettings
stop = threading.Event()
signal.signal(signal.SIGTERM, lambda *_: stop.set())
publisher = Publisher(BureauContext.from_settings(BureauSettings()))
publisher.start()
stop.wait()
publisher.stop()
"""


def start_publisher(context: BureauContext) -> subprocess.Popen[bytes]:
    """The node's publisher in a process of its own, as a running node has it."""
    settings = context.settings
    environment = {
        **os.environ,
        "TRUSTSHARE_BUREAU_DATABASE_URL": settings.database_url,
        "TRUSTSHARE_BUREAU_RPC_URL": settings.rpc_url,
        "TRUSTSHARE_BUREAU_DEPLOYMENT_FILE": str(settings.deployment_file),
        "TRUSTSHARE_BUREAU_CHAIN_KEY": settings.chain_key.get_secret_value(),
        "TRUSTSHARE_BUREAU_PSEUDONYM_KEY": settings.pseudonym_key.get_secret_value(),
        "TRUSTSHARE_BUREAU_BATCH_MAX_LEAVES": str(settings.batch_max_leaves),
        "TRUSTSHARE_BUREAU_BATCH_MAX_WAIT_MS": str(settings.batch_max_wait_ms),
    }
    return subprocess.Popen([sys.executable, "-c", PUBLISHER_PROCESS], env=environment)


def wait_cleared(context: BureauContext, publisher: subprocess.Popen[bytes]) -> None:
    """Until every record sits in a final batch."""
    while pending_work(context):
        if publisher.poll() is not None:
            raise RuntimeError(f"the publisher process exited with {publisher.returncode}")
        time.sleep(0.05)


def verify_sample(context: BureauContext, samples: int, seed: int) -> int:
    """Serve proofs for random records from the database and have the contract verify them."""
    rng = random.Random(seed)
    with transaction(context.sessions) as session:
        highest = session.scalar(select(func.max(SettlementRow.id))) or 0
        verified = 0
        for row_id in rng.sample(range(1, highest + 1), min(samples, highest)):
            row = session.get(SettlementRow, row_id)
            assert row is not None and row.batch_id is not None and row.leaf_index is not None
            root, proof = proof_for(session, row.batch_id, row.leaf_index)
            leaf = settlement_leaf_of(row)
            if not context.registries.attestations.verify_settlement(root, leaf, proof):
                raise AssertionError(f"proof of settlement row {row_id} does not verify")
            verified += 1
    return verified


def gas_and_batches(context: BureauContext) -> tuple[int, int, int]:
    """Total gas of the batch commitments, number of batches, and their largest size."""
    with transaction(context.sessions) as session:
        gas = session.scalar(
            select(func.sum(OutboxEntry.gas_used)).where(OutboxEntry.kind == "commit_batch")
        )
        count = session.scalar(select(func.count()).select_from(Batch))
        largest = session.scalar(select(func.max(Batch.leaf_count)))
    return int(gas or 0), int(count or 0), int(largest or 0)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, default=200_000, help="settlements to clear")
    parser.add_argument("--batch-leaves", type=int, default=10_000, help="leaves per batch")
    parser.add_argument("--seed", type=int, default=7, help="generator seed")
    parser.add_argument(
        "--workers", type=int, default=default_workers(), help="ingest worker processes"
    )
    parser.add_argument(
        "--publisher",
        choices=["alongside", "after"],
        default="alongside",
        help="publisher process running during ingestion, or rounds after it in this process",
    )
    parser.add_argument(
        "--batch-wait-ms", type=int, default=2_000, help="alongside: the node's batch_max_wait_ms"
    )
    parser.add_argument("--samples", type=int, default=50, help="proofs verified on chain")
    parser.add_argument("--file", type=Path, help="use this bulk file instead of generating")
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="bench-clearing-") as tmp:
        workdir = Path(tmp)
        bulk = args.file or workdir / "bulk.ndjson"
        if args.file is None:
            generate(bulk, args.records, args.seed)
        alongside = args.publisher == "alongside"
        with DevChain.start() as chain:
            context = node(
                workdir, chain, args.batch_leaves, args.batch_wait_ms if alongside else 0
            )
            rss_before = rss_mb()
            publisher = start_publisher(context) if alongside else None
            with ResidentSampler(excluded=chain.process.pid) as sampler:
                started = time.perf_counter()
                ingested = ingest(context, bulk, args.workers)
                ingest_done = time.perf_counter()
                rss_after_ingest = rss_mb()
                if publisher is None:
                    clear_after(context)
                else:
                    wait_cleared(context, publisher)
                finished = time.perf_counter()
            if publisher is not None:
                publisher.terminate()
                publisher.wait(30)
            verified = verify_sample(context, args.samples, args.seed)
            gas, batches, largest = gas_and_batches(context)
            context.engine.dispose()
        database_mb = (workdir / "bureau.db").stat().st_size / 2**20
        file_mb = bulk.stat().st_size / 2**20

    records = ingested["accepted"]
    total = finished - started
    result = {
        "records": records,
        "workers": args.workers,
        "batch_leaves": args.batch_leaves,
        "rejected": ingested["rejected"],
        "file_mb": round(file_mb, 1),
        "end_to_end_per_second": round(records / total),
        "target_per_second": TARGET_PER_SECOND,
        "ingest_per_second": round(records / (ingest_done - started)),
        "clearing_tail_seconds": round(finished - ingest_done, 2),
        "seconds": round(total, 1),
        "batches": batches,
        "largest_batch": largest,
        "publisher": args.publisher,
        "gas_total": gas,
        "gas_per_settlement": round(gas / records, 2) if records else None,
        "target_gas_per_settlement": TARGET_GAS_PER_SETTLEMENT,
        "proofs_verified_on_chain": verified,
        "rss_start_mb": round(rss_before, 1),
        "rss_after_ingest_mb": round(rss_after_ingest, 1),
        "peak_rss_node_mb": round(peak_rss_mb(), 1),
        "peak_pss_node_and_workers_mb": round(sampler.peak_total_mb, 1),
        "database_mb": round(database_mb, 1),
        "python": sys.version.split()[0],
    }
    if args.json:
        print(json.dumps(result))
    else:
        for key, value in result.items():
            print(f"{key:>28}: {value}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
