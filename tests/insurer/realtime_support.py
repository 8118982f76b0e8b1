"""Helpers of the insurer's real-time tests: policies, signed requests, the request body."""

from __future__ import annotations

import json
import time
from datetime import UTC, datetime, timedelta
from typing import Any

from eth_account.signers.local import LocalAccount
from fastapi.testclient import TestClient

from trustshare.crypto.leaves import settlement_id
from trustshare.gateway.realtime_contract import REALTIME_AUTHORISATION_PATH
from trustshare.gateway.signing import sign_request
from trustshare.insurer.context import InsurerContext
from trustshare.insurer.policies import issue_policy
from trustshare.storage.insurer_models import PolicyRow

from ..bureau.hospital_support import PATIENT_PSEUDONYM

PRODUCT = "enterprise-supplementary"
POLICY_NUMBER = f"P-{PRODUCT}"
YEAR = timedelta(days=365)


def give_policy(
    context: InsurerContext,
    *,
    product: str = PRODUCT,
    policy_number: str = POLICY_NUMBER,
    pseudonym: bytes = PATIENT_PSEUDONYM,
    starts: datetime | None = None,
    ends: datetime | None = None,
) -> PolicyRow:
    """Issue a policy in force from a day ago for a year (unless told otherwise)."""
    now = datetime.now(UTC)
    with context.sessions() as session:
        return issue_policy(
            session,
            context.rules,
            policy_number=policy_number,
            pseudonym=pseudonym,
            product=product,
            valid_from=starts or now - timedelta(days=1),
            valid_to=ends or now + YEAR,
        )


def request_body(bureau: str, /, **overrides: Any) -> dict[str, Any]:
    """A well-formed request from ``bureau`` for the test patient's enterprise layer."""
    reference = overrides.pop("settlement_reference", "SETL-0001")
    body: dict[str, Any] = {
        "settlement_reference": reference,
        "settlement_id": "0x" + settlement_id(bureau, 7).hex(),
        "bureau": bureau,
        "pseudonym": "0x" + PATIENT_PSEUDONYM.hex(),
        "product": PRODUCT,
        "policy_number": POLICY_NUMBER,
        "payer_order": 2,
        "computed_fen": 3_755_619,
        "prior_payers_paid_fen": 10_000_000,
        "claim_ceiling_fen": 10_632_524,
        "rules_version": "ab" * 32,
        "deadline_unix_ms": int((time.time() + 5) * 1000),
    }
    body.update(overrides)
    return body


def post_signed(
    client: TestClient, signer: LocalAccount, body: dict[str, Any], *, now: float | None = None
) -> Any:
    """POST ``body`` signed by ``signer``."""
    raw = json.dumps(body).encode()
    headers = sign_request(
        signer, "POST", REALTIME_AUTHORISATION_PATH, raw, now=time.time() if now is None else now
    )
    headers["Content-Type"] = "application/json"
    return client.post(REALTIME_AUTHORISATION_PATH, content=raw, headers=headers)
