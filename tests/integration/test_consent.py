"""ConsentRegistry seen from Python: the same refusals as typed exceptions, same hashes."""

from __future__ import annotations

import pytest

from trustshare.chain.contract_errors import (
    ConsentRegistryAlreadyRevoked,
    ConsentRegistryBoundByOtherBureau,
    ConsentRegistryExpiredSignature,
    ConsentRegistryInsurerInactive,
    ConsentRegistryInvalidNonce,
    ConsentRegistryInvalidScopesOrPurposes,
    ConsentRegistryInvalidSignature,
    ConsentRegistryInvalidWindow,
    ConsentRegistryMalleableSignature,
    ConsentRegistryNotBureau,
    ConsentRegistryUnboundPseudonym,
)
from trustshare.chain.registries import PermissionStatus
from trustshare.crypto.eip712 import (
    ConsentDomain,
    ConsentTerms,
    consent_id,
    grant_digest,
    revocation_digest,
    sign_grant,
    sign_revocation,
)
from trustshare.crypto.signatures import split_signature, to_high_s_twin
from trustshare.crypto.vocabulary import Purpose, Scope

from ..conftest import Network
from .consent_helpers import DAY, PSEUDONYM, bind_patient, claim_terms, domain_of, relay_grant

CLAIM = (Scope.SETTLEMENT_SUMMARY, Purpose.CLAIM)


def signed(network: Network, terms: ConsentTerms, *, domain: ConsentDomain | None = None):
    consents = network.registries().consents
    nonce = consents.nonce_of(PSEUDONYM)
    deadline = network.now() + 3600
    signature = sign_grant(
        network.patient.key, domain or domain_of(network), terms, nonce, deadline
    )
    return nonce, deadline, signature


def test_python_ids_and_digests_equal_the_contracts(network: Network) -> None:
    consents = network.registries().consents
    terms = claim_terms(network, network.insurer)
    assert consents.consent_id_of(terms, 5) == consent_id(terms, 5)
    assert consents.grant_digest(terms, 5, 99) == grant_digest(domain_of(network), terms, 5, 99)
    assert consents.revocation_digest(PSEUDONYM, network.insurer.address, b"\x01" * 32, 7) == (
        revocation_digest(domain_of(network), PSEUDONYM, network.insurer.address, b"\x01" * 32, 7)
    )


def test_relayed_grant_takes_effect_and_revocation_ends_it(network: Network) -> None:
    bind_patient(network)
    terms = claim_terms(network, network.insurer)
    outcome = relay_grant(network, terms)
    consents = network.registries(network.bureau).consents
    granted = consents.events(outcome, "ConsentGranted")[0]
    assert granted["consentId"] == consent_id(terms, 0)
    assert consents.is_permitted(PSEUDONYM, network.insurer.address, *CLAIM)
    assert consents.permission_of(
        PSEUDONYM, network.insurer.address, Scope.LINE_ITEMS, Purpose.CLAIM
    ) is (PermissionStatus.SCOPE_NOT_COVERED)
    deadline = network.now() + 3600
    signature = sign_revocation(
        network.patient.key,
        domain_of(network),
        PSEUDONYM,
        network.insurer.address,
        consent_id(terms, 0),
        deadline,
    )
    consents.revoke_by_signature(
        PSEUDONYM, network.insurer.address, consent_id(terms, 0), deadline, signature
    )
    assert (
        consents.permission_of(PSEUDONYM, network.insurer.address, *CLAIM)
        is PermissionStatus.REVOKED
    )
    with pytest.raises(ConsentRegistryAlreadyRevoked):
        consents.revoke_by_signature(
            PSEUDONYM, network.insurer.address, consent_id(terms, 0), deadline, signature
        )


def test_replayed_signature_is_refused_with_the_expected_nonce(network: Network) -> None:
    bind_patient(network)
    terms = claim_terms(network, network.insurer)
    nonce, deadline, signature = signed(network, terms)
    consents = network.registries(network.bureau).consents
    consents.grant_by_signature(terms, nonce, deadline, signature)
    with pytest.raises(ConsentRegistryInvalidNonce) as refused:
        consents.grant_by_signature(terms, nonce, deadline, signature)
    assert (refused.value.expected, refused.value.given) == (1, 0)
    assert consents.nonce_of(PSEUDONYM) == 1


