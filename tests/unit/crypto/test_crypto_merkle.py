import json
import random
import shutil
import subprocess
from pathlib import Path

import pytest
from eth_abi import encode
from hypothesis import given
from hypothesis import strategies as st

from trustshare.crypto.errors import LeafNotInTreeError, MerkleInputError
from trustshare.crypto.hashing import keccak256
from trustshare.crypto.leaves import SETTLEMENT_LEAF_ENCODING, SettlementLeaf, settlement_leaf_hash
from trustshare.crypto.merkle import (
    StandardMerkleTree,
    hash_pair,
    process_proof,
    standard_leaf_hash,
    verify,
)

REPO = Path(__file__).resolve().parents[3]
ORACLE = REPO / "scripts" / "merkle_oracle.js"
OZ_PACKAGE = REPO / "node_modules" / "@openzeppelin" / "merkle-tree"
SIZES = (1, 2, 3, 7, 8, 100, 1000)

# The example of the @openzeppelin/merkle-tree README ("Building a Tree"); its dump is
# reproduced by every port of the library.
README_VALUES = [
    ("0x1111111111111111111111111111111111111111", 5000000000000000000),
    ("0x2222222222222222222222222222222222222222", 2500000000000000000),
]
README_TREE = [
    "d4dee0beab2d53f2cc83e567171bd2820e49898130a22622b10ead383e90bd77",
    "eb02c421cfa48976e66dfb29120745909ea3a0f843456c263cf8f1253483e283",
    "b92c48e9d7abe27fd8dfd6b5dfdbfb1c9a463f80c712b66f3a5180a090cccafc",
]


def settlement_values(count, seed):
    rng = random.Random(seed)
    return [
        (rng.randbytes(32), rng.randbytes(32), rng.randbytes(32), rng.randrange(2**64))
        for _ in range(count)
    ]


def address_values(count, seed):
    rng = random.Random(seed)
    return [("0x" + rng.randbytes(20).hex(), rng.randrange(2**256)) for _ in range(count)]


