"""ClaimRegistry seen from Python: proofs, consent, uniqueness and the ceiling."""

from __future__ import annotations

import pytest

from trustshare.chain.contract_errors import (
    ClaimRegistryCeilingExceeded,
    ClaimRegistryConsentMissing,
    ClaimRegistryDuplicateClaim,
    ClaimRegistryForeignSettlementId,
    ClaimRegistryInvalidProof,
    ClaimRegistryNotClaimant,
    ClaimRegistrySettlementSuperseded,
    ClaimRegistryUnknownBatch,
)
from trustshare.chain.registries import BatchKind, ClaimRequest, PermissionStatus, SettlementLeaf
from trustshare.crypto.eip712 import consent_id
from trustshare.crypto.hashing import keccak256
from trustshare.crypto.leaves import SETTLEMENT_LEAF_ENCODING, settlement_id
from trustshare.crypto.merkle import StandardMerkleTree

from ..conftest import Network
from .consent_helpers import PSEUDONYM, bind_patient, claim_terms, relay_grant

RULES = keccak256(b"rules v1")
CEILING = 50_000


def committed_settlements(
    network: Network, count: int = 5
) -> tuple[StandardMerkleTree, list[SettlementLeaf]]:
    leaves = [
        SettlementLeaf(
            settlement_id(network.bureau.address, i), PSEUDONYM, keccak256(b"rec-%d" % i), CEILING
        )
        for i in range(count)
    ]
    tree = StandardMerkleTree.of([leaf.as_tuple() for leaf in leaves], SETTLEMENT_LEAF_ENCODING)
    network.registries(network.bureau).attestations.commit_batch(
        BatchKind.SETTLEMENT, tree.root, count, RULES
    )
    return tree, leaves


def consented(network: Network, *insurers) -> None:
    bind_patient(network)
    for insurer in insurers:
        relay_grant(network, claim_terms(network, insurer))


def request(
    tree: StandardMerkleTree, leaves: list[SettlementLeaf], index: int, amount: int
) -> ClaimRequest:
    return ClaimRequest(tree.root, leaves[index], tree.proof(index), amount)


def test_claim_is_recorded_once_and_the_double_claim_refused(network: Network) -> None:
    consented(network, network.insurer)
    tree, leaves = committed_settlements(network)
    claims = network.registries(network.insurer).claims
    outcome = claims.record_claim(request(tree, leaves, 2, 12_000))
    assert claims.events(outcome, "ClaimRecorded")[0]["totalClaimedFen"] == 12_000
    assert claims.claim_of(leaves[2].settlement_id, network.insurer.address).amount_fen == 12_000
    with pytest.raises(ClaimRegistryDuplicateClaim) as refused:
        claims.record_claim(request(tree, leaves, 2, 1))
    assert refused.value.settlementId == leaves[2].settlement_id
    assert refused.value.amountFen == 12_000
    assert claims.total_claimed_fen(leaves[2].settlement_id) == 12_000


def test_two_insurers_together_stay_within_the_ceiling(network: Network) -> None:
    consented(network, network.insurer, network.insurer_b)
    tree, leaves = committed_settlements(network)
    network.registries(network.insurer).claims.record_claim(request(tree, leaves, 0, 30_000))
    with pytest.raises(ClaimRegistryCeilingExceeded) as refused:
        network.registries(network.insurer_b).claims.record_claim(request(tree, leaves, 0, 20_001))
    assert (refused.value.ceilingFen, refused.value.claimedFen, refused.value.requestedFen) == (
        CEILING,
        30_000,
        20_001,
    )
    network.registries(network.insurer_b).claims.record_claim(request(tree, leaves, 0, 20_000))
    assert network.registries().claims.total_claimed_fen(leaves[0].settlement_id) == CEILING


def test_wrong_proof_and_uncommitted_root_are_refused(network: Network) -> None:
    consented(network, network.insurer)
    tree, leaves = committed_settlements(network)
    claims = network.registries(network.insurer).claims
    with pytest.raises(ClaimRegistryInvalidProof) as wrong_proof:
        claims.record_claim(ClaimRequest(tree.root, leaves[1], tree.proof(2), 100))
    assert wrong_proof.value.leaf == leaves[1].leaf_hash()
    uncommitted = keccak256(b"never committed")
    with pytest.raises(ClaimRegistryUnknownBatch) as unknown:
        claims.record_claim(ClaimRequest(uncommitted, leaves[1], tree.proof(1), 100))
    assert unknown.value.root == uncommitted


