"""AttestationRegistry: bureaus commit Merkle roots; proofs verify; corrections supersede."""

from __future__ import annotations

import pytest
from eth_abi.abi import encode as abi_encode

from trustshare.chain.contract_errors import (
    AttestationRegistryBatchExists,
    AttestationRegistryForeignSettlementId,
    AttestationRegistryInvalidCorrection,
    AttestationRegistryInvalidKind,
    AttestationRegistryMissingRulesVersion,
    AttestationRegistryNotBatchBureau,
    AttestationRegistryNotBureau,
)
from trustshare.chain.registries import BatchKind, SettlementLeaf
from trustshare.crypto.hashing import keccak256
from trustshare.crypto.leaves import SETTLEMENT_LEAF_ENCODING, settlement_id
from trustshare.crypto.merkle import StandardMerkleTree

from ..conftest import Network

RULES = keccak256(b"rules v1")


def settlement_leaves(
    bureau: str, count: int, pseudonym: bytes = b"\x07" * 32
) -> list[SettlementLeaf]:
    return [
        SettlementLeaf(settlement_id(bureau, i), pseudonym, keccak256(b"record-%d" % i), 10_000 + i)
        for i in range(count)
    ]


def tree_of(leaves: list[SettlementLeaf]) -> StandardMerkleTree:
    return StandardMerkleTree.of([leaf.as_tuple() for leaf in leaves], SETTLEMENT_LEAF_ENCODING)


def test_committed_batch_verifies_every_leaf_like_python(network: Network) -> None:
    attestations = network.registries(network.bureau).attestations
    leaves = settlement_leaves(network.bureau.address, 37)
    tree = tree_of(leaves)
    attestations.commit_batch(BatchKind.SETTLEMENT, tree.root, len(leaves), RULES)
    batch = attestations.batch_of(tree.root)
    assert (batch.kind, batch.leaf_count, batch.bureau) == (
        BatchKind.SETTLEMENT,
        37,
        network.bureau.address,
    )
    for index in (0, 17, 36):
        leaf = leaves[index]
        assert attestations.settlement_leaf_hash(leaf) == leaf.leaf_hash()
        assert attestations.verify_settlement(tree.root, leaf, tree.proof(index))
    wrong = SettlementLeaf(
        leaves[0].settlement_id, leaves[0].pseudonym, leaves[0].record_commitment, 1
    )
    assert not attestations.verify_settlement(tree.root, wrong, tree.proof(0))


def test_commit_by_a_non_bureau_is_refused(network: Network) -> None:
    attestations = network.registries(network.insurer).attestations
    with pytest.raises(AttestationRegistryNotBureau) as refused:
        attestations.commit_batch(BatchKind.SETTLEMENT, keccak256(b"r"), 1, RULES)
    assert refused.value.caller == network.insurer.address


def test_bad_batches_are_refused_with_evidence(network: Network) -> None:
    attestations = network.registries(network.bureau).attestations
    with pytest.raises(AttestationRegistryInvalidKind) as kind:
        attestations.commit_batch(BatchKind.NONE, keccak256(b"r"), 1, RULES)
    assert kind.value.kind == 0
    with pytest.raises(AttestationRegistryMissingRulesVersion):
        attestations.commit_batch(BatchKind.SETTLEMENT, keccak256(b"r"), 1, bytes(32))
    attestations.commit_batch(BatchKind.ACCESS_LOG, keccak256(b"r"), 1, bytes(32))
    with pytest.raises(AttestationRegistryBatchExists) as exists:
        attestations.commit_batch(BatchKind.ACCESS_LOG, keccak256(b"r"), 1, bytes(32))
    assert exists.value.bureau == network.bureau.address


def test_correction_supersedes_the_old_settlement(network: Network) -> None:
    attestations = network.registries(network.bureau).attestations
    old, new = settlement_leaves(network.bureau.address, 2)
    old_tree, new_tree = tree_of([old]), tree_of([new])
    attestations.commit_batch(BatchKind.SETTLEMENT, old_tree.root, 1, RULES)
    attestations.commit_batch(BatchKind.SETTLEMENT, new_tree.root, 1, RULES)
    with pytest.raises(AttestationRegistryInvalidCorrection):
        attestations.supersede_settlement(
            old_tree.root, old, old_tree.proof(0), old_tree.root, old, old_tree.proof(0)
        )
    other_bureau = network.registries(network.outsider)
    network.registries(network.operator).participants.register_bureau(
        network.outsider.address, "Other", "http://other"
    )
    with pytest.raises(AttestationRegistryNotBatchBureau):
        other_bureau.attestations.supersede_settlement(
            old_tree.root, old, old_tree.proof(0), new_tree.root, new, new_tree.proof(0)
        )
    attestations.supersede_settlement(
        old_tree.root, old, old_tree.proof(0), new_tree.root, new, new_tree.proof(0)
    )
    assert attestations.superseded_by(old.settlement_id) == new.settlement_id
    assert attestations.superseded_by(new.settlement_id) is None


def test_a_bureau_cannot_correct_another_bureaus_settlement(network: Network) -> None:
    genuine, correction = settlement_leaves(network.bureau.address, 2)
    network.registries(network.operator).participants.register_bureau(
        network.outsider.address, "Rogue", "http://rogue"
    )
    rogue = network.registries(network.outsider).attestations
    # The rogue bureau commits leaves reusing the genuine bureau's settlement id.
    tree = tree_of([genuine, correction])
    rogue.commit_batch(BatchKind.SETTLEMENT, tree.root, 2, RULES)
    with pytest.raises(AttestationRegistryForeignSettlementId) as refused:
        rogue.supersede_settlement(
            tree.root, genuine, tree.proof(0), tree.root, correction, tree.proof(1)
        )
    assert refused.value.settlementId == genuine.settlement_id
    assert rogue.bureau_of(genuine.settlement_id) == network.bureau.address


def test_generic_verify_hashes_the_leaf_itself(network: Network) -> None:
    attestations = network.registries(network.bureau).attestations
    values = [("enrollment", keccak256(b"e%d" % i)) for i in range(4)]
    tree = StandardMerkleTree.of(values, ("string", "bytes32"))
    attestations.commit_batch(BatchKind.ENROLLMENT, tree.root, 4, bytes(32))
    encoded = abi_encode(["string", "bytes32"], list(values[2]))
    assert attestations.verify(tree.root, encoded, tree.proof(2))
    # An inner node of the tree is not a leaf.
    inner = tree.nodes()[1]
    assert not attestations.verify(tree.root, inner, [tree.nodes()[2]])
