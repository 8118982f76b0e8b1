"""商保码 issued by the insurer node, and accepted by the real bureau at the hospital window."""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest
from sqlalchemy import select

from trustshare.bureau.context import BureauContext
from trustshare.crypto.policy_code import SignedPolicyCode, verify_policy_code
from trustshare.crypto.vocabulary import Purpose, Scope
from trustshare.insurer.context import InsurerContext
from trustshare.insurer.enrollment import today
from trustshare.insurer.policy_codes import CODE_LIFETIME_SECONDS, policy_code_domain
from trustshare.storage.insurer_models import AuthorisationRow, HoldStatus

from ..bureau.hospital_support import (
    PATIENT_PSEUDONYM,
    beijing_bill,
    confirm,
    hospital_client,
    serve,
    settlement_body,
)
from ..conftest import Network
from .enrollment_support import (
    DAY,
    ask_for_policy,
    consent,
    enroll_patient,
    insurer_app,
    patients_client,
    register_sealing_key,
    served_bureau,
    signed_post,
)

PRODUCT = "enterprise-supplementary"
ENTERPRISE_FEN = 3_755_619
"""The engine's enterprise layer of the Beijing example (docs/examples)."""


@pytest.fixture
def insurer_url(
    bureau_context: BureauContext, insurer_context: InsurerContext, network: Network
) -> Iterator[str]:
    """Both real nodes on loopback, registered on chain as their endpoints."""
    register_sealing_key(network, insurer_context)
    with (
        served_bureau(bureau_context, network),
        serve(insurer_app(insurer_context)) as url,
    ):
        network.registries(network.operator).participants.update_endpoint(
            network.insurer.address, url
        )
        yield url


def enrolled_policy(
    bureau_context: BureauContext, insurer_context: InsurerContext, network: Network, **extra: str
) -> str:
    """One-click enroll the patient (consent for underwriting and direct settlement)."""
    enroll_patient(bureau_context)
    consent(
        network,
        Scope.ENROLLMENT | Scope.SETTLEMENT_SUMMARY,
        Purpose.UNDERWRITING | Purpose.DIRECT_SETTLEMENT,
    )
    with patients_client(insurer_context) as client:
        answer = ask_for_policy(client, PRODUCT, signer=network.patient, **extra)
    assert answer.status_code == 201, answer.text
    return str(answer.json()["policy_number"])


def test_the_holder_gets_a_ten_minute_code_signed_by_the_insurer(
    bureau_context: BureauContext,
    insurer_context: InsurerContext,
    network: Network,
    insurer_url: str,
) -> None:
    number = enrolled_policy(bureau_context, insurer_context, network)
    with patients_client(insurer_context) as client:
        answer = signed_post(client, network.patient, f"/v1/policies/{number}/code")

    assert answer.status_code == 201, answer.text
    signed = SignedPolicyCode.from_json_dict(answer.json())
    now = time.time()
    code = verify_policy_code(
        signed, policy_code_domain(insurer_context), pseudonym=PATIENT_PSEUDONYM, now=now
    )
    assert (code.insurer, code.product, code.policy_number) == (
        insurer_context.address,
        PRODUCT,
        number,
    )
    assert now < code.expires_at <= now + CODE_LIFETIME_SECONDS + 1


def test_the_bureau_settles_the_insurer_layer_on_the_node_issued_code(
    bureau_context: BureauContext,
    insurer_context: InsurerContext,
    network: Network,
    insurer_url: str,
) -> None:
    number = enrolled_policy(bureau_context, insurer_context, network)
    with patients_client(insurer_context) as client:
        code = signed_post(client, network.patient, f"/v1/policies/{number}/code").json()
    bill = beijing_bill(products=True)
    bill["products"] = [holding for holding in bill["products"] if holding["product"] == PRODUCT]

    with hospital_client(bureau_context) as hospital:
        answer = confirm(hospital, settlement_body(bill, policy_codes=[code]), "discharge-code")

    assert answer.status_code == 201, answer.text
    (payer,) = answer.json()["payers"]
    assert (payer["status"], payer["authorised_fen"]) == ("authorised", ENTERPRISE_FEN)
    with insurer_context.sessions() as session:
        (hold,) = session.scalars(select(AuthorisationRow))
    assert (hold.policy_number, hold.status) == (number, HoldStatus.HELD)


def test_codes_only_for_the_holder_of_an_existing_policy_in_force(
    bureau_context: BureauContext,
    insurer_context: InsurerContext,
    network: Network,
    insurer_url: str,
) -> None:
    later = (today(time.time()) + 3 * DAY).isoformat()
    number = enrolled_policy(bureau_context, insurer_context, network, start=later)
    with patients_client(insurer_context) as client:
        stranger = signed_post(client, network.outsider, f"/v1/policies/{number}/code")
        unknown = signed_post(client, network.patient, "/v1/policies/P-NOPE/code")
        not_yet = signed_post(client, network.patient, f"/v1/policies/{number}/code")

    assert (stranger.status_code, stranger.json()["error"]["code"]) == (401, "unknown_signer")
    assert (unknown.status_code, unknown.json()["error"]["code"]) == (404, "no_policy")
    assert (not_yet.status_code, not_yet.json()["error"]["code"]) == (409, "policy_not_in_force")
