// SPDX-License-Identifier: UNLICENSED
pragma solidity ^0.8.24;

/// @title Bureaus' commitments to enrollment records, settlements and access logs.
/// @notice A bureau commits a batch as the root of an OpenZeppelin StandardMerkleTree (leaves are
/// `keccak256(bytes.concat(keccak256(abi.encode(values...))))`, pairs hashed sorted). Only the
/// root goes on-chain: one storage slot per batch, whatever its size. The batch's rules version
/// is recorded in the `BatchCommitted` log so anyone can recompute a settlement.
///
/// A settlement leaf is `(bytes32 settlementId, bytes32 pseudonym, bytes32 recordCommitment,
/// uint256 claimCeilingFen)`. A settlement id starts with the committing bureau's address (20
/// bytes, then 12 bytes of the bureau's own numbering), so no bureau can claim, supersede or
/// crowd out another bureau's settlements by reusing its ids. A correction (refund or reversal)
/// is a new settlement that the bureau marks as superseding the old one; claims against a
/// superseded settlement are refused and existing ones must be reversed.
interface IAttestationRegistry {
    /// @notice What a batch commits to.
    enum BatchKind {
        None,
        Enrollment,
        Settlement,
        AccessLog
    }

    /// @notice A committed batch, packed into one slot.
    struct Batch {
        address bureau;
        BatchKind kind;
        uint32 leafCount;
        uint48 committedAt;
    }

    /// @notice A settlement leaf: what claims are checked against.
    struct SettlementLeaf {
        bytes32 settlementId;
        bytes32 pseudonym;
        bytes32 recordCommitment;
        uint256 claimCeilingFen;
    }

    /// @notice Ensure that only an active bureau commits or supersedes.
    error AttestationRegistryNotBureau(address caller);
    /// @notice Ensure that the kind is one of ENROLLMENT (1), SETTLEMENT (2), ACCESS_LOG (3).
    error AttestationRegistryInvalidKind(uint8 kind);
    /// @notice Ensure that a batch has a non-zero root and at least one leaf.
    error AttestationRegistryEmptyBatch(bytes32 root, uint32 leafCount);
    /// @notice Ensure that a settlement batch names the rules version it was computed under.
    error AttestationRegistryMissingRulesVersion(bytes32 root);
    /// @notice Ensure that a root is committed once.
    error AttestationRegistryBatchExists(bytes32 root, address bureau);
    /// @notice Ensure that the root acted on is committed.
    error AttestationRegistryUnknownBatch(bytes32 root);
    /// @notice Ensure that the batch is of the kind the operation needs.
    error AttestationRegistryWrongKind(bytes32 root, BatchKind expected, BatchKind actual);
    /// @notice Ensure that only the bureau that committed a settlement corrects it.
    error AttestationRegistryNotBatchBureau(bytes32 root, address bureau, address caller);
    /// @notice Ensure that a leaf is proven to be in the batch.
    error AttestationRegistryInvalidProof(bytes32 root, bytes32 leaf);
    /// @notice Ensure that a settlement is superseded once, and never by a superseded one.
    error AttestationRegistryAlreadySuperseded(bytes32 settlementId, bytes32 supersededBy);
    /// @notice Ensure that a settlement id belongs to the bureau that committed the batch.
    error AttestationRegistryForeignSettlementId(bytes32 settlementId, address bureau);
    /// @notice Ensure that a correction is a different settlement of the same pseudonym.
    error AttestationRegistryInvalidCorrection(bytes32 oldSettlementId, bytes32 newSettlementId);

    /// @notice A bureau committed a batch.
    event BatchCommitted(
        bytes32 indexed root,
        address indexed bureau,
        BatchKind indexed kind,
        uint32 leafCount,
        bytes32 rulesVersion
    );
    /// @notice A settlement was superseded by a correction.
    event SettlementSuperseded(
        bytes32 indexed settlementId, bytes32 indexed supersededBy, address indexed bureau
    );

    /// @notice Commit a batch root. Active bureau only. `kind` is a `BatchKind` value.
    function commitBatch(uint8 kind, bytes32 root, uint32 leafCount, bytes32 rulesVersion) external;

    /// @notice Mark `oldLeaf` superseded by `newLeaf`; both must be proven in settlement batches
    /// committed by the caller, and belong to the same pseudonym.
    function supersedeSettlement(
        bytes32 oldRoot,
        SettlementLeaf calldata oldLeaf,
        bytes32[] calldata oldProof,
        bytes32 newRoot,
        SettlementLeaf calldata newLeaf,
        bytes32[] calldata newProof
    ) external;

    /// @notice The batch committed under `root` (kind None if none).
    function batchOf(bytes32 root) external view returns (Batch memory);

    /// @notice The settlement that supersedes `settlementId`, zero if none.
    function supersededBy(bytes32 settlementId) external view returns (bytes32);

    /// @notice Both facts a claim needs, in one call.
    function settlementStatus(bytes32 root, bytes32 settlementId)
        external
        view
        returns (Batch memory batch, bytes32 supersedingId);

    /// @notice Whether the leaf whose values ABI-encode to `encodedLeaf` is in the committed batch
    /// `root` (any kind). The leaf is hashed here, so an inner node of the tree cannot pass.
    function verify(bytes32 root, bytes calldata encodedLeaf, bytes32[] calldata proof)
        external
        view
        returns (bool);

    /// @notice Whether `leaf` is in the committed settlement batch `root`.
    function verifySettlement(bytes32 root, SettlementLeaf calldata leaf, bytes32[] calldata proof)
        external
        view
        returns (bool);

    /// @notice The bureau a settlement id belongs to: its first 20 bytes.
    function bureauOf(bytes32 settlementId) external pure returns (address);

    /// @notice The StandardMerkleTree leaf hash of a settlement leaf.
    function settlementLeafHash(SettlementLeaf calldata leaf) external pure returns (bytes32);
}
