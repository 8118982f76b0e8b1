"""The ingestion service on a real database (no chain): lines → committed, pending records."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from trustshare.bureau.ingestion import (
    MAX_REPORTED_REJECTS,
    NATIONAL_PLATFORM_RULES_DIGEST,
    IngestReport,
    SettlementIngestor,
    lines_of,
)
from trustshare.crypto.commitment import commit_record
from trustshare.crypto.leaves import local_id_of_reference, settlement_id
from trustshare.crypto.pseudonym import PseudonymKey, pseudonym_of
from trustshare.crypto.vocabulary import GROUP_NAMES
from trustshare.storage.database import make_engine, make_session_factory
from trustshare.storage.migrate import upgrade
from trustshare.storage.models import SettlementRow

from .operations_support import ID_NUMBER, OTHER_ID_NUMBER, REPO, make_bulk_file

BUREAU = "0x70997970C51812dc3A010C7d01b50e0d17dc79C8"
KEY = PseudonymKey(bytes.fromhex("5e" * 32))

AMOUNTS: dict[str, Any] = {
    "medfee_sumamt": 1_000_000,
    "fulamt_ownpay_amt": 50_000,
    "overlmt_selfpay": 0,
    "preselfpay_amt": 20_000,
    "inscp_scp_amt": 930_000,
    "act_pay_dedc": 130_000,
    "hifp_pay": 600_000,
    "pool_prop_selfpay": "0.75",
    "cvlserv_pay": 0,
    "hifes_pay": 0,
    "hifmi_pay": 100_000,
    "hifob_pay": 0,
    "maf_pay": 0,
    "hosp_part_amt": 0,
    "oth_pay": 0,
    "fund_pay_sumamt": 700_000,
    "psn_part_amt": 300_000,
    "acct_pay": 100_000,
    "psn_cash_pay": 200_000,
}


def national_line(setl_id: str, **changes: Any) -> dict[str, Any]:
    line = {
        "setl_id": setl_id,
        "mdtrt_id": "M-" + setl_id,
        "id_number": ID_NUMBER,
        "setl_time": "2025-06-18T10:42:00+08:00",
        "region": "beijing",
        "insutype": "employee",
        "med_type": "inpatient",
        **AMOUNTS,
        **changes,
    }
    return {name: value for name, value in line.items() if value is not None}


def encode(*lines: dict[str, Any] | str) -> list[bytes]:
    return [(line if isinstance(line, str) else json.dumps(line)).encode() for line in lines]


@pytest.fixture
def sessions(database_url: str) -> Iterator[sessionmaker[Session]]:
    upgrade(database_url)
    engine = make_engine(database_url)
    yield make_session_factory(engine)
    engine.dispose()


def ingestor(sessions: sessionmaker[Session]) -> SettlementIngestor:
    return SettlementIngestor(sessions, bureau=BUREAU, pseudonym_key=KEY)


def stored(sessions: sessionmaker[Session]) -> list[SettlementRow]:
    with sessions() as session:
        return list(session.scalars(select(SettlementRow).order_by(SettlementRow.id)))


def test_a_line_is_stored_pending_with_groups_commitment_ceiling_and_no_id_number(
    sessions: sessionmaker[Session],
) -> None:
    line = national_line(
        "S-1",
        dise_codg="C34.9",
        dise_name="支气管或肺恶性肿瘤",
        line_items=[{"code": "A1", "item_class": "A", "quantity": 2, "unit_price_fen": 500_000}],
    )
    report = ingestor(sessions).ingest(encode(line))
    assert (report.accepted, report.rejected) == (1, 0)

    [row] = stored(sessions)
    assert row.settlement_id == settlement_id(BUREAU, local_id_of_reference("S-1"))
    assert (row.setl_id, row.mdtrt_id, row.batch_id) == ("S-1", "M-S-1", None)
    assert row.pseudonym == pseudonym_of(ID_NUMBER, KEY)
    assert row.claim_ceiling_fen == 300_000  # psn_part_amt when no ceiling is given
    assert row.rules_digest == NATIONAL_PLATFORM_RULES_DIGEST
    assert row.source == "national-platform"
    assert ID_NUMBER not in row.record_json

    groups = json.loads(row.record_json)
    assert set(groups) == {"settlement_summary", "fund_breakdown", "line_items", "diagnosis"}
    assert groups["settlement_summary"]["psn_part_amt"] == 300_000
    assert groups["fund_breakdown"]["hifmi_pay"] == 100_000
    assert groups["diagnosis"] == {"dise_codg": "C34.9", "dise_name": "支气管或肺恶性肿瘤"}
    in_salt_order = [name for name in GROUP_NAMES if name in groups]
    salts = {name: row.salts[32 * i : 32 * i + 32] for i, name in enumerate(in_salt_order)}
    assert commit_record(groups, salts=salts).commitment == row.record_commitment


def test_a_given_claim_ceiling_is_kept_and_one_above_the_person_share_refused(
    sessions: sessionmaker[Session],
) -> None:
    report = ingestor(sessions).ingest(
        encode(
            national_line("S-1", claim_ceiling_fen=250_000),
            national_line("S-2", claim_ceiling_fen=300_001),
        )
    )
    assert (report.accepted, report.rejected) == (1, 1)
    assert report.rejects[0].field == "claim_ceiling_fen" and report.rejects[0].line == 2
    assert [row.claim_ceiling_fen for row in stored(sessions)] == [250_000]


def test_rejects_name_line_field_and_reason_and_good_lines_around_them_are_stored(
    sessions: sessionmaker[Session],
) -> None:
    lines = encode(
        national_line("S-1"),
        "{not json",
        national_line("S-3", id_number=ID_NUMBER[:-1] + "Y"),
        national_line("S-4", setl_time=None),
        national_line("S-5", psn_name="张三"),
        national_line("S-6", acct_pay=1),
        national_line("S-7", hifp_pay=1.5),
        "",
        national_line("S-1", id_number=OTHER_ID_NUMBER),
        national_line("S-1"),
        national_line("S-11", line_items=[{"code": "A1", "item_class": "A", "quantity": 0}]),
        national_line("S-12", id_number=OTHER_ID_NUMBER),
    )
    report = ingestor(sessions).ingest(lines)
    found = [(reject.line, reject.field) for reject in report.rejects]
    assert found == [
        (2, None),
        (3, "id_number"),
        (4, "setl_time"),
        (5, "psn_name"),
        (6, "psn_part_amt"),
        (7, "hifp_pay"),
        (9, "setl_id"),
        (11, "line_items[0].quantity"),
    ]
    reasons = {reject.line: reject.reason for reject in report.rejects}
    assert "not valid JSON" in reasons[2] and "check character" in reasons[3]
    assert "different content" in reasons[9]
    assert ID_NUMBER[:-1] not in json.dumps(report.to_json_dict())
    assert (report.lines, report.accepted, report.already_stored, report.rejected) == (12, 2, 1, 8)
    assert [row.setl_id for row in stored(sessions)] == ["S-1", "S-12"]


def test_resending_a_file_stores_nothing_twice(
    sessions: sessionmaker[Session], tmp_path: Path
) -> None:
    bulk = make_bulk_file(tmp_path / "bulk.ndjson", 250)
    first = ingestor(sessions).ingest(lines_of([bulk.read_bytes()]), chunk_lines=100)
    again = ingestor(sessions).ingest(lines_of([bulk.read_bytes()]), chunk_lines=64)
    assert (first.accepted, first.already_stored, first.rejected) == (250, 0, 0)
    assert (again.accepted, again.already_stored, again.rejected) == (0, 250, 0)
    with sessions() as session:
        assert session.scalar(select(func.count()).select_from(SettlementRow)) == 250


def test_ingestion_reads_one_chunk_ahead_at_most(sessions: sessionmaker[Session]) -> None:
    yielded = 0

    def lines() -> Iterator[bytes]:
        nonlocal yielded
        for serial in range(1, 531):
            yielded += 1
            yield json.dumps(national_line(f"S-{serial}")).encode()

    seen: list[tuple[int, int, int]] = []

    def on_chunk(report: IngestReport) -> None:
        seen.append((yielded, report.lines, report.accepted))

    ingestor(sessions).ingest(lines(), chunk_lines=50, on_chunk=on_chunk)
    # Each chunk is stored before the next line is read: what is held never exceeds one chunk.
    assert seen == [(n, n, n) for n in [*range(50, 530, 50), 530]]


def test_only_the_first_rejects_are_kept_but_all_are_counted(
    sessions: sessionmaker[Session],
) -> None:
    report = ingestor(sessions).ingest(encode(*["[]"] * (MAX_REPORTED_REJECTS + 5)))
    assert report.rejected == MAX_REPORTED_REJECTS + 5
    assert len(report.rejects) == MAX_REPORTED_REJECTS
    assert report.to_json_dict()["rejects_truncated"] is True


def test_lines_are_split_across_blocks_and_an_oversized_line_is_refused_alone(
    sessions: sessionmaker[Session],
) -> None:
    good = json.dumps(national_line("S-1")).encode()
    huge = b'{"setl_id": "' + b"x" * 3_000 + b'"}'
    stream = (
        b"\xef\xbb\xbf" + good + b"\r\n" + huge + b"\n" + json.dumps(national_line("S-3")).encode()
    )
    blocks = [stream[i : i + 7] for i in range(0, len(stream), 7)]
    lines = list(lines_of(blocks, max_line_bytes=2_000))
    assert lines[1] is None and len(lines) == 3
    report = ingestor(sessions).ingest(lines)
    assert (report.accepted, report.rejected) == (2, 1)
    assert report.rejects[0].line == 2 and "longer than" in report.rejects[0].reason


def test_worker_processes_store_the_same_records_reading_a_bounded_way_ahead(
    sessions: sessionmaker[Session], tmp_path: Path
) -> None:
    bulk = make_bulk_file(tmp_path / "bulk.ndjson", 600)
    text = bulk.read_bytes().splitlines()
    text.insert(100, b'{"setl_id": "broken"}')
    text.append(text[0])  # a repeat, stored once
    read = 0

    def lines() -> Iterator[bytes]:
        nonlocal read
        for line in text:
            read += 1
            yield line

    ahead: list[int] = []

    def on_chunk(report: IngestReport) -> None:
        ahead.append(read - (report.accepted + report.already_stored + report.rejected))

    report = ingestor(sessions).ingest(lines(), chunk_lines=40, workers=2, on_chunk=on_chunk)
    assert (report.lines, report.accepted, report.already_stored) == (602, 600, 1)
    assert [(reject.line, reject.field) for reject in report.rejects] == [(101, "mdtrt_id")]
    assert max(ahead) <= 3 * 40  # never more than workers + 1 chunks held
    assert len(stored(sessions)) == 600


def test_the_national_platform_rules_digest_is_the_documented_one() -> None:
    documented = (REPO / "docs" / "INGESTION.md").read_text(encoding="utf-8")
    assert "0x" + NATIONAL_PLATFORM_RULES_DIGEST.hex() in documented
