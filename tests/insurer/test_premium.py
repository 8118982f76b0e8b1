"""One-click enrollment paid from the personal account: real bureau and node, anvil, both DBs."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from trustshare.bureau.context import BureauContext
from trustshare.crypto.premium import SignedPremiumDebit, SignedPremiumReceipt
from trustshare.insurer.context import InsurerContext
from trustshare.insurer.premium import PremiumPayer
from trustshare.storage.insurer_models import PolicyRow, PolicyStatus

from ..bureau.operations_support import operator_client
from ..bureau.premium_support import (
    PRODUCT,
    balance_fen,
    credit,
    ledger_entries,
    premium_domain,
    signed_debit,
)
from ..bureau.release_support import access_entries
from ..conftest import Network
from .enrollment_support import (
    ask_for_policy,
    consent,
    enroll_patient,
    insurer_app,
    register_sealing_key,
    served_bureau,
)

BALANCE = 100_000
PREMIUM = 36_000


@pytest.fixture
def bureau_url(
    bureau_context: BureauContext, insurer_context: InsurerContext, network: Network
) -> Iterator[str]:
    """The real bureau on loopback; the patient enrolled (employee), consenting, 1,000 yuan in."""
    register_sealing_key(network, insurer_context)
    with served_bureau(bureau_context, network) as url:
        enroll_patient(bureau_context)
        consent(network)
        with operator_client(bureau_context) as operator:
            assert credit(operator, BALANCE).status_code == 201
        yield url


class LostAnswer(httpx.BaseTransport):
    """Between the node and the bureau: the connection drops, after or before the bureau acts."""

    def __init__(self, *, delivered: bool) -> None:
        self.delivered = delivered
        self.inner = httpx.HTTPTransport()

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        if self.delivered:
            response = self.inner.handle_request(request)
            response.read()
            response.close()
        raise httpx.ReadError("connection reset by peer", request=request)


@contextmanager
def node(
    context: InsurerContext, *, transport: httpx.BaseTransport | None = None
) -> Iterator[TestClient]:
    """The insurer app; its premium debits go through ``transport`` if given."""
    app = insurer_app(context)
    if transport is not None:
        app.state.premium_payer = PremiumPayer.of_node(
            context, http=httpx.Client(transport=transport)
        )
    with TestClient(app) as client:
        yield client


def policies(context: InsurerContext) -> list[PolicyRow]:
    with context.sessions() as session:
        return list(session.scalars(select(PolicyRow).order_by(PolicyRow.id)))


def ask_paying(client: TestClient, premium: dict[str, Any], network: Network) -> Any:
    return ask_for_policy(client, PRODUCT, signer=network.patient, premium=premium)


def test_a_paid_enrollment_issues_the_policy_with_the_bureaus_receipt(
    bureau_context: BureauContext,
    insurer_context: InsurerContext,
    network: Network,
    bureau_url: str,
) -> None:
    premium = signed_debit(network, amount_fen=PREMIUM)
    with node(insurer_context) as client:
        answer = ask_paying(client, premium, network)

    assert answer.status_code == 201, answer.text
    receipt = SignedPremiumReceipt.from_json_dict(answer.json()["premium_receipt"])
    receipt.verify(premium_domain(network), SignedPremiumDebit.from_json_dict(premium).debit)
    [policy] = policies(insurer_context)
    assert (policy.status, policy.policy_number) == (
        PolicyStatus.ACTIVE,
        answer.json()["policy_number"],
    )
    assert policy.premium_debit_id == bytes.fromhex(premium["authorisation"]["debit_id"][2:])
    assert ledger_entries(bureau_context) == [
        ("credit", BALANCE, BALANCE),
        ("debit", PREMIUM, BALANCE - PREMIUM),
    ]


def test_a_refused_debit_issues_nothing_and_says_why(
    bureau_context: BureauContext,
    insurer_context: InsurerContext,
    network: Network,
    bureau_url: str,
) -> None:
    with node(insurer_context) as client:
        refused = ask_paying(client, signed_debit(network, amount_fen=BALANCE + 1), network)
        assert policies(insurer_context) == []
        affordable = ask_paying(client, signed_debit(network, amount_fen=PREMIUM), network)

    assert refused.status_code == 422, refused.text
    error = refused.json()["error"]
    assert (error["code"], error["bureau_code"], error["bureau_status"]) == (
        "premium_refused",
        "insufficient_balance",
        422,
    )
    # nothing was left behind: the next, affordable authorisation issues the policy
    assert affordable.status_code == 201, affordable.text
    assert [policy.status for policy in policies(insurer_context)] == [PolicyStatus.ACTIVE]
    assert balance_fen(bureau_context) == BALANCE - PREMIUM


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"policy_reference": "huiminbao-typical"}, "premium.authorisation.policy_reference"),
        ({"deadline": 1}, "premium.authorisation.deadline"),
        ({"amount_fen": 0}, "premium.authorisation.amount_fen"),
        ({"signer": "outsider"}, "premium.authorisation.signature"),
        ({"insurer": "insurer_b"}, "premium.authorisation.insurer"),
    ],
)
def test_an_authorisation_that_does_not_fit_is_refused_before_the_bureau_is_asked(
    bureau_context: BureauContext,
    insurer_context: InsurerContext,
    network: Network,
    bureau_url: str,
    change: dict[str, Any],
    field: str,
) -> None:
    accounts = {"outsider": network.outsider, "insurer_b": network.insurer_b}
    if "signer" in change:
        change = {"signer": accounts[change["signer"]]}
    if "insurer" in change:
        change = {"insurer": accounts[change["insurer"]].address}
    with node(insurer_context) as client:
        answer = ask_paying(client, signed_debit(network, **change), network)

    assert answer.status_code == 422, answer.text
    assert (answer.json()["error"]["code"], answer.json()["error"]["field"]) == (
        "premium_invalid",
        field,
    )
    assert access_entries(bureau_context) == []  # no record was even fetched
    assert policies(insurer_context) == []
    assert balance_fen(bureau_context) == BALANCE


@pytest.mark.parametrize("delivered", [True, False], ids=["debited-answer-lost", "never-arrived"])
def test_a_crash_around_the_debit_is_retried_into_one_debit_and_one_policy(
    bureau_context: BureauContext,
    insurer_context: InsurerContext,
    network: Network,
    bureau_url: str,
    delivered: bool,
) -> None:
    premium = signed_debit(network, amount_fen=PREMIUM)
    with node(insurer_context, transport=LostAnswer(delivered=delivered)) as client:
        lost = ask_paying(client, premium, network)

    assert lost.status_code == 503, lost.text
    assert lost.json()["error"]["code"] == "premium_pending"
    [awaiting] = policies(insurer_context)
    assert awaiting.status == PolicyStatus.AWAITING_PREMIUM  # the node knows a debit may be out
    assert balance_fen(bureau_context) == BALANCE - (PREMIUM if delivered else 0)

    # the node restarts (a new context on the same database); the app sends the request again
    restarted = InsurerContext.from_settings(insurer_context.settings)
    try:
        with node(restarted) as client:
            retried = ask_paying(client, premium, network)
            again = ask_paying(client, premium, network)
    finally:
        restarted.engine.dispose()

    assert retried.status_code == 201, retried.text
    assert again.status_code == 201, again.text
    assert again.json() == retried.json()
    [policy] = policies(insurer_context)
    assert (policy.status, policy.policy_number) == (PolicyStatus.ACTIVE, awaiting.policy_number)
    entries = ledger_entries(bureau_context)
    assert [kind for kind, _, _ in entries] == ["credit", "debit"]
    assert retried.json()["premium_receipt"]["entry_id"] == 2


def test_a_new_authorisation_first_settles_the_one_whose_answer_was_lost(
    bureau_context: BureauContext,
    insurer_context: InsurerContext,
    network: Network,
    bureau_url: str,
) -> None:
    with node(insurer_context, transport=LostAnswer(delivered=True)) as client:
        assert ask_paying(client, signed_debit(network), network).status_code == 503
    # the patient's app gave up on the first and signs a second authorisation
    with node(insurer_context) as client:
        second = ask_paying(client, signed_debit(network), network)

    assert second.status_code == 409, second.text
    assert second.json()["error"]["code"] == "already_insured"
    [policy] = policies(insurer_context)
    assert policy.status == PolicyStatus.ACTIVE  # the first debit's policy, now issued
    assert balance_fen(bureau_context) == BALANCE - PREMIUM  # and only it was debited


def test_the_same_debit_id_for_another_amount_is_refused_by_the_node(
    bureau_context: BureauContext,
    insurer_context: InsurerContext,
    network: Network,
    bureau_url: str,
) -> None:
    debit_id = bytes(range(32))
    with node(insurer_context) as client:
        first = ask_paying(client, signed_debit(network, debit_id=debit_id), network)
        other = ask_paying(client, signed_debit(network, debit_id=debit_id, amount_fen=1), network)
    assert first.status_code == 201, first.text
    assert (other.status_code, other.json()["error"]["code"]) == (409, "debit_id_reused")
    assert balance_fen(bureau_context) == BALANCE - PREMIUM


def test_without_a_premium_enrollment_is_unchanged(
    bureau_context: BureauContext,
    insurer_context: InsurerContext,
    network: Network,
    bureau_url: str,
) -> None:
    with node(insurer_context) as client:
        answer = ask_for_policy(client, PRODUCT, signer=network.patient)
    assert answer.status_code == 201, answer.text
    assert answer.json()["premium_receipt"] is None
    assert balance_fen(bureau_context) == BALANCE
