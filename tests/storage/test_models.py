"""Every model survives a write and a read in a new session: same bytes, same instants."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

from sqlalchemy.orm import Session, sessionmaker

from trustshare.storage.database import transaction
from trustshare.storage.models import (
    AccessLogEntry,
    Base,
    Batch,
    EnrollmentRow,
    IdempotencyRecord,
    OutboxEntry,
    SeenNonce,
    SettlementRow,
    WalletBinding,
)

BEIJING = timezone(timedelta(hours=8))
# 32-byte values that a text column or a trimming driver would mangle: NULs, high bytes.
HASH_A = bytes(range(32))
HASH_B = b"\x00" * 31 + b"\xff"
HASH_C = bytes(range(255, 223, -1))
PSEUDONYM = b"\xff" * 16 + b"\x00" * 16


def stored_columns(row: Base) -> dict[str, object]:
    return {column.key: getattr(row, column.key) for column in row.__table__.columns}


def reload(sessions: sessionmaker[Session], model: type[Base], key: object) -> Base:
    with transaction(sessions) as session:
        loaded = session.get(model, key)
        assert loaded is not None
        return loaded


def insert(sessions: sessionmaker[Session], *rows: Base) -> None:
    with transaction(sessions) as session:
        session.add_all(rows)


def test_batch_with_its_settlements_enrollments_and_log(sessions: sessionmaker[Session]) -> None:
    committed = datetime(2025, 3, 1, 4, 5, 6, 789000, tzinfo=UTC)
    batch = Batch(
        kind="SETTLEMENT",
        root=HASH_A,
        leaf_count=2,
        rules_version=HASH_B,
        tree=b"\x00\x01" * 4096,
        status="final",
        tx_hash="0x" + "cd" * 32,
        block_number=2**40,
        committed_at=committed,
    )
    insert(sessions, batch)
    settlement = SettlementRow(
        settlement_id=HASH_C,
        setl_id="SETL-0001",
        mdtrt_id="MDTRT-9",
        pseudonym=PSEUDONYM,
        source="hospital-a",
        supersedes=HASH_A,
        record_json='{"settlement_summary":{"总费用":"123.45"}}',
        salts=HASH_A + HASH_B,
        record_commitment=HASH_B,
        claim_ceiling_fen=9_007_199_254_740_993,  # past float precision: stays an exact integer
        result_json="{}",
        rules_digest=HASH_C,
        batch_id=batch.id,
        leaf_index=1,
    )
    enrollment = EnrollmentRow(
        enrollment_id=HASH_B,
        pseudonym=PSEUDONYM,
        record_json="{}",
        salts=HASH_C,
        record_commitment=HASH_A,
        batch_id=batch.id,
        leaf_index=0,
    )
    released = AccessLogEntry(
        insurer="0x" + "12" * 20,
        pseudonym=PSEUDONYM,
        record_type="settlement",
        record_id=HASH_C,
        purpose=1,
        scopes_requested=0b11,
        scopes_released=0b01,
        outcome="released",
        entry_hash=HASH_A,
        batch_id=batch.id,
        leaf_index=0,
    )
    insert(sessions, settlement, enrollment, released)

    for row, model in [
        (batch, Batch),
        (settlement, SettlementRow),
        (enrollment, EnrollmentRow),
        (released, AccessLogEntry),
    ]:
        assert stored_columns(reload(sessions, model, row.id)) == stored_columns(row)
    assert reload(sessions, Batch, batch.id).committed_at == committed


def test_defaults_fill_status_and_pending_clearing(sessions: sessionmaker[Session]) -> None:
    settlement = SettlementRow(
        settlement_id=HASH_A,
        setl_id="SETL-0002",
        pseudonym=PSEUDONYM,
        source="hospital-a",
        record_json="{}",
        salts=b"",
        record_commitment=HASH_B,
        claim_ceiling_fen=0,
        rules_digest=HASH_C,
    )
    insert(sessions, settlement)
    loaded = reload(sessions, SettlementRow, settlement.id)
    assert isinstance(loaded, SettlementRow)
    assert (loaded.status, loaded.batch_id, loaded.leaf_index) == ("confirmed", None, None)
    assert loaded.created_at.tzinfo is not None


def test_outbox_entry_and_the_wallet_binding_it_carries(sessions: sessionmaker[Session]) -> None:
    entry = OutboxEntry(kind="bind_wallet", payload_json='{"wallet":"0x00"}')
    insert(sessions, entry)
    assert (entry.status, entry.attempts) == ("pending", 0)
    binding = WalletBinding(pseudonym=PSEUDONYM, wallet="0x" + "ef" * 20, outbox_id=entry.id)
    insert(sessions, binding)
    with transaction(sessions) as session:
        sent = session.get_one(OutboxEntry, entry.id)
        sent.status, sent.nonce, sent.raw_tx = "sent", 7, "0x02f8"
    loaded = reload(sessions, OutboxEntry, entry.id)
    assert stored_columns(loaded) | {"updated_at": None} == stored_columns(sent) | {
        "updated_at": None
    }
    assert isinstance(loaded, OutboxEntry)
    assert loaded.updated_at >= loaded.created_at
    assert stored_columns(reload(sessions, WalletBinding, PSEUDONYM)) == stored_columns(binding)


def test_idempotency_record_and_seen_nonce(sessions: sessionmaker[Session]) -> None:
    record = IdempotencyRecord(
        client="test-hospital",
        key="k-1",
        request_hash="ab" * 32,
        status="done",
        response_status=201,
        response_body='{"ok":true}',
    )
    nonce = SeenNonce(signer="0x" + "34" * 20, nonce="n-1")
    insert(sessions, record, nonce)
    assert stored_columns(
        reload(sessions, IdempotencyRecord, ("test-hospital", "k-1"))
    ) == stored_columns(record)
    assert stored_columns(reload(sessions, SeenNonce, (nonce.signer, "n-1"))) == stored_columns(
        nonce
    )


def test_an_aware_datetime_comes_back_as_the_same_instant_in_utc(
    sessions: sessionmaker[Session],
) -> None:
    seen_at = datetime(2025, 1, 1, 8, 0, tzinfo=BEIJING)  # midnight UTC
    nonce = SeenNonce(signer="0x" + "56" * 20, nonce="n-2", seen_at=seen_at)
    insert(sessions, nonce)
    loaded = reload(sessions, SeenNonce, (nonce.signer, "n-2"))
    assert isinstance(loaded, SeenNonce)
    assert loaded.seen_at == seen_at
    assert loaded.seen_at.utcoffset() == timedelta(0)
