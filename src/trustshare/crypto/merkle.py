"""Merkle trees identical to OpenZeppelin's `@openzeppelin/merkle-tree` (v1) StandardMerkleTree.

- leaf hash: `keccak256(keccak256(abi.encode(values)))` for the declared ABI types (the double
  hash keeps a 64-byte leaf from ever being mistaken for an inner node);
- inner node: `keccak256(min(a, b) ‖ max(a, b))` (sorted pairs, so proofs carry no directions and
  OpenZeppelin's `MerkleProof.verify` accepts them);
- leaves sorted by hash (OpenZeppelin's default `sortLeaves: true`), then laid out as a complete
  binary tree in one array: `tree[len - 1 - i]` is sorted leaf `i`, node `k` has children
  `2k + 1` and `2k + 2`, `tree[0]` is the root.

Only hashes are kept, packed into one `bytearray` (32 bytes per node, 2n - 1 nodes: 64 MB for a
million leaves); a proof is O(log n) and a lookup by leaf hash a binary search.
"""

from __future__ import annotations

import struct
import sys
from array import array
from collections.abc import Iterable, Sequence
from typing import Any

from eth_abi.abi import encode as abi_encode

from trustshare.crypto.errors import LeafNotInTreeError, MerkleInputError
from trustshare.crypto.hashing import keccak256

NODE_BYTES = 32
_MAGIC = b"TSMT\x01"
_HEADER = struct.Struct(">5sBI")  # magic, sorted flag, leaf count
_MAX_LEAVES = 2**31


def hash_pair(a: bytes, b: bytes) -> bytes:
    """Hash two nodes as OpenZeppelin does: keccak256 of the pair in ascending byte order."""
    return keccak256(a + b if a < b else b + a)


def standard_leaf_hash(leaf_encoding: Sequence[str], values: Sequence[Any]) -> bytes:
    """Return `keccak256(keccak256(abi.encode(values)))` for the given ABI types."""
    if len(leaf_encoding) != len(values):
        raise MerkleInputError(
            f"leaf has {len(values)} values but the encoding declares {len(leaf_encoding)} types"
        )
    try:
        encoded = abi_encode(list(leaf_encoding), list(values))
    except Exception as error:  # eth_abi raises several unrelated types
        message = f"leaf values do not encode as {list(leaf_encoding)}: {error}"
        raise MerkleInputError(message) from error
    return keccak256(keccak256(encoded))


def process_proof(leaf_hash: bytes, proof: Sequence[bytes]) -> bytes:
    """Return the root implied by a leaf hash and its proof (OpenZeppelin `processProof`)."""
    _check_node(leaf_hash, "leaf hash")
    node = leaf_hash
    for sibling in proof:
        _check_node(sibling, "proof element")
        node = hash_pair(node, sibling)
    return node


def verify(root: bytes, leaf_hash: bytes, proof: Sequence[bytes]) -> bool:
    """Whether `proof` proves `leaf_hash` under `root` (Solidity `MerkleProof.verify`)."""
    _check_node(root, "root")
    return process_proof(leaf_hash, proof) == root


