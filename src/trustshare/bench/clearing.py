"""Bulk clearing, from a national-platform file to on-chain batches with proofs servable.

Method (docs/BENCHMARKS-clearing.md): generate N realistic records
(:mod:`trustshare.bench.bulk_records`, untimed), start anvil with the registries and the bureau
registered, then time, on one SQLite file:

1. ingestion exactly as ``trustshare bureau ingest FILE`` direct mode does it (validation,
   keyed pseudonyms, per-group commitments, bulk inserts, 1,000 lines per transaction);
2. clearing by the node's own publisher (:mod:`trustshare.bureau.publisher`): batches of
   ``batch_leaves`` cut, trees stored, roots committed on chain, batches final after receipt.

The clock stops when every record sits in a final batch, i.e. its proof is servable. Then a
sample of proofs is served from the database and verified by the contract (untimed). Reports
records/s end to end and per stage, gas per settlement and the processes' memory.
"""

from __future__ import annotations

import multiprocessing
import random
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from sqlalchemy import func, select

from trustshare.bench import memory
from trustshare.bench.bulk_records import records, write
from trustshare.bench.network import bureau_values, dev_network, node_environment, settings_of
from trustshare.bureau.batching import proof_for, settlement_leaf_of
from trustshare.bureau.context import BureauContext
from trustshare.bureau.ingestion import DEFAULT_CHUNK_LINES, SettlementIngestor, lines_of
from trustshare.bureau.publisher import Publisher
from trustshare.bureau.settings import BureauSettings
from trustshare.devnet import DevNetwork
from trustshare.storage.database import transaction
from trustshare.storage.migrate import upgrade
from trustshare.storage.models import Batch, OutboxEntry, SettlementRow

TARGET_PER_SECOND = 5_000
TARGET_GAS_PER_SETTLEMENT = 50
PublisherMode = Literal["alongside", "after"]


@dataclass(frozen=True)
class ClearingFigures:
    """One clearing run: rates, gas, batches and memory."""

    records: int
    rejected: int
    workers: int
    batch_leaves: int
    publisher: str
    file_mb: float
    end_to_end_per_second: float
    ingest_per_second: float
    clearing_tail_seconds: float
    seconds: float
    batches: int
    largest_batch: int
    gas_total: int
    gas_per_settlement: float
    proofs_verified_on_chain: int
    rss_start_mb: float
    rss_after_ingest_mb: float
    peak_rss_node_mb: float
    peak_pss_node_and_workers_mb: float
    database_mb: float


def write_bulk_file(path: Path, count: int, seed: int) -> None:
    """Write ``count`` generated records to ``path`` (JSON lines)."""
    with path.open("w", encoding="utf-8") as out:
        write(out, records(count, seed=seed))


def generate(path: Path, count: int, seed: int) -> None:
    """The bulk file, not timed: written by a forked process (this one's memory untouched)."""
    if "fork" not in multiprocessing.get_all_start_methods():
        write_bulk_file(path, count, seed)
        return
    writer = multiprocessing.get_context("fork").Process(
        target=write_bulk_file, args=(path, count, seed)
    )
    writer.start()
    writer.join()
    if writer.exitcode != 0:
        raise RuntimeError(f"the bulk file generator exited with {writer.exitcode}")


def node(
    workdir: Path, network: DevNetwork, batch_leaves: int, wait_ms: int
) -> tuple[BureauContext, dict[str, str]]:
    """The bureau's context on ``network`` (a fresh SQLite file), and its settings' values."""
    values = bureau_values(network, workdir) | {
        "BATCH_MAX_LEAVES": str(batch_leaves),
        "BATCH_MAX_WAIT_MS": str(wait_ms),
        "RUN_PUBLISHER": "false",
    }
    settings = BureauSettings.model_validate(settings_of(values))
    upgrade(settings.database_url)
    return BureauContext.from_settings(settings), values


