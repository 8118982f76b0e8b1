// SPDX-License-Identifier: UNLICENSED
pragma solidity 0.8.28;

import {MerkleProof} from "@openzeppelin/contracts/utils/cryptography/MerkleProof.sol";

import {IAttestationRegistry} from "./interfaces/IAttestationRegistry.sol";
import {IParticipants} from "./interfaces/IParticipants.sol";

/// @title AttestationRegistry
/// @notice Merkle batch commitments by bureaus, and settlement supersession. See
/// IAttestationRegistry.
contract AttestationRegistry is IAttestationRegistry {
    /*//////////////////////////////////////////////////////////////
                                STORAGE
    //////////////////////////////////////////////////////////////*/

    /// @notice The participants registry consulted for bureaus.
    IParticipants public immutable participants;

    mapping(bytes32 root => Batch) private _batches;
    mapping(bytes32 settlementId => bytes32 supersedingId) private _supersededBy;

    /*//////////////////////////////////////////////////////////////
                              CONSTRUCTOR
    //////////////////////////////////////////////////////////////*/

    constructor(IParticipants participants_) {
        participants = participants_;
    }

    /*//////////////////////////////////////////////////////////////
                                COMMIT
    //////////////////////////////////////////////////////////////*/

    /// @inheritdoc IAttestationRegistry
    function commitBatch(uint8 kind, bytes32 root, uint32 leafCount, bytes32 rulesVersion)
        external
    {
        if (!participants.isActiveBureau(msg.sender)) {
            revert AttestationRegistryNotBureau(msg.sender);
        }
        // Ensure that the kind is one the network knows.
        if (kind == uint8(BatchKind.None) || kind > uint8(BatchKind.AccessLog)) {
            revert AttestationRegistryInvalidKind(kind);
        }
        if (root == bytes32(0) || leafCount == 0) {
            revert AttestationRegistryEmptyBatch(root, leafCount);
        }
        // Ensure that anyone can recompute a settlement: its rules version is part of the batch.
        if (kind == uint8(BatchKind.Settlement) && rulesVersion == bytes32(0)) {
            revert AttestationRegistryMissingRulesVersion(root);
        }
        Batch storage batch = _batches[root];
        if (batch.kind != BatchKind.None) {
            revert AttestationRegistryBatchExists(root, batch.bureau);
        }
        _batches[root] = Batch({
            bureau: msg.sender,
            kind: BatchKind(kind),
            leafCount: leafCount,
            committedAt: uint48(block.timestamp)
        });
        emit BatchCommitted(root, msg.sender, BatchKind(kind), leafCount, rulesVersion);
    }

    /*//////////////////////////////////////////////////////////////
                              CORRECTIONS
    //////////////////////////////////////////////////////////////*/

    /// @inheritdoc IAttestationRegistry
    function supersedeSettlement(
        bytes32 oldRoot,
        SettlementLeaf calldata oldLeaf,
        bytes32[] calldata oldProof,
        bytes32 newRoot,
        SettlementLeaf calldata newLeaf,
        bytes32[] calldata newProof
    ) external {
        if (!participants.isActiveBureau(msg.sender)) {
            revert AttestationRegistryNotBureau(msg.sender);
        }
        // Ensure that a correction is a different settlement of the same person.
        if (oldLeaf.settlementId == newLeaf.settlementId || oldLeaf.pseudonym != newLeaf.pseudonym)
        {
            revert AttestationRegistryInvalidCorrection(oldLeaf.settlementId, newLeaf.settlementId);
        }
        _requireOwnSettlement(oldRoot, oldLeaf, oldProof);
        _requireOwnSettlement(newRoot, newLeaf, newProof);
        // Ensure that a settlement is superseded once, and never by a superseded one.
        bytes32 existing = _supersededBy[oldLeaf.settlementId];
        if (existing != bytes32(0)) {
            revert AttestationRegistryAlreadySuperseded(oldLeaf.settlementId, existing);
        }
        bytes32 newSuperseded = _supersededBy[newLeaf.settlementId];
        if (newSuperseded != bytes32(0)) {
            revert AttestationRegistryAlreadySuperseded(newLeaf.settlementId, newSuperseded);
        }
        _supersededBy[oldLeaf.settlementId] = newLeaf.settlementId;
        emit SettlementSuperseded(oldLeaf.settlementId, newLeaf.settlementId, msg.sender);
    }

    /*//////////////////////////////////////////////////////////////
                                 VIEWS
    //////////////////////////////////////////////////////////////*/

    /// @inheritdoc IAttestationRegistry
    function batchOf(bytes32 root) external view returns (Batch memory) {
        return _batches[root];
    }

    /// @inheritdoc IAttestationRegistry
    function supersededBy(bytes32 settlementId) external view returns (bytes32) {
        return _supersededBy[settlementId];
    }

    /// @inheritdoc IAttestationRegistry
    function settlementStatus(bytes32 root, bytes32 settlementId)
        external
        view
        returns (Batch memory batch, bytes32 supersedingId)
    {
        return (_batches[root], _supersededBy[settlementId]);
    }

    /// @inheritdoc IAttestationRegistry
    function verify(bytes32 root, bytes calldata encodedLeaf, bytes32[] calldata proof)
        external
        view
        returns (bool)
    {
        bytes32 leaf = keccak256(bytes.concat(keccak256(encodedLeaf)));
        return
            _batches[root].kind != BatchKind.None && MerkleProof.verifyCalldata(proof, root, leaf);
    }

    /// @inheritdoc IAttestationRegistry
    function verifySettlement(bytes32 root, SettlementLeaf calldata leaf, bytes32[] calldata proof)
        external
        view
        returns (bool)
    {
        return _batches[root].kind == BatchKind.Settlement
            && MerkleProof.verifyCalldata(proof, root, settlementLeafHash(leaf));
    }

    /// @inheritdoc IAttestationRegistry
    function bureauOf(bytes32 settlementId) public pure returns (address) {
        // forge-lint: disable-next-line(unsafe-typecast)
        return address(bytes20(settlementId)); // the first 20 bytes are the bureau, by design
    }

    /// @inheritdoc IAttestationRegistry
    function settlementLeafHash(SettlementLeaf calldata leaf) public pure returns (bytes32) {
        return keccak256(bytes.concat(keccak256(abi.encode(leaf))));
    }

    /*//////////////////////////////////////////////////////////////
                               INTERNALS
    //////////////////////////////////////////////////////////////*/

    function _requireOwnSettlement(
        bytes32 root,
        SettlementLeaf calldata leaf,
        bytes32[] calldata proof
    ) private view {
        Batch storage batch = _batches[root];
        if (batch.kind == BatchKind.None) revert AttestationRegistryUnknownBatch(root);
        if (batch.kind != BatchKind.Settlement) {
            revert AttestationRegistryWrongKind(root, BatchKind.Settlement, batch.kind);
        }
        // Ensure that only the bureau that committed a settlement corrects it.
        if (batch.bureau != msg.sender) {
            revert AttestationRegistryNotBatchBureau(root, batch.bureau, msg.sender);
        }
        // Ensure that the settlement id is the bureau's own, not one borrowed from another bureau.
        if (bureauOf(leaf.settlementId) != msg.sender) {
            revert AttestationRegistryForeignSettlementId(leaf.settlementId, msg.sender);
        }
        bytes32 leafHash = settlementLeafHash(leaf);
        if (!MerkleProof.verifyCalldata(proof, root, leafHash)) {
            revert AttestationRegistryInvalidProof(root, leafHash);
        }
    }
}
