"""Personal medical-insurance accounts (个人账户): contributions credited, statements read.

Where balances come from: the employee basic-insurance scheme (职工医保) puts part of each
monthly contribution into the insured person's personal account; the national platform reports
each such contribution. The bureau's operator posts them here (``POST
/v1/personal-accounts/credits``), by ID number — turned into the keyed pseudonym at once and
never stored — with the platform's ``reference`` of the contribution, which makes the credit
happen once: the same reference with the same content answers the first entry again, with other
content it is refused (``reference_reused``).

A personal account belongs to an employee enrollment: a credit is accepted only for a person
whose latest enrollment record at this bureau is ``employee`` (resident insurance, 居民医保, has
no personal account). The balance is not part of the enrollment record on purpose: that record
is committed on chain and disclosed to insurers under UNDERWRITING consent, and a running balance
is neither a fact to commit nor something an insurer needs to see.

Debits are premiums the patient authorises (:mod:`trustshare.bureau.premium`).
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from trustshare.bureau.context import BureauContext
from trustshare.bureau.enrollment import ENROLLMENT_GROUP
from trustshare.bureau.identity import pseudonym_for
from trustshare.bureau.release import latest_enrollment_id
from trustshare.domain.bill import InsuranceType
from trustshare.gateway.errors import Conflict, NotFound, Unprocessable
from trustshare.storage import access
from trustshare.storage import personal_accounts as ledger
from trustshare.storage.database import transaction
from trustshare.storage.models import PersonalAccountEntry, utc_now

MAX_STATEMENT_PAGE = 500


@dataclass(frozen=True)
class Credited:
    """A credit's entry, and whether this call made it (False: a repeat of its reference)."""

    entry: PersonalAccountEntry
    created: bool


def credit_contribution(
    context: BureauContext, id_number: str, amount_fen: int, reference: str
) -> Credited:
    """Credit one contribution to the person's personal account (opened on the first credit).

    Raises ``OperatorInputError`` (a bad ID number), 422 ``not_enrolled`` /
    ``no_personal_account`` / ``balance_limit``, 409 ``reference_reused``.
    """
    pseudonym = pseudonym_for(id_number, context.pseudonym_key)
    with context.sessions() as session:
        _check_employee_enrollment(session, pseudonym)
    fingerprint = hashlib.sha256(
        json.dumps([pseudonym.hex(), amount_fen, reference]).encode()
    ).hexdigest()
    move = ledger.Move(
        pseudonym=pseudonym,
        kind=ledger.CREDIT,
        amount_fen=amount_fen,
        entry_key=f"credit:{reference}",
        fingerprint=fingerprint,
        reference=reference,
    )
    repeat = _repeat(context, move)
    if repeat is not None:
        return repeat
    now = utc_now()
    ledger.open_account(context.sessions, pseudonym, now)
    try:
        with transaction(context.sessions) as session:
            entry = ledger.append(session, move, now)
            if entry is None:
                raise Unprocessable(
                    "balance_limit",
                    f"the balance would pass {ledger.MAX_BALANCE_FEN} fen",
                    field="amount_fen",
                )
    except IntegrityError:  # the same reference, credited by a concurrent request
        repeat = _repeat(context, move)
        if repeat is None:
            raise
        return repeat
    return Credited(entry, created=True)


def _repeat(context: BureauContext, move: ledger.Move) -> Credited | None:
    with context.sessions() as session:
        entry = ledger.entry_by_key(session, move.entry_key)
    if entry is None:
        return None
    if entry.fingerprint != move.fingerprint:
        raise Conflict(
            "reference_reused",
            "this reference was already credited with another person or amount",
            field="reference",
        )
    return Credited(entry, created=False)


def _check_employee_enrollment(session: Session, pseudonym: bytes) -> None:
    enrollment_id = latest_enrollment_id(session, pseudonym)
    row = access.enrollment_by_id(session, enrollment_id) if enrollment_id else None
    if row is None:
        raise Unprocessable(
            "not_enrolled",
            "this bureau holds no enrollment record of the person",
            field="id_number",
        )
    insurance_type = json.loads(row.record_json)[ENROLLMENT_GROUP]["insurance_type"]
    if insurance_type != InsuranceType.EMPLOYEE:
        raise Unprocessable(
            "no_personal_account",
            f"the person's basic insurance is {insurance_type}: only employee insurance "
            "(职工医保) has a personal account",
            field="id_number",
        )


def entry_json(entry: PersonalAccountEntry) -> dict[str, Any]:
    """An entry as the statement shows it (the receipt of a debit included)."""
    return {
        "entry_id": entry.id,
        "kind": entry.kind,
        "amount_fen": entry.amount_fen,
        "balance_after_fen": entry.balance_after_fen,
        "reference": entry.reference,
        "insurer": entry.counterparty,
        "created_at": entry.created_at.isoformat(),
        "receipt": json.loads(entry.receipt_json) if entry.receipt_json else None,
    }


def statement(session: Session, pseudonym: bytes, *, after: int, limit: int) -> dict[str, Any]:
    """The balance and one page of entries (ids above ``after``); 404 ``no_personal_account``."""
    account = ledger.account_of(session, pseudonym)
    if account is None:
        raise NotFound("no_personal_account", "no personal account is open for this pseudonym")
    limit = min(limit, MAX_STATEMENT_PAGE)
    entries = ledger.entries_of(session, pseudonym, after_id=after, limit=limit)
    return {
        "pseudonym": "0x" + pseudonym.hex(),
        "balance_fen": account.balance_fen,
        "entries": [entry_json(entry) for entry in entries],
        "next_after": entries[-1].id if len(entries) == limit else None,
    }
