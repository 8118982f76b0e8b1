"""Realistic rows for clearing tests, and what the chain says about committed batches."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import func, select
from web3 import Web3

from trustshare.bureau.context import BureauContext
from trustshare.chain.registries import Registries
from trustshare.crypto.canonical_json import canonical_json
from trustshare.crypto.commitment import commit_record
from trustshare.crypto.hashing import keccak256
from trustshare.crypto.leaves import local_id_of_reference, settlement_id
from trustshare.crypto.vocabulary import GROUP_NAMES
from trustshare.storage.database import transaction
from trustshare.storage.models import (
    AccessLogEntry,
    Batch,
    EnrollmentRow,
    OutboxEntry,
    SettlementRow,
)

PATIENT = keccak256(b"clearing test patient: an HMAC of an ID number in production")


def settlement_row(
    bureau: str,
    number: int,
    *,
    rules_digest: bytes,
    pseudonym: bytes = PATIENT,
    total_fen: int = 1_234_500,
) -> SettlementRow:
    """A confirmed settlement as the hospital path stores it: committed groups and salts."""
    setl_id = f"SETL-TEST-{number:08d}"
    basic_fen = total_fen * 6 // 10
    ceiling_fen = total_fen - basic_fen
    committed = commit_record(
        {
            "enrollment": {"insurance_type": "310", "region": "310000"},
            "settlement_summary": {
                "setl_id": setl_id,
                "medfee_sumamt_fen": total_fen,
                "fund_pay_sumamt_fen": basic_fen,
                "psn_cash_pay_fen": ceiling_fen,
            },
            "fund_breakdown": {"basic_fund_fen": basic_fen, "critical_illness_fen": 0},
            "line_items": {"items": [{"code": "A001", "amount_fen": total_fen}]},
            "diagnosis": {"icd10": ["J18.9"]},
        }
    )
    return SettlementRow(
        settlement_id=settlement_id(bureau, local_id_of_reference(setl_id)),
        setl_id=setl_id,
        mdtrt_id=f"MDTRT-{number}",
        pseudonym=pseudonym,
        source="test-hospital",
        record_json=canonical_json(committed.fields).decode(),
        salts=b"".join(committed.salts[name] for name in GROUP_NAMES),
        record_commitment=committed.commitment,
        claim_ceiling_fen=ceiling_fen,
        rules_digest=rules_digest,
    )


def rules_digest_of(context: BureauContext) -> bytes:
    return bytes.fromhex(context.rules.digest)


def insert_settlements(
    context: BureauContext, numbers: range, *, rules_digest: bytes | None = None
) -> list[bytes]:
    """Store confirmed settlements (pending clearing); their on-chain ids."""
    digest = rules_digest if rules_digest is not None else rules_digest_of(context)
    rows = [settlement_row(context.address, n, rules_digest=digest) for n in numbers]
    with transaction(context.sessions) as session:
        session.add_all(rows)
    return [row.settlement_id for row in rows]


def enrollment_row(number: int) -> EnrollmentRow:
    committed = commit_record({"enrollment": {"insurance_type": "390", "region": "310000"}})
    return EnrollmentRow(
        enrollment_id=keccak256(b"enrollment-%d" % number),
        pseudonym=PATIENT,
        record_json=canonical_json(committed.fields).decode(),
        salts=committed.salts["enrollment"],
        record_commitment=committed.commitment,
    )


def access_log_entry(insurer: str, number: int, *, pseudonym: bytes | None) -> AccessLogEntry:
    return AccessLogEntry(
        occurred_at=datetime.now(UTC),
        insurer=insurer,
        pseudonym=pseudonym,
        record_type="settlement",
        record_id=keccak256(b"record-%d" % number),
        purpose=2,
        scopes_requested=2,
        scopes_released=2 if pseudonym else 0,
        outcome="released" if pseudonym else "refused",
        reason="" if pseudonym else "no consent",
        entry_hash=keccak256(b"access-log-entry-%d" % number),
    )


def batches(context: BureauContext) -> list[Batch]:
    with transaction(context.sessions) as session:
        return list(session.scalars(select(Batch).order_by(Batch.id)))


def settlements(context: BureauContext) -> list[SettlementRow]:
    with transaction(context.sessions) as session:
        return list(session.scalars(select(SettlementRow).order_by(SettlementRow.id)))


def outbox(context: BureauContext) -> list[OutboxEntry]:
    with transaction(context.sessions) as session:
        return list(session.scalars(select(OutboxEntry).order_by(OutboxEntry.id)))


def pending_settlement_count(context: BureauContext) -> int:
    with transaction(context.sessions) as session:
        return int(
            session.scalar(
                select(func.count())
                .select_from(SettlementRow)
                .where(SettlementRow.batch_id.is_(None))
            )
            or 0
        )


def committed_events(w3: Web3, registries: Registries) -> list[dict[str, Any]]:
    """Every BatchCommitted log of the deployment, oldest first."""
    event = registries.attestations.contract.events.BatchCommitted()
    return [dict(log["args"]) for log in event.get_logs(from_block=0)]


def assert_committed_exactly_once(context: BureauContext) -> None:
    """Every batch is final and on chain, and the chain holds one commitment per batch."""
    stored = batches(context)
    events = committed_events(context.w3, context.registries)
    roots = [bytes(event["root"]) for event in events]
    assert sorted(roots) == sorted(bytes(batch.root) for batch in stored)
    for batch in stored:
        assert batch.status == "final"
        on_chain = context.registries.attestations.batch_of(batch.root)
        assert on_chain.leaf_count == batch.leaf_count
        assert on_chain.bureau == context.address
    assert all(row.batch_id is not None for row in settlements(context))