@pytest.mark.parametrize("wrong", ["chain_id", "verifying_contract"])
def test_signature_for_another_domain_is_refused(network: Network, wrong: str) -> None:
    bind_patient(network)
    terms = claim_terms(network, network.insurer)
    right = domain_of(network)
    other = (
        ConsentDomain(1, right.verifying_contract)
        if wrong == "chain_id"
        else ConsentDomain(right.chain_id, network.deployment.claim_registry)
    )
    nonce, deadline, signature = signed(network, terms, domain=other)
    with pytest.raises(ConsentRegistryInvalidSignature) as refused:
        network.registries(network.bureau).consents.grant_by_signature(
            terms, nonce, deadline, signature
        )
    assert refused.value.wallet == network.patient.address
    assert refused.value.recovered != network.patient.address


def test_high_s_twin_of_a_valid_signature_is_refused(network: Network) -> None:
    bind_patient(network)
    terms = claim_terms(network, network.insurer)
    nonce, deadline, signature = signed(network, terms)
    twin = to_high_s_twin(signature)
    with pytest.raises(ConsentRegistryMalleableSignature) as refused:
        network.registries(network.bureau).consents.grant_by_signature(terms, nonce, deadline, twin)
    assert int.from_bytes(refused.value.s, "big") == split_signature(twin)[2]


def test_expired_deadline_is_refused(network: Network) -> None:
    bind_patient(network)
    terms = claim_terms(network, network.insurer)
    nonce, deadline, signature = signed(network, terms)
    network.advance_time(3601)
    with pytest.raises(ConsentRegistryExpiredSignature) as refused:
        network.registries(network.bureau).consents.grant_by_signature(
            terms, nonce, deadline, signature
        )
    assert refused.value.deadline == deadline


def test_consent_outside_its_window_does_not_permit(network: Network) -> None:
    bind_patient(network)
    now = network.now()
    terms = ConsentTerms(PSEUDONYM, network.insurer.address, *CLAIM, now + DAY, now + 2 * DAY)
    relay_grant(network, terms)
    consents = network.registries().consents
    assert consents.permission_of(PSEUDONYM, network.insurer.address, *CLAIM) is (
        PermissionStatus.NOT_YET_VALID
    )
    network.advance_time(DAY + 10)
    assert consents.is_permitted(PSEUDONYM, network.insurer.address, *CLAIM)
    network.advance_time(DAY + 10)
    assert consents.permission_of(PSEUDONYM, network.insurer.address, *CLAIM) is (
        PermissionStatus.EXPIRED
    )


def test_window_ending_before_it_starts_is_refused(network: Network) -> None:
    bind_patient(network)
    now = network.now()
    terms = ConsentTerms(PSEUDONYM, network.insurer.address, *CLAIM, now + DAY, now + 10)
    with pytest.raises(ConsentRegistryInvalidWindow):
        relay_grant(network, terms)


def test_unknown_scope_bits_are_refused(network: Network) -> None:
    bind_patient(network)
    now = network.now()
    terms = ConsentTerms(PSEUDONYM, network.insurer.address, 1 << 9, Purpose.CLAIM, now, now + DAY)
    with pytest.raises(ConsentRegistryInvalidScopesOrPurposes) as refused:
        relay_grant(network, terms)
    assert refused.value.scopes == 1 << 9


def test_unknown_and_removed_insurers_get_no_consent(network: Network) -> None:
    bind_patient(network)
    with pytest.raises(ConsentRegistryInsurerInactive) as unknown:
        relay_grant(network, claim_terms(network, network.outsider))
    assert unknown.value.insurer == network.outsider.address
    relay_grant(network, claim_terms(network, network.insurer_b))
    network.registries(network.operator).participants.remove(network.insurer_b.address)
    assert (
        network.registries().consents.permission_of(PSEUDONYM, network.insurer_b.address, *CLAIM)
        is PermissionStatus.INSURER_INACTIVE
    )
    with pytest.raises(ConsentRegistryInsurerInactive):
        relay_grant(network, claim_terms(network, network.insurer_b))


