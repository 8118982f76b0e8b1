"""Bulk ingestion of settlement records settled by the national platform (docs/INGESTION.md).

Records arrive as JSON lines, one settlement per line. Each line is validated, its ID number
turned into the keyed pseudonym (and dropped), its fields split into disclosure groups and
committed, and the record stored pending clearing (``batch_id`` NULL): the publisher then
commits it in a SETTLEMENT batch. Lines are processed in chunks, one database transaction and
one bulk insert per chunk, so memory stays flat whatever the input's size.

A ``setl_id`` is stored once. A line whose ``setl_id`` is already stored with the same content
counts as already stored (re-sending a file changes nothing); with different content it is
rejected. Rejected lines are counted, and the first few reported with line number and reason.
"""

from __future__ import annotations

import json
import multiprocessing
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Final, NamedTuple

from pydantic import ValidationError
from sqlalchemy import insert, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from trustshare.bureau.national_record import (
    NATIONAL_PLATFORM_RULES_DIGEST,
    NationalSettlementLine,
    first_problem,
)
from trustshare.crypto.commitment import commit_record
from trustshare.crypto.errors import CanonicalJsonError, InvalidIdNumberError
from trustshare.crypto.leaves import local_id_of_reference, settlement_id
from trustshare.crypto.pseudonym import PseudonymKey, pseudonym_of
from trustshare.storage.models import SettlementRow, utc_now

DEFAULT_SOURCE: Final = "national-platform"
DEFAULT_CHUNK_LINES: Final = 1_000
MAX_CHUNK_LINES: Final = 10_000
MAX_LINE_BYTES: Final = 1 << 20
MAX_REPORTED_REJECTS: Final = 100


@dataclass(frozen=True)
class LineReject:
    """A refused line: its number (1-based), the offending field (if one) and why."""

    line: int
    field: str | None
    reason: str

    def to_json_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return {"line": self.line, "field": self.field, "reason": self.reason}


@dataclass
class IngestReport:
    """Running totals of one ingestion; only the first rejects are kept, with their lines."""

    lines: int = 0
    accepted: int = 0
    already_stored: int = 0
    rejected: int = 0
    rejects: list[LineReject] = field(default_factory=list)

    def reject(self, line: int, field_name: str | None, reason: str) -> None:
        """Count a refused line, keeping its details if fewer than the limit are kept."""
        self.rejected += 1
        if len(self.rejects) < MAX_REPORTED_REJECTS:
            self.rejects.append(LineReject(line, field_name, reason))

    def to_json_dict(self) -> dict[str, Any]:
        """JSON-ready form (the API's answer and the CLI's summary)."""
        return {
            "lines": self.lines,
            "accepted": self.accepted,
            "already_stored": self.already_stored,
            "rejected": self.rejected,
            "rejects": [reject.to_json_dict() for reject in self.rejects],
            "rejects_truncated": self.rejected > len(self.rejects),
        }


_Identity = tuple[str, bytes, int]


class _Prepared(NamedTuple):
    line: int
    setl_id: str
    mdtrt_id: str
    pseudonym: bytes
    record_json: str
    salts: bytes
    record_commitment: bytes
    claim_ceiling_fen: int

    @property
    def identity(self) -> _Identity:
        """What makes two lines with one ``setl_id`` the same record (salts aside)."""
        return (self.record_json, self.pseudonym, self.claim_ceiling_fen)


_Outcome = tuple[list[_Prepared], list[LineReject]]


def prepare_lines(first_line: int, lines: Sequence[bytes | None], key: PseudonymKey) -> _Outcome:
    """Validate, pseudonymise and commit lines numbered from ``first_line``; no database."""
    prepared: list[_Prepared] = []
    rejects: list[LineReject] = []
    for number, raw in enumerate(lines, start=first_line):
        outcome = _prepare_line(number, raw, key)
        if isinstance(outcome, LineReject):
            rejects.append(outcome)
        elif outcome is not None:
            prepared.append(outcome)
    return prepared, rejects


