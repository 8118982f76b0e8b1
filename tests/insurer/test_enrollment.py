"""One-click enrollment (一键投保) against the real bureau node, on anvil, on both databases."""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Iterator
from datetime import UTC

import pytest
from sqlalchemy import select

from trustshare.bureau.context import BureauContext
from trustshare.crypto.leaves import bureau_of
from trustshare.crypto.vocabulary import Scope
from trustshare.insurer.context import InsurerContext
from trustshare.insurer.enrollment import CHINA_STANDARD_TIME, today
from trustshare.storage.insurer_models import PolicyRow

from ..bureau.hospital_support import PATIENT_PSEUDONYM
from ..bureau.release_support import access_entries
from ..conftest import Network
from .enrollment_support import (
    DAY,
    ask_for_policy,
    consent,
    enroll_patient,
    patients_client,
    register_sealing_key,
    served_bureau,
)

PRODUCT = "enterprise-supplementary"
SHANGHAI_ONLY = "huhuibao-like-2025"


@pytest.fixture
def bureau_url(
    bureau_context: BureauContext, insurer_context: InsurerContext, network: Network
) -> Iterator[str]:
    register_sealing_key(network, insurer_context)
    with served_bureau(bureau_context, network) as url:
        yield url


def policies(context: InsurerContext) -> list[PolicyRow]:
    with context.sessions() as session:
        return list(session.scalars(select(PolicyRow)))


def test_a_verified_enrollment_gets_a_one_year_policy_from_today(
    bureau_context: BureauContext,
    insurer_context: InsurerContext,
    network: Network,
    bureau_url: str,
) -> None:
    enrollment_id = enroll_patient(bureau_context)
    consent(network)
    with patients_client(insurer_context) as client:
        answer = ask_for_policy(client, PRODUCT, signer=network.patient)

    assert answer.status_code == 201, answer.text
    body = answer.json()
    start = dt.datetime.combine(today(time.time()), dt.time(), CHINA_STANDARD_TIME)
    assert dt.datetime.fromisoformat(body["valid_from"]) == start
    assert dt.datetime.fromisoformat(body["valid_to"]) == start.replace(year=start.year + 1)
    assert (body["product"], body["insurer"]) == (PRODUCT, insurer_context.address)
    assert body["pseudonym"] == "0x" + PATIENT_PSEUDONYM.hex()
    [policy] = policies(insurer_context)
    assert policy.policy_number == body["policy_number"]
    assert policy.valid_from.replace(tzinfo=UTC) == start
    # the bureau released the enrollment it holds, to this insurer, and logged it
    [entry] = access_entries(bureau_context)
    assert (entry.outcome, entry.insurer) == ("released", insurer_context.address)
    assert entry.record_id == bytes.fromhex(enrollment_id[2:])
    assert bureau_of(entry.record_id) == bureau_context.address


def test_a_later_start_within_the_enrollment_is_accepted(
    bureau_context: BureauContext,
    insurer_context: InsurerContext,
    network: Network,
    bureau_url: str,
) -> None:
    enroll_patient(bureau_context)
    consent(network)
    start = today(time.time()) + 10 * DAY
    with patients_client(insurer_context) as client:
        answer = ask_for_policy(client, PRODUCT, signer=network.patient, start=start.isoformat())
    assert answer.status_code == 201, answer.text
    assert dt.datetime.fromisoformat(answer.json()["valid_from"]).date() == start


def test_without_underwriting_consent_the_bureau_refuses_and_so_does_the_node(
    bureau_context: BureauContext,
    insurer_context: InsurerContext,
    network: Network,
    bureau_url: str,
) -> None:
    enroll_patient(bureau_context)
    consent(network, scopes=Scope(0))
    with patients_client(insurer_context) as client:
        answer = ask_for_policy(client, PRODUCT, signer=network.patient)

    assert answer.status_code == 403, answer.text
    error = answer.json()["error"]
    assert error["code"] == "consent_missing"
    assert (error["bureau_status"], error["permission_status"]) == (403, "NO_CONSENT")
    assert policies(insurer_context) == []


@pytest.mark.parametrize(
    ("product", "validity", "code", "field"),
    [
        ("no-such-product", (-30, 300), "unknown_product", "product"),
        (SHANGHAI_ONLY, (-30, 300), "not_sold_in_region", "product"),
        (PRODUCT, (-300, -1), "enrollment_not_valid", "start"),
        (PRODUCT, (5, 300), "enrollment_not_valid", "start"),
    ],
)
def test_a_policy_the_record_does_not_support_is_refused_with_its_reason(
    bureau_context: BureauContext,
    insurer_context: InsurerContext,
    network: Network,
    bureau_url: str,
    product: str,
    validity: tuple[int, int],
    code: str,
    field: str,
) -> None:
    now = today(time.time())
    enroll_patient(
        bureau_context, valid_from=now + validity[0] * DAY, valid_to=now + validity[1] * DAY
    )
    consent(network)
    with patients_client(insurer_context) as client:
        answer = ask_for_policy(client, product, signer=network.patient)

    assert answer.status_code == 422, answer.text
    assert (answer.json()["error"]["code"], answer.json()["error"]["field"]) == (code, field)
    assert policies(insurer_context) == []


def test_a_person_the_bureau_has_not_enrolled_is_refused(
    bureau_context: BureauContext,
    insurer_context: InsurerContext,
    network: Network,
    bureau_url: str,
) -> None:
    consent(network)
    with patients_client(insurer_context) as client:
        answer = ask_for_policy(client, PRODUCT, signer=network.patient)
    assert answer.status_code == 422, answer.text
    assert answer.json()["error"]["code"] == "not_enrolled"


def test_an_enrollment_not_yet_on_chain_is_409_to_retry(
    bureau_context: BureauContext,
    insurer_context: InsurerContext,
    network: Network,
    bureau_url: str,
) -> None:
    enroll_patient(bureau_context, commit=False)
    consent(network)
    with patients_client(insurer_context) as client:
        answer = ask_for_policy(client, PRODUCT, signer=network.patient)
    assert answer.status_code == 409, answer.text
    assert answer.json()["error"]["code"] == "enrollment_not_committed"


def test_a_second_request_for_the_same_product_is_409_with_the_first_policy(
    bureau_context: BureauContext,
    insurer_context: InsurerContext,
    network: Network,
    bureau_url: str,
) -> None:
    enroll_patient(bureau_context)
    consent(network)
    with patients_client(insurer_context) as client:
        first = ask_for_policy(client, PRODUCT, signer=network.patient)
        second = ask_for_policy(client, PRODUCT, signer=network.patient)
    assert (first.status_code, second.status_code) == (201, 409)
    assert second.json()["error"]["code"] == "already_insured"
    assert second.json()["error"]["policy_number"] == first.json()["policy_number"]
    assert len(policies(insurer_context)) == 1


def test_only_the_wallet_bound_to_the_pseudonym_may_ask(
    bureau_context: BureauContext,
    insurer_context: InsurerContext,
    network: Network,
    bureau_url: str,
) -> None:
    enroll_patient(bureau_context)
    consent(network)
    with patients_client(insurer_context) as client:
        answer = ask_for_policy(client, PRODUCT, signer=network.outsider)
        start = (today(time.time()) - DAY).isoformat()
        past = ask_for_policy(client, PRODUCT, signer=network.patient, start=start)
    assert answer.status_code == 401
    assert answer.json()["error"]["code"] == "unknown_signer"
    assert past.status_code == 422 and past.json()["error"]["code"] == "start_in_past"
    assert access_entries(bureau_context) == []
    assert policies(insurer_context) == []