class StandardMerkleTree:
    """A built tree: its root, and proofs for its leaves.

    Build with `of(values, leaf_encoding)` or, when leaf hashes are computed elsewhere (for
    example streamed from a database), with `from_leaf_hashes(hashes)`. Leaf indices are input
    positions, as in OpenZeppelin's `getProof(i)`.
    """

    __slots__ = ("_leaf_count", "_leaf_encoding", "_nodes", "_tree_index_of")

    def __init__(
        self,
        nodes: bytearray,
        leaf_count: int,
        tree_index_of: array[int] | None,
        leaf_encoding: tuple[str, ...] | None,
    ) -> None:
        """Wrap already-built nodes; use `of`, `from_leaf_hashes` or `from_bytes` instead."""
        self._nodes = nodes
        self._leaf_count = leaf_count
        self._tree_index_of = tree_index_of
        self._leaf_encoding = leaf_encoding

    # ------------------------------------------------------------------ building

    @classmethod
    def of(
        cls,
        values: Iterable[Sequence[Any]],
        leaf_encoding: Sequence[str],
        *,
        sort_leaves: bool = True,
    ) -> StandardMerkleTree:
        """Build from leaf values encoded with the given ABI types (`["address", "uint256"]`)."""
        encoding = tuple(leaf_encoding)
        hashes = (standard_leaf_hash(encoding, leaf) for leaf in values)
        return cls.from_leaf_hashes(hashes, leaf_encoding=encoding, sort_leaves=sort_leaves)

    @classmethod
    def from_leaf_hashes(
        cls,
        leaf_hashes: Iterable[bytes],
        *,
        leaf_encoding: Sequence[str] | None = None,
        sort_leaves: bool = True,
    ) -> StandardMerkleTree:
        """Build from 32-byte leaf hashes (already double-hashed for a standard tree).

        `leaf_encoding`, when given, lets `proof()` accept leaf values as well as indices.
        """
        hashes = list(leaf_hashes)
        leaf_count = len(hashes)
        if leaf_count == 0:
            raise MerkleInputError("a Merkle tree needs at least one leaf")
        if leaf_count >= _MAX_LEAVES:
            raise MerkleInputError(f"a Merkle tree holds fewer than {_MAX_LEAVES} leaves")
        for leaf in hashes:
            _check_node(leaf, "leaf hash")
        node_count = 2 * leaf_count - 1
        nodes = bytearray(node_count * NODE_BYTES)
        tree_index_of: array[int] | None = None
        if sort_leaves:
            order = sorted(range(leaf_count), key=hashes.__getitem__)
            tree_index_of = array("I", bytes(4 * leaf_count))
            for position, value_index in enumerate(order):
                tree_index = node_count - 1 - position
                tree_index_of[value_index] = tree_index
                nodes[tree_index * NODE_BYTES : (tree_index + 1) * NODE_BYTES] = hashes[value_index]
            del order
        else:
            for value_index, leaf in enumerate(hashes):
                tree_index = node_count - 1 - value_index
                nodes[tree_index * NODE_BYTES : (tree_index + 1) * NODE_BYTES] = leaf
        del hashes
        _fill_inner_nodes(nodes, node_count - leaf_count)
        encoding = tuple(leaf_encoding) if leaf_encoding is not None else None
        return cls(nodes, leaf_count, tree_index_of, encoding)

    # ------------------------------------------------------------------ reading

    @property
    def root(self) -> bytes:
        """The 32-byte root (what `commitBatch` publishes)."""
        return self._node(0)

    @property
    def leaf_encoding(self) -> tuple[str, ...] | None:
        """The ABI types of a leaf, when known."""
        return self._leaf_encoding

    def __len__(self) -> int:
        """Return the number of leaves."""
        return self._leaf_count

    def leaf_hash(self, index: int) -> bytes:
        """Return the hash of the leaf given at input position `index`."""
        return self._node(self._tree_index(index))

    def proof(self, leaf: int | Sequence[Any]) -> list[bytes]:
        """Return the proof of a leaf given by input position or by its values."""
        if isinstance(leaf, int):
            return self._proof_at(self._tree_index(leaf))
        if self._leaf_encoding is None:
            raise MerkleInputError("this tree was built from hashes: pass an index or a hash")
        return self.proof_for_leaf_hash(standard_leaf_hash(self._leaf_encoding, leaf))

    def proof_for_leaf_hash(self, leaf_hash: bytes) -> list[bytes]:
        """Return the proof of the leaf with this hash; `LeafNotInTreeError` when absent."""
        _check_node(leaf_hash, "leaf hash")
        return self._proof_at(self._find(leaf_hash))

    def nodes(self) -> list[bytes]:
        """Every node in OpenZeppelin's array order (`dump().tree`); O(n) memory, for tests."""
        return [self._node(i) for i in range(2 * self._leaf_count - 1)]

    # ------------------------------------------------------------------ storage

    def to_bytes(self) -> bytes:
        r"""Serialise hashes only: header, nodes, and the leaf-order index when sorted.

        Format: `b"TSMT\x01"`, sorted flag (1 byte), leaf count (uint32 big-endian), the
        2n - 1 nodes, then (sorted trees) each input leaf's tree index as uint32 little-endian.
        """
        sorted_flag = 1 if self._tree_index_of is not None else 0
        parts = [_HEADER.pack(_MAGIC, sorted_flag, self._leaf_count), bytes(self._nodes)]
        if self._tree_index_of is not None:
            index = array("I", self._tree_index_of)
            if index.itemsize != 4:  # pragma: no cover - every supported platform has 4
                raise RuntimeError("array('I') is not 32-bit here")
            if sys.byteorder == "big":  # pragma: no cover - stored little-endian everywhere
                index.byteswap()
            parts.append(index.tobytes())
        return b"".join(parts)

    @classmethod
    def from_bytes(
        cls,
        data: bytes,
        *,
        leaf_encoding: Sequence[str] | None = None,
        check_nodes: bool = True,
    ) -> StandardMerkleTree:
        """Load a tree written by `to_bytes` (checks sizes and, by default, every hash).

        ``check_nodes=False`` skips re-hashing the whole tree (O(n)): for serving one proof from
        a stored batch, where the caller checks that proof against the batch's known root
        instead (O(log n), see `proof_reaching`).
        """
        if len(data) < _HEADER.size:
            raise MerkleInputError("serialised tree is too short")
        magic, sorted_flag, leaf_count = _HEADER.unpack_from(data)
        if magic != _MAGIC or sorted_flag not in (0, 1) or leaf_count == 0:
            raise MerkleInputError("not a serialised TrustShare Merkle tree (v1)")
        node_bytes = (2 * leaf_count - 1) * NODE_BYTES
        expected = _HEADER.size + node_bytes + (4 * leaf_count if sorted_flag else 0)
        if len(data) != expected:
            raise MerkleInputError(f"serialised tree has {len(data)} bytes, expected {expected}")
        nodes = bytearray(data[_HEADER.size : _HEADER.size + node_bytes])
        if check_nodes:
            check = bytearray(nodes)
            _fill_inner_nodes(check, leaf_count - 1)
            if check != nodes:
                raise MerkleInputError("serialised tree's inner nodes do not match its leaves")
        tree_index_of: array[int] | None = None
        if sorted_flag:
            tree_index_of = array("I")
            tree_index_of.frombytes(data[_HEADER.size + node_bytes :])
            if sys.byteorder == "big":  # pragma: no cover
                tree_index_of.byteswap()
            if check_nodes and sorted(tree_index_of) != list(
                range(leaf_count - 1, 2 * leaf_count - 1)
            ):
                raise MerkleInputError("serialised tree's leaf index is not a permutation")
        encoding = tuple(leaf_encoding) if leaf_encoding is not None else None
        return cls(nodes, leaf_count, tree_index_of, encoding)

    # ------------------------------------------------------------------ internals

    def _node(self, tree_index: int) -> bytes:
        return bytes(self._nodes[tree_index * NODE_BYTES : (tree_index + 1) * NODE_BYTES])

    def _tree_index(self, index: int) -> int:
        if not 0 <= index < self._leaf_count:
            raise LeafNotInTreeError(f"leaf index {index} is outside 0..{self._leaf_count - 1}")
        if self._tree_index_of is None:
            return 2 * self._leaf_count - 2 - index
        return self._tree_index_of[index]

    def _proof_at(self, tree_index: int) -> list[bytes]:
        proof = []
        while tree_index > 0:
            sibling = tree_index - 1 if tree_index % 2 == 0 else tree_index + 1
            proof.append(self._node(sibling))
            tree_index = (tree_index - 1) // 2
        return proof

    def _find(self, leaf_hash: bytes) -> int:
        last = 2 * self._leaf_count - 2
        if self._tree_index_of is None:
            for position in range(self._leaf_count):
                if self._node(last - position) == leaf_hash:
                    return last - position
        else:
            # Sorted leaf i sits at tree index last - i, in ascending hash order.
            low, high = 0, self._leaf_count
            while low < high:
                middle = (low + high) // 2
                if self._node(last - middle) < leaf_hash:
                    low = middle + 1
                else:
                    high = middle
            if low < self._leaf_count and self._node(last - low) == leaf_hash:
                return last - low
        raise LeafNotInTreeError(f"leaf hash 0x{leaf_hash.hex()} is not in the tree")