def group_values(count, seed):
    rng = random.Random(seed)
    names = ["enrollment", "settlement_summary", "fund_breakdown", "line_items", "diagnosis"]
    return [(names[i % 5] + "😀" * (i // 5), rng.randbytes(32)) for i in range(count)]


def dynamic_values(count, seed):
    rng = random.Random(seed)
    return [
        (
            rng.random() < 0.5,
            rng.randbytes(rng.randrange(70)),
            -rng.randrange(2**200),
            [rng.randrange(2**32) for _ in range(rng.randrange(4))],
        )
        for _ in range(count)
    ]


STANDARD_JOBS = (
    [("settlement", SETTLEMENT_LEAF_ENCODING, settlement_values(n, n), True) for n in SIZES]
    + [("address", ("address", "uint256"), address_values(n, n), True) for n in (1, 3, 8, 100)]
    + [("group", ("string", "bytes32"), group_values(n, n), True) for n in (1, 2, 5, 7)]
    + [
        ("dynamic", ("bool", "bytes", "int256", "uint32[]"), dynamic_values(n, n), True)
        for n in (1, 7, 33)
    ]
    + [("unsorted", SETTLEMENT_LEAF_ENCODING, settlement_values(n, -n), False) for n in (3, 7, 100)]
)
SIMPLE_JOBS = [(n, sort) for n in (1, 5, 100) for sort in (True, False)]


def to_json(value):
    if isinstance(value, bytes):
        return "0x" + value.hex()
    if isinstance(value, bool):
        return value
    if isinstance(value, int):
        return str(value)
    if isinstance(value, list | tuple):
        return [to_json(item) for item in value]
    return value


def simple_leaves(count, seed):
    rng = random.Random(seed)
    return [rng.randbytes(32) for _ in range(count)]


@pytest.fixture(scope="module")
def oracle():
    if shutil.which("node") is None:
        pytest.skip("node is not installed: the @openzeppelin/merkle-tree oracle cannot run")
    if not OZ_PACKAGE.is_dir():
        pytest.skip("node_modules/@openzeppelin/merkle-tree is missing: run `npm ci` first")
    jobs = [
        {
            "kind": "standard",
            "encoding": list(encoding),
            "values": to_json(values),
            "sortLeaves": sort,
        }
        for _, encoding, values, sort in STANDARD_JOBS
    ] + [
        {"kind": "simple", "leaves": to_json(simple_leaves(n, n)), "sortLeaves": sort}
        for n, sort in SIMPLE_JOBS
    ]
    completed = subprocess.run(
        ["node", str(ORACLE)],
        input=json.dumps({"jobs": jobs}),
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    )
    return json.loads(completed.stdout)["results"]


def hexes(nodes):
    return ["0x" + node.hex() for node in nodes]


@pytest.mark.node
@pytest.mark.parametrize(
    "job",
    range(len(STANDARD_JOBS)),
    ids=[f"{name}-{len(values)}" for name, _, values, _ in STANDARD_JOBS],
)
def test_standard_tree_equals_openzeppelin(oracle, job):
    _, encoding, values, sort = STANDARD_JOBS[job]
    expected = oracle[job]
    tree = StandardMerkleTree.of(values, encoding, sort_leaves=sort)
    assert "0x" + tree.root.hex() == expected["root"]
    assert hexes(tree.nodes()) == expected["tree"]
    assert [hexes(tree.proof(i)) for i in range(len(values))] == expected["proofs"]
    assert [("0x" + tree.leaf_hash(i).hex()) for i in range(len(values))] == expected["leafHashes"]


@pytest.mark.node
@pytest.mark.parametrize("job", range(len(SIMPLE_JOBS)), ids=[f"{n}-{s}" for n, s in SIMPLE_JOBS])
def test_tree_from_leaf_hashes_equals_openzeppelin_simple_tree(oracle, job):
    count, sort = SIMPLE_JOBS[job]
    expected = oracle[len(STANDARD_JOBS) + job]
    tree = StandardMerkleTree.from_leaf_hashes(simple_leaves(count, count), sort_leaves=sort)
    assert "0x" + tree.root.hex() == expected["root"]
    assert hexes(tree.nodes()) == expected["tree"]
    assert [hexes(tree.proof(i)) for i in range(count)] == expected["proofs"]


def test_openzeppelin_readme_example_without_node():
    tree = StandardMerkleTree.of(README_VALUES, ["address", "uint256"])
    assert [node.hex() for node in tree.nodes()] == README_TREE
    assert tree.proof(README_VALUES[0]) == [bytes.fromhex(README_TREE[2])]


@given(
    st.binary(min_size=32, max_size=32),
    st.binary(min_size=32, max_size=32),
    st.binary(min_size=32, max_size=32),
    st.integers(0, 2**256 - 1),
)
def test_settlement_leaf_hash_is_the_contracts_double_hash(settlement_id, pseudonym, record, fen):
    encoded = encode(list(SETTLEMENT_LEAF_ENCODING), [settlement_id, pseudonym, record, fen])
    expected = keccak256(keccak256(encoded))
    assert settlement_leaf_hash(settlement_id, pseudonym, record, fen) == expected
    assert (
        standard_leaf_hash(SETTLEMENT_LEAF_ENCODING, (settlement_id, pseudonym, record, fen))
        == expected
    )
    leaf = SettlementLeaf(settlement_id, pseudonym, record, fen)
    assert leaf.leaf_hash() == expected
    assert StandardMerkleTree.of([leaf.as_tuple()], SETTLEMENT_LEAF_ENCODING).root == expected


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ((b"\x00" * 31, b"\x00" * 32, b"\x00" * 32, 1), "settlement_id must be 32 bytes"),
        ((b"\x00" * 32, b"\x00" * 32, b"\x00" * 32, -1), "outside uint256"),
        ((b"\x00" * 32, b"\x00" * 32, b"\x00" * 32, 1.5), "integer number of fen"),
        ((b"\x00" * 32, b"\x00" * 32, b"\x00" * 32, True), "integer number of fen"),
    ],
)
def test_settlement_leaf_hash_refuses_bad_values(args, message):
    with pytest.raises(MerkleInputError, match=message):
        settlement_leaf_hash(*args)


@given(st.lists(st.binary(min_size=32, max_size=32), min_size=1, max_size=40), st.booleans())
def test_every_proof_verifies_and_lookups_agree(leaves, sort):
    tree = StandardMerkleTree.from_leaf_hashes(leaves, sort_leaves=sort)
    assert len(tree) == len(leaves)
    for index, leaf in enumerate(leaves):
        proof = tree.proof(index)
        assert len(proof) <= len(leaves).bit_length()
        assert verify(tree.root, leaf, proof)
        assert process_proof(leaf, proof) == tree.root
        assert verify(tree.root, leaf, tree.proof_for_leaf_hash(leaf))


def test_a_single_leaf_is_its_own_root():
    leaf = keccak256(b"only")
    tree = StandardMerkleTree.from_leaf_hashes([leaf])
    assert tree.root == leaf
    assert tree.proof(0) == []


def test_hash_pair_is_commutative_and_sorted():
    a, b = keccak256(b"a"), keccak256(b"b")
    assert hash_pair(a, b) == hash_pair(b, a) == keccak256(min(a, b) + max(a, b))


def test_a_tampered_proof_or_leaf_does_not_verify():
    values = settlement_values(9, 1)
    tree = StandardMerkleTree.of(values, SETTLEMENT_LEAF_ENCODING)
    leaf = tree.leaf_hash(4)
    proof = tree.proof(4)
    assert verify(tree.root, leaf, proof)
    assert not verify(tree.root, tree.leaf_hash(5), proof)
    assert not verify(tree.root, leaf, proof[:-1])
    bad = [*proof]
    bad[0] = bytes([bad[0][0] ^ 1]) + bad[0][1:]
    assert not verify(tree.root, leaf, bad)
    # An inner node is never accepted as a leaf, thanks to the double-hashed leaves.
    assert tree.proof(values[4]) == proof


def test_missing_leaves_and_bad_indices_are_reported():
    tree = StandardMerkleTree.of(settlement_values(5, 2), SETTLEMENT_LEAF_ENCODING)
    with pytest.raises(LeafNotInTreeError, match="not in the tree"):
        tree.proof(settlement_values(1, 99)[0])
    with pytest.raises(LeafNotInTreeError, match=r"outside 0\.\.4"):
        tree.proof(5)
    with pytest.raises(LeafNotInTreeError):
        StandardMerkleTree.from_leaf_hashes(
            [keccak256(b"x"), keccak256(b"y")], sort_leaves=False
        ).proof_for_leaf_hash(keccak256(b"z"))
    hashes_only = StandardMerkleTree.from_leaf_hashes([keccak256(b"x")])
    with pytest.raises(MerkleInputError, match="built from hashes"):
        hashes_only.proof(("a", 1))


def test_malformed_input_is_refused():
    with pytest.raises(MerkleInputError, match="at least one leaf"):
        StandardMerkleTree.from_leaf_hashes([])
    with pytest.raises(MerkleInputError, match="32 bytes, got 31"):
        StandardMerkleTree.from_leaf_hashes([bytes(31)])
    with pytest.raises(MerkleInputError, match="proof element must be 32 bytes"):
        process_proof(bytes(32), [bytes(33)])
    with pytest.raises(MerkleInputError, match="declares 4 types"):
        standard_leaf_hash(SETTLEMENT_LEAF_ENCODING, (bytes(32),))
    with pytest.raises(MerkleInputError, match="do not encode"):
        standard_leaf_hash(["uint8"], (300,))


@pytest.mark.parametrize("sort", [True, False])
def test_serialised_tree_round_trips_and_detects_corruption(sort):
    values = settlement_values(13, 3)
    tree = StandardMerkleTree.of(values, SETTLEMENT_LEAF_ENCODING, sort_leaves=sort)
    data = tree.to_bytes()
    loaded = StandardMerkleTree.from_bytes(data, leaf_encoding=SETTLEMENT_LEAF_ENCODING)
    assert loaded.root == tree.root
    assert [loaded.proof(i) for i in range(13)] == [tree.proof(i) for i in range(13)]
    assert loaded.proof(values[7]) == tree.proof(7)
    corrupt = bytearray(data)
    corrupt[-(4 * 13 if sort else 1) - 5] ^= 1
    with pytest.raises(MerkleInputError):
        StandardMerkleTree.from_bytes(bytes(corrupt))
    with pytest.raises(MerkleInputError, match="bytes, expected"):
        StandardMerkleTree.from_bytes(data[:-1])


def test_large_tree_builds_quickly_and_keeps_proofs_logarithmic():
    leaves = [keccak256(i.to_bytes(4, "big")) for i in range(20_000)]
    tree = StandardMerkleTree.from_leaf_hashes(iter(leaves))
    proof = tree.proof(12_345)
    assert len(proof) in (14, 15)
    assert verify(tree.root, leaves[12_345], proof)


def test_settlement_ids_start_with_the_bureau_address() -> None:
    from trustshare.crypto.errors import MerkleInputError
    from trustshare.crypto.leaves import bureau_of, local_id_of_reference, settlement_id

    bureau = "0x70997970C51812dc3A010C7d01b50e0d17dc79C8"
    identifier = settlement_id(bureau, local_id_of_reference("BJ-SETL-2025-000187"))
    assert len(identifier) == 32
    assert bureau_of(identifier) == bureau
    assert settlement_id(bureau, 1)[-12:] == (1).to_bytes(12, "big")
    assert local_id_of_reference("a") != local_id_of_reference("b")
    for bad in (-1, 1 << 96):
        with pytest.raises(MerkleInputError):
            settlement_id(bureau, bad)
    with pytest.raises(MerkleInputError):
        settlement_id("0x1234", 1)
    with pytest.raises(MerkleInputError):
        local_id_of_reference("")


def test_a_trusted_load_serves_proofs_checked_against_the_root() -> None:
    from trustshare.crypto.errors import MerkleInputError
    from trustshare.crypto.merkle import StandardMerkleTree, proof_reaching

    tree = StandardMerkleTree.of([[i] for i in range(50)], ["uint256"])
    stored = tree.to_bytes()
    loaded = StandardMerkleTree.from_bytes(stored, check_nodes=False)
    assert proof_reaching(loaded, 17, tree.root) == tree.proof(17)
    # A corrupted node on the proof's path is caught by the O(log n) check.
    corrupted = bytearray(stored)
    leaf_area_end = len(stored) - 4 * 50  # the sorted-leaf index follows the nodes
    corrupted[leaf_area_end - 32 * 10] ^= 0xFF  # a byte of one leaf node
    damaged = StandardMerkleTree.from_bytes(bytes(corrupted), check_nodes=False)
    failures = 0
    for index in range(50):
        try:
            proof_reaching(damaged, index, tree.root)
        except MerkleInputError:
            failures += 1
    assert failures > 0
    with pytest.raises(MerkleInputError):
        StandardMerkleTree.from_bytes(bytes(corrupted))
