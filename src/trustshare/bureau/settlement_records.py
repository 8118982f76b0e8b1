"""What the bureau stores and answers for a settlement: disclosure groups, rows, the answer.

Disclosure groups of a settlement record (one per consent scope, DESIGN.md §4):

- ``enrollment`` — region, insurance type, person category;
- ``settlement_summary`` — ids, visit, hospital and the combined totals (:func:`summary_of`);
- ``fund_breakdown`` — the national record's amounts, each commercial layer's outcome and the
  rules used;
- ``line_items`` — the bill's lines.

The bill carries no diagnosis, so no record has a ``diagnosis`` group. A cancellation has only
``settlement_summary`` (all amounts 0) and the cancelled record's ``enrollment``.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any, Final

from trustshare.bureau.realtime import PayerOutcome
from trustshare.crypto import commit_record
from trustshare.crypto.vocabulary import GROUP_NAMES
from trustshare.domain import Bill, Settlement
from trustshare.storage.models import SettlementRow
from trustshare.storage.settlements import CONFIRMED

SOURCE_PREFIX: Final = "hospital:"
"""``SettlementRow.source`` of a record a hospital confirmed: the prefix, then its name."""

AMOUNT_FIELDS: Final = (
    "medfee_sumamt",
    "basic_fund_fen",
    "critical_illness_fen",
    "medical_assistance_fen",
    "fund_pay_sumamt",
    "personal_account_fen",
    "commercial_paid_fen",
    "patient_remainder_fen",
    "claim_ceiling_fen",
)


def summary_of(
    bill: Bill, computed: Settlement, outcomes: list[PayerOutcome], *, hospital: str, kind: str
) -> dict[str, Any]:
    """The totals of the combined answer: statutory layers, authorised commercial, remainder.

    The patient's remainder is the person's share less what insurers *authorised* (not what
    the engine computed for them).
    """
    record = computed.record
    commercial = sum(outcome.authorised_fen for outcome in outcomes)
    return {
        "kind": kind,
        "setl_id": bill.setl_id,
        "mdtrt_id": bill.mdtrt_id,
        "setl_time": bill.settlement_time,
        "med_type": bill.visit_type.value,
        "hospital_level": bill.hospital_level.value,
        "hospital": hospital,
        "medfee_sumamt": record.medfee_sumamt,
        "basic_fund_fen": record.hifp_pay,
        "critical_illness_fen": record.hifmi_pay,
        "medical_assistance_fen": record.maf_pay,
        "fund_pay_sumamt": record.fund_pay_sumamt,
        "personal_account_fen": record.acct_pay,
        "commercial_paid_fen": commercial,
        "patient_remainder_fen": record.psn_part_amt - commercial,
        "claim_ceiling_fen": computed.claim_ceiling_fen,
    }


def disclosure_groups(
    bill: Bill, summary: dict[str, Any], computed: Settlement, outcomes: list[PayerOutcome]
) -> dict[str, dict[str, Any]]:
    """The record as ``{group: fields}``, ready for :func:`~trustshare.crypto.commit_record`."""
    return {
        "enrollment": {
            "region": bill.region,
            "insutype": bill.insurance_type.value,
            "psn_type": bill.person_category.value,
        },
        "settlement_summary": summary,
        "fund_breakdown": {
            "record": computed.record.to_dict(),
            "payers": [outcome.to_dict() for outcome in outcomes],
            "rules": [
                {"id": used.id, "version": used.version, "hash": used.content_hash}
                for used in computed.rules
            ],
        },
        "line_items": {"lines": [line.model_dump(mode="json") for line in bill.lines]},
    }


def committed_row(
    groups: dict[str, dict[str, Any]],
    *,
    hospital: str,
    reference: str,
    mdtrt_id: str | None,
    pseudonym: bytes,
    on_chain_id: bytes,
    claim_ceiling_fen: int,
    rules_digest: str,
) -> SettlementRow:
    """Commit ``groups`` with fresh salts and build the row (``batch_id`` NULL: queued)."""
    committed = commit_record(groups)
    return SettlementRow(
        settlement_id=on_chain_id,
        setl_id=reference,
        mdtrt_id=mdtrt_id,
        pseudonym=pseudonym,
        source=SOURCE_PREFIX + hospital,
        status=CONFIRMED,
        record_json=stored_json(committed.fields),
        salts=b"".join(committed.salts[name] for name in GROUP_NAMES if name in committed.salts),
        record_commitment=committed.commitment,
        claim_ceiling_fen=claim_ceiling_fen,
        rules_digest=bytes.fromhex(rules_digest),
        batch_id=None,
    )


def stored_json(fields: Mapping[str, Any]) -> str:
    """``fields`` as canonical JSON text (the bytes its commitments hashed).

    For values that :func:`~trustshare.crypto.canonical_json` accepts — which
    ``commit_record`` has just checked — the standard library's encoder with sorted keys,
    compact separators and literal non-ASCII writes the same text, at C speed.
    """
    return json.dumps(fields, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def combined_answer(
    summary: dict[str, Any],
    computed: Settlement | None,
    outcomes: list[PayerOutcome],
    *,
    pseudonym: bytes,
    row: SettlementRow | None = None,
) -> dict[str, Any]:
    """The one answer the hospital gets (and gets again from ``GET``); ``row`` None for a trial."""
    return {
        **summary,
        "status": row.status if row else "trial",
        "settlement_id": hex_or_none(row.settlement_id) if row else None,
        "pseudonym": hex_or_none(pseudonym),
        "record_commitment": hex_or_none(row.record_commitment) if row else None,
        "supersedes": hex_or_none(row.supersedes) if row else None,
        "superseded_by": None,
        "payers": [outcome.to_dict() for outcome in outcomes],
        "computed": computed.to_dict() if computed else None,
    }


def hex_or_none(value: bytes | None) -> str | None:
    """``0x``-hex of ``value``, or None."""
    return None if value is None else "0x" + value.hex()