def _fill_inner_nodes(nodes: bytearray, inner_count: int) -> None:
    view = memoryview(nodes)
    for k in range(inner_count - 1, -1, -1):
        left = 2 * k + 1
        a = view[left * NODE_BYTES : (left + 1) * NODE_BYTES].tobytes()
        b = view[(left + 1) * NODE_BYTES : (left + 2) * NODE_BYTES].tobytes()
        view[k * NODE_BYTES : (k + 1) * NODE_BYTES] = keccak256(a + b if a < b else b + a)
    view.release()


def _check_node(node: bytes, what: str) -> None:
    if not isinstance(node, bytes | bytearray) or len(node) != NODE_BYTES:
        shown = f"{len(node)} bytes" if isinstance(node, bytes | bytearray) else type(node).__name__
        raise MerkleInputError(f"{what} must be 32 bytes, got {shown}")


def proof_reaching(tree: StandardMerkleTree, index: int, root: bytes) -> list[bytes]:
    """The proof of leaf ``index``, checked to reach ``root`` (the root the chain holds).

    With a tree loaded by ``from_bytes(..., check_nodes=False)`` this is the O(log n) integrity
    check of the stored nodes that the proof uses.
    """
    proof = tree.proof(index)
    if process_proof(tree.leaf_hash(index), proof) != root:
        raise MerkleInputError(f"stored tree does not prove leaf {index} under the batch root")
    return proof
