"""The clearing publisher: batches are cut, committed, and final only after the receipt."""

from __future__ import annotations

import time
from datetime import UTC, datetime

from eth_abi.abi import encode as abi_encode
from sqlalchemy import select

from trustshare.bureau.batching import proof_for, settlement_leaf_of
from trustshare.bureau.context import BureauContext
from trustshare.bureau.outbox import enqueue
from trustshare.bureau.publisher import Publisher
from trustshare.chain.registries import BatchKind
from trustshare.crypto.hashing import keccak256
from trustshare.crypto.leaves import ACCESS_LOG_LEAF_ENCODING, ENROLLMENT_LEAF_ENCODING
from trustshare.crypto.merkle import standard_leaf_hash, verify
from trustshare.storage.database import transaction
from trustshare.storage.models import AccessLogEntry, EnrollmentRow, SettlementRow

from ..conftest import Network
from .clearing_helpers import (
    PATIENT,
    access_log_entry,
    assert_committed_exactly_once,
    batches,
    committed_events,
    enrollment_row,
    insert_settlements,
    outbox,
    pending_settlement_count,
    settlements,
)


def with_batching(context: BureauContext, *, max_leaves: int, max_wait_ms: int) -> None:
    context.settings = context.settings.model_copy(
        update={"batch_max_leaves": max_leaves, "batch_max_wait_ms": max_wait_ms}
    )


def test_pending_settlements_are_committed_and_every_proof_verifies_on_chain(
    bureau_context: BureauContext,
) -> None:
    insert_settlements(bureau_context, range(5))
    report = Publisher(bureau_context).run_once()

    assert [batch.leaf_count for batch in report.batches] == [5]
    [batch] = batches(bureau_context)
    assert batch.kind == "SETTLEMENT"
    assert batch.status == "final"
    assert batch.rules_version == bytes.fromhex(bureau_context.rules.digest)
    receipt = bureau_context.w3.eth.get_transaction_receipt(batch.tx_hash)  # type: ignore[arg-type]
    assert receipt["status"] == 1 and receipt["blockNumber"] == batch.block_number
    [entry] = outbox(bureau_context)
    assert (entry.kind, entry.status, entry.tx_hash) == ("commit_batch", "done", batch.tx_hash)
    assert entry.gas_used == receipt["gasUsed"] and entry.nonce is not None

    attestations = bureau_context.registries.attestations
    on_chain = attestations.batch_of(batch.root)
    assert (on_chain.kind, on_chain.leaf_count) == (BatchKind.SETTLEMENT, 5)
    rows = settlements(bureau_context)
    assert [row.leaf_index for row in rows] == [0, 1, 2, 3, 4]
    for row in rows:
        with transaction(bureau_context.sessions) as session:
            root, proof = proof_for(session, batch.id, row.leaf_index or 0)
        assert root == batch.root
        assert attestations.verify_settlement(root, settlement_leaf_of(row), proof)
    [event] = committed_events(bureau_context.w3, bureau_context.registries)
    assert event["rulesVersion"] == batch.rules_version


def test_a_proof_for_one_leaf_does_not_verify_another(bureau_context: BureauContext) -> None:
    insert_settlements(bureau_context, range(3))
    Publisher(bureau_context).run_once()
    first, second, _ = settlements(bureau_context)
    with transaction(bureau_context.sessions) as session:
        root, proof = proof_for(session, first.batch_id or 0, first.leaf_index or 0)
    attestations = bureau_context.registries.attestations
    assert attestations.verify_settlement(root, settlement_leaf_of(first), proof)
    assert not attestations.verify_settlement(root, settlement_leaf_of(second), proof)


def test_batches_hold_at_most_max_leaves_and_the_rest_waits_its_turn(
    bureau_context: BureauContext,
) -> None:
    with_batching(bureau_context, max_leaves=3, max_wait_ms=60_000)
    insert_settlements(bureau_context, range(7))
    publisher = Publisher(bureau_context)

    report = publisher.run_once()
    assert [batch.leaf_count for batch in report.batches] == [3, 3]
    assert pending_settlement_count(bureau_context) == 1
    assert publisher.run_once().batches == []  # one leaf, not old enough yet

    bureau_context.clock = lambda: time.time() + 61
    assert [batch.leaf_count for batch in publisher.run_once().batches] == [1]
    rows = settlements(bureau_context)
    assert [(row.batch_id, row.leaf_index) for row in rows] == [
        (1, 0), (1, 1), (1, 2), (2, 0), (2, 1), (2, 2), (3, 0)
    ]  # fmt: skip
    assert_committed_exactly_once(bureau_context)


