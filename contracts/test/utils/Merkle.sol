// SPDX-License-Identifier: UNLICENSED
pragma solidity 0.8.28;

import {Hashes} from "@openzeppelin/contracts/utils/cryptography/Hashes.sol";

import {IAttestationRegistry} from "../../src/interfaces/IAttestationRegistry.sol";

/// @title StandardMerkleTree (@openzeppelin/merkle-tree) rebuilt for tests.
/// @notice Same layout as the npm package: leaf hashes sorted ascending, stored from the end of a
/// 2n-1 array, node i = commutativeKeccak256(node 2i+1, node 2i+2), root at index 0. So a root
/// computed here equals `StandardMerkleTree.of(values, types).root` for the same values.
library Merkle {
    error MerkleEmptyTree();
    error MerkleLeafNotInTree(bytes32 leaf);

    /// @notice keccak256(bytes.concat(keccak256(abi.encode(settlementId, pseudonym,
    /// recordCommitment, claimCeilingFen)))), as StandardMerkleTree hashes a leaf.
    function settlementLeafHash(IAttestationRegistry.SettlementLeaf memory leaf)
        internal
        pure
        returns (bytes32)
    {
        return keccak256(
            bytes.concat(
                keccak256(
                    abi.encode(
                        leaf.settlementId,
                        leaf.pseudonym,
                        leaf.recordCommitment,
                        leaf.claimCeilingFen
                    )
                )
            )
        );
    }

    /// @notice keccak256(bytes.concat(keccak256(encodedLeaf))): the leaf hash of any leaf values,
    /// given ABI-encoded (enrollment, access-log or settlement leaves alike).
    function hashLeaf(bytes memory encodedLeaf) internal pure returns (bytes32) {
        return keccak256(bytes.concat(keccak256(encodedLeaf)));
    }

    /// @notice The whole tree (root first) over already hashed leaves.
    function build(bytes32[] memory leafHashes) internal pure returns (bytes32[] memory tree) {
        uint256 n = leafHashes.length;
        if (n == 0) revert MerkleEmptyTree();
        bytes32[] memory sorted = _sorted(leafHashes);
        tree = new bytes32[](2 * n - 1);
        for (uint256 i = 0; i < n; ++i) {
            tree[tree.length - 1 - i] = sorted[i];
        }
        for (uint256 i = n - 1; i > 0; --i) {
            uint256 node = i - 1;
            tree[node] = Hashes.commutativeKeccak256(tree[2 * node + 1], tree[2 * node + 2]);
        }
    }

    /// @notice The proof of `leafHash` in `tree` (siblings from the leaf up).
    function proof(bytes32[] memory tree, bytes32 leafHash)
        internal
        pure
        returns (bytes32[] memory siblings)
    {
        uint256 index = type(uint256).max;
        uint256 firstLeaf = tree.length / 2; // leaves occupy [n-1, 2n-2]
        for (uint256 i = firstLeaf; i < tree.length; ++i) {
            if (tree[i] == leafHash) {
                index = i;
                break;
            }
        }
        if (index == type(uint256).max) revert MerkleLeafNotInTree(leafHash);
        uint256 depth = 0;
        for (uint256 j = index; j > 0; j = (j - 1) / 2) {
            ++depth;
        }
        siblings = new bytes32[](depth);
        for (uint256 k = 0; index > 0; ++k) {
            siblings[k] = tree[index % 2 == 1 ? index + 1 : index - 1];
            index = (index - 1) / 2;
        }
    }

    function _sorted(bytes32[] memory values) private pure returns (bytes32[] memory out) {
        out = new bytes32[](values.length);
        for (uint256 i = 0; i < values.length; ++i) {
            bytes32 value = values[i];
            uint256 j = i;
            while (j > 0 && out[j - 1] > value) {
                out[j] = out[j - 1];
                --j;
            }
            out[j] = value;
        }
    }
}
