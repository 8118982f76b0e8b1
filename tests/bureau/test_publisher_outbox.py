"""Every outbox kind reaches the chain; a refused entry fails with its typed error, alone."""

from __future__ import annotations

from typing import Any

from sqlalchemy import update

from trustshare.bureau.context import BureauContext
from trustshare.bureau.outbox import enqueue
from trustshare.bureau.publisher import Publisher
from trustshare.crypto.eip712 import (
    ConsentDomain,
    ConsentTerms,
    consent_id,
    sign_grant,
    sign_revocation,
)
from trustshare.crypto.vocabulary import Purpose, Scope
from trustshare.storage.database import transaction
from trustshare.storage.models import SettlementRow

from ..conftest import Network
from .clearing_helpers import PATIENT, batches, insert_settlements, outbox

DAY = 86_400


def queue(context: BureauContext, kind: str, payload: dict[str, Any]) -> int:
    with transaction(context.sessions) as session:
        return enqueue(session, kind, payload).id


def bind_payload(network: Network, wallet: str | None = None) -> dict[str, Any]:
    return {"pseudonym": "0x" + PATIENT.hex(), "wallet": wallet or network.patient.address}


def status_of(context: BureauContext, entry_id: int) -> tuple[str, str | None]:
    [entry] = [e for e in outbox(context) if e.id == entry_id]
    return entry.status, entry.error


def grant_payload(network: Network, *, signer: bytes | None = None) -> tuple[dict[str, Any], bytes]:
    now = network.now()
    terms = ConsentTerms(
        PATIENT, network.insurer.address, Scope.SETTLEMENT_SUMMARY, Purpose.CLAIM, now, now + DAY
    )
    domain = ConsentDomain(network.w3.eth.chain_id, network.deployment.consent_registry)
    deadline = now + 3600
    signature = sign_grant(signer or network.patient.key, domain, terms, 0, deadline)
    payload = {
        "terms": {
            "pseudonym": "0x" + PATIENT.hex(),
            "insurer": terms.insurer,
            "scopes": terms.scopes,
            "purposes": terms.purposes,
            "not_before": terms.not_before,
            "not_after": terms.not_after,
        },
        "nonce": 0,
        "deadline": deadline,
        "signature": "0x" + signature.hex(),
    }
    return payload, consent_id(terms, 0)


def test_bind_grant_and_revoke_are_relayed_in_order(
    bureau_context: BureauContext, network: Network
) -> None:
    queue(bureau_context, "bind_wallet", bind_payload(network))
    grant, granted_id = grant_payload(network)
    queue(bureau_context, "grant_consent", grant)
    deadline = network.now() + 3600
    domain = ConsentDomain(network.w3.eth.chain_id, network.deployment.consent_registry)
    revocation = sign_revocation(
        network.patient.key, domain, PATIENT, network.insurer.address, granted_id, deadline
    )
    queue(
        bureau_context,
        "revoke_consent",
        {
            "pseudonym": "0x" + PATIENT.hex(),
            "insurer": network.insurer.address,
            "consent_id": "0x" + granted_id.hex(),
            "deadline": deadline,
            "signature": "0x" + revocation.hex(),
        },
    )
    report = Publisher(bureau_context).run_once()

    assert len(report.done) == 3 and report.failed == []
    consents = bureau_context.registries.consents
    assert consents.binding_of(PATIENT) == (network.patient.address, network.bureau.address)
    state = consents.consent_of(PATIENT, network.insurer.address)
    assert state.consent_id == granted_id and state.revoked
    assert all(entry.tx_hash and entry.block_number for entry in outbox(bureau_context))


def test_a_refused_entry_fails_with_its_typed_error_and_later_entries_still_go_through(
    bureau_context: BureauContext, network: Network
) -> None:
    zero_wallet = queue(bureau_context, "bind_wallet", bind_payload(network, "0x" + "00" * 20))
    bound = queue(bureau_context, "bind_wallet", bind_payload(network))
    grant, _ = grant_payload(network, signer=network.outsider.key)  # not the patient's wallet
    forged = queue(bureau_context, "grant_consent", grant)
    insert_settlements(bureau_context, range(2))
    nonce_before = network.w3.eth.get_transaction_count(network.bureau.address)

    report = Publisher(bureau_context).run_once()

    assert report.failed == [zero_wallet, forged]
    status, error = status_of(bureau_context, zero_wallet)
    assert status == "failed" and error is not None
    assert error.startswith("ConsentRegistryZeroWallet")
    status, error = status_of(bureau_context, forged)
    assert status == "failed" and error is not None
    assert error.startswith("ConsentRegistryInvalidSignature")
    assert status_of(bureau_context, bound) == ("done", None)
    assert [b.status for b in batches(bureau_context)] == ["final"]
    # Refusals are caught by the estimate: they used no nonce.
    assert network.w3.eth.get_transaction_count(network.bureau.address) == nonce_before + 2


def test_a_malformed_payload_fails_without_blocking_the_queue(
    bureau_context: BureauContext, network: Network
) -> None:
    broken = queue(bureau_context, "bind_wallet", {"pseudonym": "0x" + PATIENT.hex()})
    bound = queue(bureau_context, "bind_wallet", bind_payload(network))
    Publisher(bureau_context).run_once()
    status, error = status_of(bureau_context, broken)
    assert status == "failed" and error is not None and "wallet" in error
    assert status_of(bureau_context, bound) == ("done", None)


def test_a_correction_supersedes_once_both_settlements_are_final(
    bureau_context: BureauContext,
) -> None:
    old_id, new_id = insert_settlements(bureau_context, range(2))
    supersede = queue(
        bureau_context,
        "supersede_settlement",
        {"old_settlement_id": "0x" + old_id.hex(), "new_settlement_id": "0x" + new_id.hex()},
    )
    with transaction(bureau_context.sessions) as session:
        session.execute(
            update(SettlementRow)
            .where(SettlementRow.settlement_id == old_id)
            .values(superseded_by=new_id, status="superseded")
        )
    publisher = Publisher(bureau_context)

    first = publisher.run_once()
    # The correction came before the batch holding its settlements was committed: it waited.
    assert first.deferred == [supersede]
    assert [b.status for b in batches(bureau_context)] == ["final"]
    attestations = bureau_context.registries.attestations
    assert attestations.superseded_by(old_id) is None

    second = publisher.run_once()
    assert second.done == [supersede]
    assert attestations.superseded_by(old_id) == new_id
    assert publisher.run_once().done == []  # nothing sent twice


def test_an_unknown_settlement_in_a_correction_fails_the_entry(
    bureau_context: BureauContext,
) -> None:
    [known] = insert_settlements(bureau_context, range(1))
    unknown = bytes(32)
    entry = queue(
        bureau_context,
        "supersede_settlement",
        {"old_settlement_id": "0x" + known.hex(), "new_settlement_id": "0x" + unknown.hex()},
    )
    Publisher(bureau_context).run_once()
    status, error = status_of(bureau_context, entry)
    assert status == "failed" and error is not None and "no settlement" in error
