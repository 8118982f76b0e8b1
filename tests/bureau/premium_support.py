"""Helpers of the personal-account tests: an employee with a funded account, signed debits."""

from __future__ import annotations

import json
import secrets
import time
from typing import Any

from eth_account.signers.local import LocalAccount
from fastapi.testclient import TestClient
from sqlalchemy import select

from trustshare.bureau.context import BureauContext
from trustshare.crypto.premium import PremiumDebit, PremiumDomain, sign_premium_debit
from trustshare.gateway.premium_contract import PREMIUM_DEBITS_PATH
from trustshare.gateway.signing import sign_request
from trustshare.storage.database import transaction
from trustshare.storage.models import PersonalAccount, PersonalAccountEntry

from ..conftest import Network
from .hospital_support import ID_NUMBER, PATIENT_PSEUDONYM

PRODUCT = "enterprise-supplementary"
EMPLOYEE_ENROLLMENT: dict[str, Any] = {
    "id_number": ID_NUMBER,
    "insurance_type": "employee",
    "person_category": "general",
    "region": "beijing",
    "valid_from": "2025-01-01",
}


def premium_domain(network: Network) -> PremiumDomain:
    return PremiumDomain(network.deployment.chain_id, network.deployment.consent_registry)


def bind_patient(network: Network) -> None:
    """Bind the test patient's wallet to the pseudonym on chain (as the bureau)."""
    consents = network.registries(network.bureau).consents
    wallet, _ = consents.binding_of(PATIENT_PSEUDONYM)
    if int(wallet, 16) == 0:
        consents.bind_wallet(PATIENT_PSEUDONYM, network.patient.address)


def credit(operator: TestClient, amount_fen: int, reference: str = "2026-11/c-1") -> Any:
    """Credit a contribution to the test patient's personal account (an enrolled employee)."""
    body = {"id_number": ID_NUMBER, "amount_fen": amount_fen, "reference": reference}
    return operator.post("/v1/personal-accounts/credits", json=body)


def fund_account(operator: TestClient, amount_fen: int, reference: str = "2026-11/c-1") -> Any:
    """Enroll the test patient as an employee (once) and credit a contribution."""
    enrolled = operator.post("/v1/enrollments", json=EMPLOYEE_ENROLLMENT)
    assert enrolled.status_code in (200, 201), enrolled.text
    return credit(operator, amount_fen, reference)


def signed_debit(
    network: Network,
    *,
    amount_fen: int = 36_000,
    signer: LocalAccount | None = None,
    deadline: int | None = None,
    debit_id: bytes | None = None,
    insurer: str | None = None,
    bureau: str | None = None,
    pseudonym: bytes = PATIENT_PSEUDONYM,
    policy_reference: str = PRODUCT,
) -> dict[str, Any]:
    """A premium debit signed by ``signer`` (the patient unless given), in its JSON form."""
    debit = PremiumDebit(
        pseudonym=pseudonym,
        bureau=bureau or network.bureau.address,
        insurer=insurer or network.insurer.address,
        policy_reference=policy_reference,
        amount_fen=amount_fen,
        debit_id=debit_id or secrets.token_bytes(32),
        deadline=int(time.time()) + 600 if deadline is None else deadline,
    )
    return sign_premium_debit(
        signer or network.patient, premium_domain(network), debit
    ).to_json_dict()


def post_debit(
    client: TestClient, account: LocalAccount, body: dict[str, Any], *, now: float | None = None
) -> Any:
    """Forward ``body`` to the bureau in a request signed by ``account`` (an insurer)."""
    raw = json.dumps(body).encode()
    headers = sign_request(account, "POST", PREMIUM_DEBITS_PATH, raw, now=now or time.time())
    headers["Content-Type"] = "application/json"
    return client.post(PREMIUM_DEBITS_PATH, content=raw, headers=headers)


def balance_fen(context: BureauContext) -> int | None:
    with transaction(context.sessions) as session:
        account = session.get(PersonalAccount, PATIENT_PSEUDONYM)
        return None if account is None else account.balance_fen


def ledger_entries(context: BureauContext) -> list[tuple[str, int, int]]:
    """(kind, amount, balance after) of every entry, in order."""
    with transaction(context.sessions) as session:
        rows = session.scalars(select(PersonalAccountEntry).order_by(PersonalAccountEntry.id))
        return [(row.kind, row.amount_fen, row.balance_after_fen) for row in rows]