def test_a_partial_batch_is_cut_once_its_oldest_row_has_waited(
    bureau_context: BureauContext,
) -> None:
    with_batching(bureau_context, max_leaves=100, max_wait_ms=5_000)
    insert_settlements(bureau_context, range(2))
    with transaction(bureau_context.sessions) as session:
        oldest = session.scalars(select(SettlementRow.created_at)).first()
    assert oldest is not None
    arrived = (oldest if oldest.tzinfo else oldest.replace(tzinfo=UTC)).timestamp()
    publisher = Publisher(bureau_context)

    bureau_context.clock = lambda: arrived + 4.9
    assert publisher.run_once().batches == []
    assert batches(bureau_context) == []
    bureau_context.clock = lambda: arrived + 5.0
    assert [batch.leaf_count for batch in publisher.run_once().batches] == [2]


def test_a_settlement_batch_holds_one_rules_version(bureau_context: BureauContext) -> None:
    older = keccak256(b"rules of last year")
    insert_settlements(bureau_context, range(2), rules_digest=older)
    insert_settlements(bureau_context, range(2, 5))
    insert_settlements(bureau_context, range(5, 6), rules_digest=older)
    Publisher(bureau_context).run_once()

    by_version = {bytes(b.rules_version): b.leaf_count for b in batches(bureau_context)}
    assert by_version == {older: 3, bytes.fromhex(bureau_context.rules.digest): 3}
    events = committed_events(bureau_context.w3, bureau_context.registries)
    assert {bytes(e["rulesVersion"]): e["leafCount"] for e in events} == by_version


def test_enrollment_and_access_log_batches_commit_and_prove_their_leaves(
    bureau_context: BureauContext, network: Network
) -> None:
    with transaction(bureau_context.sessions) as session:
        session.add_all(enrollment_row(n) for n in range(3))
        session.add(access_log_entry(network.insurer.address, 1, pseudonym=PATIENT))
        session.add(access_log_entry(network.insurer.address, 2, pseudonym=None))
    report = Publisher(bureau_context).run_once()
    assert sorted((b.kind, b.leaf_count) for b in report.batches) == [
        ("ACCESS_LOG", 2),
        ("ENROLLMENT", 3),
    ]
    attestations = bureau_context.registries.attestations
    with transaction(bureau_context.sessions) as session:
        enrollments = list(session.scalars(select(EnrollmentRow)))
        log_entries = list(session.scalars(select(AccessLogEntry)))
        leaves = [
            (
                row,
                ENROLLMENT_LEAF_ENCODING,
                (row.enrollment_id, row.pseudonym, row.record_commitment),
            )
            for row in enrollments
        ] + [
            (row, ACCESS_LOG_LEAF_ENCODING, (row.id, row.pseudonym or bytes(32), row.entry_hash))
            for row in log_entries
        ]
        for row, encoding, values in leaves:
            root, proof = proof_for(session, row.batch_id or 0, row.leaf_index or 0)
            assert verify(root, standard_leaf_hash(encoding, values), proof)
            assert attestations.verify(root, abi_encode(list(encoding), list(values)), proof)
    kinds = {attestations.batch_of(b.root).kind for b in batches(bureau_context)}
    assert kinds == {BatchKind.ENROLLMENT, BatchKind.ACCESS_LOG}
    assert all(b.rules_version == bytes(32) for b in batches(bureau_context))


def test_the_background_publisher_commits_what_arrives_and_stops(
    bureau_context: BureauContext,
) -> None:
    publisher = Publisher(bureau_context)
    publisher.start()
    try:
        insert_settlements(bureau_context, range(4))
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and not any(
            b.status == "final" for b in batches(bureau_context)
        ):
            time.sleep(0.05)
    finally:
        publisher.stop()
    assert_committed_exactly_once(bureau_context)
    insert_settlements(bureau_context, range(4, 6))
    time.sleep(3 * bureau_context.settings.publisher_poll_ms / 1000)
    assert pending_settlement_count(bureau_context) == 2  # stopped: nothing cut any more


def test_a_commit_is_recorded_final_only_with_its_block(bureau_context: BureauContext) -> None:
    insert_settlements(bureau_context, range(2))
    Publisher(bureau_context).run_once()
    [batch] = batches(bureau_context)
    block = bureau_context.w3.eth.get_block(batch.block_number or 0)
    assert batch.committed_at is not None
    committed_at = batch.committed_at
    if committed_at.tzinfo is None:
        committed_at = committed_at.replace(tzinfo=UTC)
    assert committed_at == datetime.fromtimestamp(block["timestamp"], UTC)


def test_entries_are_sent_in_id_order_with_consecutive_nonces(
    bureau_context: BureauContext, network: Network
) -> None:
    with transaction(bureau_context.sessions) as session:
        for n in range(3):
            pseudonym = keccak256(b"person-%d" % n)
            enqueue(
                session,
                "bind_wallet",
                {"pseudonym": "0x" + pseudonym.hex(), "wallet": network.outsider.address},
            )
    insert_settlements(bureau_context, range(2))
    Publisher(bureau_context).run_once()
    entries = outbox(bureau_context)
    assert [e.status for e in entries] == ["done"] * 4
    nonces = [e.nonce or 0 for e in entries]
    assert nonces == list(range(nonces[0], nonces[0] + 4))
    blocks = [e.block_number or 0 for e in entries]
    assert blocks == sorted(blocks)