def _prepare_line(
    number: int, raw: bytes | None, key: PseudonymKey
) -> _Prepared | LineReject | None:
    if raw is None:
        return LineReject(number, None, f"line is longer than {MAX_LINE_BYTES} bytes")
    if number == 1:
        raw = raw.removeprefix(b"\xef\xbb\xbf")
    if not raw.strip():
        return None
    try:
        record = NationalSettlementLine.model_validate_json(raw)
    except ValidationError as error:
        return LineReject(number, *first_problem(error))
    problem = record.inconsistency()
    if problem is not None:
        return LineReject(number, *problem)
    try:
        pseudonym = pseudonym_of(record.id_number, key)
    except InvalidIdNumberError as error:
        return LineReject(number, "id_number", str(error))
    groups = record.disclosure_groups()
    try:
        committed = commit_record(groups)
    except CanonicalJsonError as error:
        return LineReject(number, None, str(error))
    ceiling = record.claim_ceiling_fen
    return _Prepared(
        number,
        record.setl_id,
        record.mdtrt_id,
        pseudonym,
        # The same bytes as canonical_json(groups), which commit_record has just checked.
        json.dumps(groups, sort_keys=True, separators=(",", ":"), ensure_ascii=False),
        b"".join(committed.salts.values()),
        committed.commitment,
        record.psn_part_amt if ceiling is None else ceiling,
    )


# A worker process's key: inherited through fork, never pickled (PseudonymKey refuses that).
_worker_key: PseudonymKey | None = None


def _start_worker(key: PseudonymKey) -> None:
    global _worker_key  # one key per worker process, set once at its start
    _worker_key = key


def _prepare_in_worker(first_line: int, lines: list[bytes | None]) -> _Outcome:
    assert _worker_key is not None, "worker started without the pseudonym key"
    return prepare_lines(first_line, lines, _worker_key)


def _chunks(lines: Iterable[bytes | None], size: int) -> Iterator[list[bytes | None]]:
    chunk: list[bytes | None] = []
    for line in lines:
        chunk.append(line)
        if len(chunk) >= size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