def test_claim_without_consent_names_the_reason(network: Network) -> None:
    consented(network, network.insurer)
    tree, leaves = committed_settlements(network)
    with pytest.raises(ClaimRegistryConsentMissing) as no_consent:
        network.registries(network.insurer_b).claims.record_claim(request(tree, leaves, 0, 100))
    assert no_consent.value.status == PermissionStatus.NO_CONSENT
    terms = claim_terms(network, network.insurer)
    current = network.registries().consents.consent_of(PSEUDONYM, network.insurer.address)
    network.fund(network.patient)
    network.registries(network.patient).consents.revoke(
        PSEUDONYM, network.insurer.address, current.consent_id
    )
    assert current.consent_id == consent_id(terms, 0)
    with pytest.raises(ClaimRegistryConsentMissing) as revoked:
        network.registries(network.insurer).claims.record_claim(request(tree, leaves, 0, 100))
    assert revoked.value.status == PermissionStatus.REVOKED


def test_superseded_settlement_refuses_claims_and_its_claims_get_reversed(network: Network) -> None:
    consented(network, network.insurer, network.insurer_b)
    tree, leaves = committed_settlements(network)
    network.registries(network.insurer).claims.record_claim(request(tree, leaves, 3, 9_000))
    with pytest.raises(ClaimRegistryNotClaimant):
        network.registries(network.outsider).claims.reverse_claim(
            leaves[3].settlement_id, network.insurer.address
        )
    correction = SettlementLeaf(
        settlement_id(network.bureau.address, 1_000), PSEUDONYM, keccak256(b"rec-refund"), 1_000
    )
    correction_tree = StandardMerkleTree.of([correction.as_tuple()], SETTLEMENT_LEAF_ENCODING)
    bureau = network.registries(network.bureau).attestations
    bureau.commit_batch(BatchKind.SETTLEMENT, correction_tree.root, 1, RULES)
    bureau.supersede_settlement(
        tree.root,
        leaves[3],
        tree.proof(3),
        correction_tree.root,
        correction,
        correction_tree.proof(0),
    )
    with pytest.raises(ClaimRegistrySettlementSuperseded) as refused:
        network.registries(network.insurer_b).claims.record_claim(request(tree, leaves, 3, 100))
    assert refused.value.supersededBy == correction.settlement_id
    # Once superseded, anyone may reverse the stale claim.
    network.registries(network.outsider).claims.reverse_claim(
        leaves[3].settlement_id, network.insurer.address
    )
    claim = network.registries().claims.claim_of(leaves[3].settlement_id, network.insurer.address)
    assert claim.reversed
    assert network.registries().claims.total_claimed_fen(leaves[3].settlement_id) == 0


def test_batched_claims_are_all_or_nothing(network: Network) -> None:
    consented(network, network.insurer)
    tree, leaves = committed_settlements(network)
    claims = network.registries(network.insurer).claims
    good = [request(tree, leaves, i, 1_000) for i in range(3)]
    with pytest.raises(ClaimRegistryCeilingExceeded):
        claims.record_claims([*good, request(tree, leaves, 4, CEILING + 1)])
    assert all(claims.total_claimed_fen(leaf.settlement_id) == 0 for leaf in leaves)
    claims.record_claims(good)
    assert [claims.total_claimed_fen(leaves[i].settlement_id) for i in range(4)] == [1_000] * 3 + [
        0
    ]


def test_another_bureau_recommitting_an_id_cannot_raise_its_ceiling(network: Network) -> None:
    consented(network, network.insurer, network.insurer_b)
    tree, leaves = committed_settlements(network)
    network.registries(network.insurer).claims.record_claim(request(tree, leaves, 0, CEILING))
    network.registries(network.operator).participants.register_bureau(
        network.outsider.address, "Rogue", "http://rogue"
    )
    inflated = SettlementLeaf(
        leaves[0].settlement_id, PSEUDONYM, leaves[0].record_commitment, 2 * CEILING
    )
    rogue_tree = StandardMerkleTree.of([inflated.as_tuple()], SETTLEMENT_LEAF_ENCODING)
    network.registries(network.outsider).attestations.commit_batch(
        BatchKind.SETTLEMENT, rogue_tree.root, 1, RULES
    )
    with pytest.raises(ClaimRegistryForeignSettlementId) as refused:
        network.registries(network.insurer_b).claims.record_claim(
            ClaimRequest(rogue_tree.root, inflated, rogue_tree.proof(0), 1_000)
        )
    assert refused.value.bureau == network.outsider.address
