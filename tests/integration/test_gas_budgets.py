"""Gas budgets (gas is deterministic, so these are asserted, not benchmarked).

Budgets from the foundation issue; figures are the receipts' gasUsed, i.e. everything the sender
pays for: the 21,000 base, calldata, and execution. Measured figures: docs/CONTRACTS.md.
"""

from __future__ import annotations

import secrets

import pytest

from trustshare.chain.registries import BatchKind, ClaimRequest, SettlementLeaf
from trustshare.crypto.eip712 import sign_revocation
from trustshare.crypto.hashing import keccak256
from trustshare.crypto.leaves import settlement_id
from trustshare.crypto.merkle import process_proof

from ..conftest import Network
from .consent_helpers import PSEUDONYM, bind_patient, claim_terms, domain_of, relay_grant

COMMIT_BUDGET = 60_000
CLAIM_DEPTH_20_BUDGET = 90_000
RELAYED_GRANT_BUDGET = 150_000
REVOKE_BUDGET = 40_000
RELAYED_REVOKE_BUDGET = 45_000


@pytest.mark.parametrize("leaf_count", [1, 1_000, 1_048_576, 2**32 - 1])
def test_batch_commit_costs_the_same_whatever_its_size(network: Network, leaf_count: int) -> None:
    attestations = network.registries(network.bureau).attestations
    outcome = attestations.commit_batch(
        BatchKind.SETTLEMENT, secrets.token_bytes(32), leaf_count, keccak256(b"rules")
    )
    assert outcome.gas_used <= COMMIT_BUDGET


def test_claims_with_a_depth_20_proof_stay_within_budget(network: Network) -> None:
    bind_patient(network)
    relay_grant(network, claim_terms(network, network.insurer))
    relay_grant(network, claim_terms(network, network.insurer_b))
    leaf = SettlementLeaf(
        settlement_id(network.bureau.address, 7), PSEUDONYM, secrets.token_bytes(32), 900_000
    )
    proof = [secrets.token_bytes(32) for _ in range(20)]  # a batch of ~1 M settlements
    root = process_proof(leaf.leaf_hash(), proof)
    network.registries(network.bureau).attestations.commit_batch(
        BatchKind.SETTLEMENT, root, 1_000_000, keccak256(b"rules")
    )
    first = network.registries(network.insurer).claims.record_claim(
        ClaimRequest(root, leaf, proof, 300_000)
    )
    second = network.registries(network.insurer_b).claims.record_claim(
        ClaimRequest(root, leaf, proof, 300_000)
    )
    assert first.gas_used <= CLAIM_DEPTH_20_BUDGET
    assert second.gas_used <= CLAIM_DEPTH_20_BUDGET


def test_relayed_grant_and_revocations_stay_within_budget(network: Network) -> None:
    bind_patient(network)
    terms = claim_terms(network, network.insurer)
    grant = relay_grant(network, terms)  # first grant: fresh nonce and consent slots, worst case
    assert grant.gas_used <= RELAYED_GRANT_BUDGET

    network.fund(network.patient)
    consents = network.registries(network.patient).consents
    current = consents.consent_of(PSEUDONYM, network.insurer.address)
    revoke = consents.revoke(PSEUDONYM, network.insurer.address, current.consent_id)
    assert revoke.gas_used <= REVOKE_BUDGET

    relay_grant(network, claim_terms(network, network.insurer_b))
    current_b = consents.consent_of(PSEUDONYM, network.insurer_b.address)
    deadline = network.now() + 600
    signature = sign_revocation(
        network.patient.key,
        domain_of(network),
        PSEUDONYM,
        network.insurer_b.address,
        current_b.consent_id,
        deadline,
    )
    relayed = network.registries(network.bureau).consents.revoke_by_signature(
        PSEUDONYM, network.insurer_b.address, current_b.consent_id, deadline, signature
    )
    assert relayed.gas_used <= RELAYED_REVOKE_BUDGET