class SettlementIngestor:
    """Ingests chunks of lines into one database; keeps a running :class:`IngestReport`."""

    def __init__(
        self,
        sessions: sessionmaker[Session],
        *,
        bureau: str,
        pseudonym_key: PseudonymKey,
        source: str = DEFAULT_SOURCE,
    ) -> None:
        """Ingest for ``bureau`` (its settlement ids) with its pseudonym key."""
        self._sessions = sessions
        # settlement_id(bureau, n) is the bureau's 20-byte address then n in 12 bytes.
        self._id_prefix = settlement_id(bureau, 0)[:20]
        self._key = pseudonym_key
        self._source = source
        self.report = IngestReport()

    def ingest(
        self,
        lines: Iterable[bytes | None],
        *,
        chunk_lines: int = DEFAULT_CHUNK_LINES,
        workers: int = 0,
        on_chunk: Callable[[IngestReport], None] | None = None,
    ) -> IngestReport:
        """Ingest every line (None: a line over the size limit), ``chunk_lines`` at a time.

        With ``workers`` > 0, that many forked processes validate and commit chunks while this
        one stores them in order; at most ``workers + 1`` chunks are read ahead.
        """
        if workers > 0:
            self._ingest_in_parallel(lines, chunk_lines, workers, on_chunk)
            return self.report
        for chunk in _chunks(lines, chunk_lines):
            self.ingest_chunk(chunk)
            if on_chunk is not None:
                on_chunk(self.report)
        return self.report

    def ingest_chunk(self, lines: Sequence[bytes | None]) -> None:
        """Validate, commit and store the next lines of the input in one transaction."""
        self._take(prepare_lines(self._reserve(len(lines)), lines, self._key))

    def _ingest_in_parallel(
        self,
        lines: Iterable[bytes | None],
        chunk_lines: int,
        workers: int,
        on_chunk: Callable[[IngestReport], None] | None,
    ) -> None:
        pool = ProcessPoolExecutor(
            workers,
            mp_context=multiprocessing.get_context("fork"),
            initializer=_start_worker,
            initargs=(self._key,),
        )
        in_flight: deque[Future[_Outcome]] = deque()
        with pool:
            for chunk in _chunks(lines, chunk_lines):
                first_line = self._reserve(len(chunk))
                in_flight.append(pool.submit(_prepare_in_worker, first_line, chunk))
                while len(in_flight) > workers or (in_flight and in_flight[0].done()):
                    self._take(in_flight.popleft().result())
                    if on_chunk is not None:
                        on_chunk(self.report)
            while in_flight:
                self._take(in_flight.popleft().result())
                if on_chunk is not None:
                    on_chunk(self.report)

    def _reserve(self, count: int) -> int:
        first_line = self.report.lines + 1
        self.report.lines += count
        return first_line

    def _take(self, outcome: _Outcome) -> None:
        """Store a prepared chunk, then count it: rejects in line order, duplicates once."""
        prepared, rejects = outcome
        unique: dict[str, _Prepared] = {}
        repeats: list[tuple[_Prepared, _Identity]] = []
        for item in prepared:
            earlier = unique.get(item.setl_id)
            if earlier is None:
                unique[item.setl_id] = item
            else:
                repeats.append((item, earlier.identity))
        for attempt in (1, 2):
            try:
                accepted, stored = self._store(list(unique.values()))
                break
            except IntegrityError:
                # Another writer stored some of these setl_ids meanwhile: look again, once.
                if attempt == 2:
                    raise
        repeats += [
            (item, stored[item.setl_id]) for item in unique.values() if item.setl_id in stored
        ]
        self.report.accepted += accepted
        for item, identity in repeats:
            if item.identity == identity:
                self.report.already_stored += 1
            else:
                reason = "this setl_id is already stored with different content"
                rejects.append(LineReject(item.line, "setl_id", reason))
        for reject in sorted(rejects, key=lambda reject: reject.line):
            self.report.reject(reject.line, reject.field, reject.reason)

    def _store(self, items: list[_Prepared]) -> tuple[int, dict[str, _Identity]]:
        """Insert the items not stored yet; the count inserted and what was there already."""
        with self._sessions() as session, session.begin():
            found = session.execute(
                select(
                    SettlementRow.setl_id,
                    SettlementRow.record_json,
                    SettlementRow.pseudonym,
                    SettlementRow.claim_ceiling_fen,
                ).where(SettlementRow.setl_id.in_([item.setl_id for item in items]))
            )
            stored = {
                setl_id: (text, bytes(person), ceiling) for setl_id, text, person, ceiling in found
            }
            now = utc_now()
            rows = [self._row(item, now) for item in items if item.setl_id not in stored]
            if rows:
                session.execute(insert(SettlementRow), rows)
        return len(rows), stored

    def _row(self, item: _Prepared, now: datetime) -> dict[str, Any]:
        local_id = local_id_of_reference(item.setl_id)
        return {
            "settlement_id": self._id_prefix + local_id.to_bytes(12, "big"),
            "setl_id": item.setl_id,
            "mdtrt_id": item.mdtrt_id,
            "pseudonym": item.pseudonym,
            "source": self._source,
            "status": "confirmed",
            "record_json": item.record_json,
            "salts": item.salts,
            "record_commitment": item.record_commitment,
            "claim_ceiling_fen": item.claim_ceiling_fen,
            "rules_digest": NATIONAL_PLATFORM_RULES_DIGEST,
            "batch_id": None,
            "created_at": now,
        }


class LineSplitter:
    """Cuts a byte stream into lines; a line over ``max_line_bytes`` comes out as None."""

    def __init__(self, max_line_bytes: int = MAX_LINE_BYTES) -> None:
        """Split with the given line size limit."""
        self._max = max_line_bytes
        self._partial = bytearray()
        self._oversized = False

    def feed(self, block: bytes) -> list[bytes | None]:
        """The lines completed by ``block``."""
        out: list[bytes | None] = []
        start = 0
        while True:
            end = block.find(b"\n", start)
            if end < 0:
                break
            out.append(self._complete(block[start:end]))
            start = end + 1
        self._extend(block[start:])
        return out

    def finish(self) -> list[bytes | None]:
        """The last line, if the stream did not end with a newline."""
        if self._partial or self._oversized:
            return [self._complete(b"")]
        return []

    def _extend(self, piece: bytes) -> None:
        if self._oversized:
            return
        self._partial += piece
        if len(self._partial) > self._max:
            self._partial.clear()
            self._oversized = True

    def _complete(self, tail: bytes) -> bytes | None:
        self._extend(tail)
        line = None if self._oversized else bytes(self._partial).removesuffix(b"\r")
        self._partial.clear()
        self._oversized = False
        return line


def lines_of(
    blocks: Iterable[bytes], max_line_bytes: int = MAX_LINE_BYTES
) -> Iterable[bytes | None]:
    """The lines of a stream of byte blocks (a file read in blocks, say), lazily."""
    splitter = LineSplitter(max_line_bytes)
    for block in blocks:
        yield from splitter.feed(block)
    yield from splitter.finish()
