"""Helpers shared by the consent and claim integration tests."""

from __future__ import annotations

from eth_account.signers.local import LocalAccount

from trustshare.chain.sender import TxOutcome
from trustshare.crypto.eip712 import ConsentDomain, ConsentTerms, sign_grant
from trustshare.crypto.hashing import keccak256
from trustshare.crypto.vocabulary import Purpose, Scope

from ..conftest import Network

PSEUDONYM = keccak256(b"test pseudonym: in production an HMAC of the ID number")
DAY = 86_400


def domain_of(network: Network) -> ConsentDomain:
    return ConsentDomain(network.w3.eth.chain_id, network.deployment.consent_registry)


def claim_terms(network: Network, insurer: LocalAccount, *, days: int = 30) -> ConsentTerms:
    now = network.now()
    return ConsentTerms(
        PSEUDONYM,
        insurer.address,
        Scope.SETTLEMENT_SUMMARY | Scope.FUND_BREAKDOWN,
        Purpose.CLAIM,
        now,
        now + days * DAY,
    )


def bind_patient(network: Network) -> None:
    network.registries(network.bureau).consents.bind_wallet(PSEUDONYM, network.patient.address)


def relay_grant(network: Network, terms: ConsentTerms, *, deadline_in: int = 3600) -> TxOutcome:
    consents = network.registries(network.bureau).consents
    nonce = consents.nonce_of(terms.pseudonym)
    deadline = network.now() + deadline_in
    signature = sign_grant(network.patient.key, domain_of(network), terms, nonce, deadline)
    return consents.grant_by_signature(terms, nonce, deadline, signature)