def test_binding_rules(network: Network) -> None:
    consents = network.registries(network.insurer).consents
    with pytest.raises(ConsentRegistryNotBureau):
        consents.bind_wallet(PSEUDONYM, network.patient.address)
    with pytest.raises(ConsentRegistryUnboundPseudonym):
        relay_grant(network, claim_terms(network, network.insurer))
    bind_patient(network)
    network.registries(network.operator).participants.register_bureau(
        network.outsider.address, "Other bureau", "http://other"
    )
    with pytest.raises(ConsentRegistryBoundByOtherBureau) as refused:
        network.registries(network.outsider).consents.bind_wallet(
            PSEUDONYM, network.outsider.address
        )
    assert refused.value.bureau == network.bureau.address


def test_rebinding_after_key_loss_moves_the_signing_right(network: Network) -> None:
    bind_patient(network)
    network.registries(network.bureau).consents.bind_wallet(PSEUDONYM, network.outsider.address)
    terms = claim_terms(network, network.insurer)
    nonce, deadline, old_wallet_signature = signed(network, terms)
    with pytest.raises(ConsentRegistryInvalidSignature):
        network.registries(network.bureau).consents.grant_by_signature(
            terms, nonce, deadline, old_wallet_signature
        )
    new_signature = sign_grant(network.outsider.key, domain_of(network), terms, nonce, deadline)
    network.registries(network.bureau).consents.grant_by_signature(
        terms, nonce, deadline, new_signature
    )
    assert network.registries().consents.is_permitted(PSEUDONYM, network.insurer.address, *CLAIM)


def test_a_new_grant_replaces_and_a_revoked_consent_never_returns(network: Network) -> None:
    bind_patient(network)
    first = claim_terms(network, network.insurer)
    relay_grant(network, first)
    narrower = ConsentTerms(
        PSEUDONYM,
        network.insurer.address,
        Scope.SETTLEMENT_SUMMARY,
        Purpose.CLAIM,
        first.not_before,
        first.not_after,
    )
    outcome = relay_grant(network, narrower)
    consents = network.registries(network.bureau).consents
    replaced = consents.events(outcome, "ConsentRevoked")[0]
    assert replaced["consentId"] == consent_id(first, 0)
    assert replaced["replacedBy"] == consent_id(narrower, 1)
    assert (
        consents.consent_of(PSEUDONYM, network.insurer.address).scopes == Scope.SETTLEMENT_SUMMARY
    )


def test_a_removed_bureaus_pseudonyms_pass_to_its_designated_successor(network: Network) -> None:
    bind_patient(network)
    participants = network.registries(network.operator).participants
    participants.register_bureau(network.outsider.address, "Successor", "http://successor")
    participants.remove(network.bureau.address)
    successor = network.registries(network.outsider).consents
    with pytest.raises(ConsentRegistryBoundByOtherBureau):
        successor.bind_wallet(PSEUDONYM, network.outsider.address)  # not designated yet
    participants.designate_successor(network.bureau.address, network.outsider.address)
    assert participants.successor_of(network.bureau.address) == network.outsider.address
    successor.bind_wallet(PSEUDONYM, network.outsider.address)
    assert successor.binding_of(PSEUDONYM) == (network.outsider.address, network.outsider.address)


def test_an_empty_scope_or_purpose_is_never_permitted(network: Network) -> None:
    bind_patient(network)
    relay_grant(network, claim_terms(network, network.insurer))
    consents = network.registries().consents
    assert consents.permission_of(PSEUDONYM, network.insurer.address, 0, Purpose.CLAIM) is (
        PermissionStatus.SCOPE_NOT_COVERED
    )
    assert (
        consents.permission_of(PSEUDONYM, network.insurer.address, Scope.SETTLEMENT_SUMMARY, 0)
        is PermissionStatus.PURPOSE_NOT_COVERED
    )