def ingest(context: BureauContext, path: Path, workers: int) -> tuple[int, int]:
    """Ingest the file as the CLI's direct mode does; records accepted and rejected."""
    ingestor = SettlementIngestor(
        context.sessions, bureau=context.address, pseudonym_key=context.pseudonym_key
    )
    with path.open("rb") as stream:
        blocks = iter(lambda: stream.read(1 << 16), b"")
        report = ingestor.ingest(lines_of(blocks), chunk_lines=DEFAULT_CHUNK_LINES, workers=workers)
    figures = report.to_json_dict()
    return int(figures["accepted"]), int(figures["rejected"])


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


def start_publisher(values: dict[str, str]) -> subprocess.Popen[bytes]:
    """The node's publisher (settings ``values``) in a process of its own, as a node has it."""
    environment = node_environment("bureau", values)
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
            if row is None or row.batch_id is None or row.leaf_index is None:
                raise RuntimeError(f"settlement row {row_id} is not in a batch")
            root, proof = proof_for(session, row.batch_id, row.leaf_index)
            leaf = settlement_leaf_of(row)
            if not context.registries.attestations.verify_settlement(root, leaf, proof):
                raise RuntimeError(f"the proof of settlement row {row_id} does not verify")
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


def measure_clearing(
    count: int = 200_000,
    *,
    workers: int,
    batch_leaves: int = 10_000,
    seed: int = 7,
    publisher_mode: PublisherMode = "alongside",
    batch_wait_ms: int = 2_000,
    samples: int = 50,
    bulk_file: Path | None = None,
) -> ClearingFigures:
    """Generate ``count`` records (or read ``bulk_file``), ingest and clear them; the figures.

    ``workers`` forked processes do the per-line work of ingestion (0: all in this process);
    ``trustshare bureau ingest`` uses one per core.
    """
    with tempfile.TemporaryDirectory(prefix="bench-clearing-") as tmp:
        workdir = Path(tmp)
        bulk = bulk_file or workdir / "bulk.ndjson"
        if bulk_file is None:
            generate(bulk, count, seed)
        alongside = publisher_mode == "alongside"
        with dev_network() as network:
            wait_ms = batch_wait_ms if alongside else 0
            context, values = node(workdir, network, batch_leaves, wait_ms)
            rss_before = memory.rss_mb()
            publisher = start_publisher(values) if alongside else None
            try:
                with memory.ResidentSampler(excluded=network.chain.process.pid) as sampler:
                    started = time.perf_counter()
                    accepted, rejected = ingest(context, bulk, workers)
                    ingest_done = time.perf_counter()
                    rss_after_ingest = memory.rss_mb()
                    if publisher is None:
                        clear_after(context)
                    else:
                        wait_cleared(context, publisher)
                    finished = time.perf_counter()
            finally:
                if publisher is not None:
                    publisher.terminate()
                    publisher.wait(30)
            verified = verify_sample(context, samples, seed)
            gas, batches, largest = gas_and_batches(context)
            context.engine.dispose()
        database_mb = (workdir / "bureau.db").stat().st_size / 2**20
        file_mb = bulk.stat().st_size / 2**20
    if not accepted:
        raise RuntimeError("no record of the bulk file was accepted")
    total = finished - started
    return ClearingFigures(
        records=accepted,
        rejected=rejected,
        workers=workers,
        batch_leaves=batch_leaves,
        publisher=publisher_mode,
        file_mb=round(file_mb, 1),
        end_to_end_per_second=accepted / total,
        ingest_per_second=accepted / (ingest_done - started),
        clearing_tail_seconds=round(finished - ingest_done, 2),
        seconds=round(total, 1),
        batches=batches,
        largest_batch=largest,
        gas_total=gas,
        gas_per_settlement=gas / accepted,
        proofs_verified_on_chain=verified,
        rss_start_mb=round(rss_before, 1),
        rss_after_ingest_mb=round(rss_after_ingest, 1),
        peak_rss_node_mb=round(memory.peak_rss_mb(), 1),
        peak_pss_node_and_workers_mb=round(sampler.peak_total_mb, 1),
        database_mb=round(database_mb, 1),
    )
