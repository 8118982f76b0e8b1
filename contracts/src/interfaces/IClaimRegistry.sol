// SPDX-License-Identifier: UNLICENSED
pragma solidity ^0.8.24;

import {IAttestationRegistry} from "./IAttestationRegistry.sol";
import {IConsentRegistry} from "./IConsentRegistry.sol";

/// @title Commercial insurers' claims against committed settlements.
/// @notice An insurer records what it pays on a settlement before paying. The registry checks
/// that the settlement leaf is in a committed settlement batch and not superseded, that the
/// patient's consent for the settlement-summary scope is in force for this insurer (for the CLAIM
/// purpose, or DIRECT_SETTLEMENT: a layer paid at the hospital window is recorded here at
/// clearing, so that later fast claims see it in the ceiling), that
/// the insurer has no claim on this settlement yet, and that all insurers' active claims together
/// stay within the leaf's claim ceiling. Nobody is paid twice.
///
/// Trust assumption: a bureau vouches for its own settlements. Settlement ids carry the bureau's
/// address, so one bureau cannot touch another's; within one bureau, each id must be committed
/// once (the bureau's database enforces it), because the ceiling is read from the proven leaf.
interface IClaimRegistry {
    /// @notice One claim to record.
    struct ClaimRequest {
        bytes32 root;
        IAttestationRegistry.SettlementLeaf leaf;
        bytes32[] proof;
        uint256 amountFen;
    }

    /// @notice A recorded claim, packed into one slot. A reversed claim keeps its slot (and so
    /// still blocks a second claim by the same insurer) with `reversed` set.
    struct Claim {
        address insurer;
        uint48 amountFen;
        uint40 recordedAt;
        bool reversed;
    }

    /// @notice Ensure that the claim is for a committed root.
    error ClaimRegistryUnknownBatch(bytes32 root);
    /// @notice Ensure that the root is a settlement batch.
    error ClaimRegistryNotSettlementBatch(bytes32 root, IAttestationRegistry.BatchKind kind);
    /// @notice Ensure that the settlement id belongs to the bureau that committed the batch.
    error ClaimRegistryForeignSettlementId(bytes32 settlementId, address bureau);
    /// @notice Ensure that the leaf is proven in the batch.
    error ClaimRegistryInvalidProof(bytes32 root, bytes32 leaf);
    /// @notice Ensure that a superseded settlement is never claimed.
    error ClaimRegistrySettlementSuperseded(bytes32 settlementId, bytes32 supersededBy);
    /// @notice Ensure that the patient's CLAIM (or DIRECT_SETTLEMENT) consent is in force (`status`
    /// says why not; for CLAIM).
    error ClaimRegistryConsentMissing(
        bytes32 pseudonym, address insurer, IConsentRegistry.PermissionStatus status
    );
    /// @notice Ensure that a claim is for a positive amount that fits the record.
    error ClaimRegistryInvalidAmount(uint256 amountFen);
    /// @notice Ensure that an insurer claims a settlement once.
    error ClaimRegistryDuplicateClaim(bytes32 settlementId, address insurer, uint256 amountFen);
    /// @notice Ensure that all insurers together stay within the ceiling.
    error ClaimRegistryCeilingExceeded(
        bytes32 settlementId, uint256 ceilingFen, uint256 claimedFen, uint256 requestedFen
    );
    /// @notice Ensure that a settlement has at most MAX_CLAIMS_PER_SETTLEMENT claims.
    error ClaimRegistryTooManyClaims(bytes32 settlementId, uint256 maxClaims);
    /// @notice Ensure that the claim to reverse exists and is active.
    error ClaimRegistryNoActiveClaim(bytes32 settlementId, address insurer);
    /// @notice Ensure that only the claimant reverses, unless the settlement was superseded.
    error ClaimRegistryNotClaimant(bytes32 settlementId, address insurer, address caller);

    /// @notice An insurer's claim was recorded; `totalClaimedFen` includes it.
    event ClaimRecorded(
        bytes32 indexed settlementId,
        address indexed insurer,
        uint256 amountFen,
        uint256 totalClaimedFen
    );
    /// @notice A claim was reversed (by the insurer, or by anyone after supersession).
    event ClaimReversed(
        bytes32 indexed settlementId, address indexed insurer, uint256 amountFen, address reversedBy
    );

    /// @notice Record the caller's claim. Returns all insurers' active total after it.
    function recordClaim(ClaimRequest calldata request) external returns (uint256 totalClaimedFen);

    /// @notice Record several of the caller's claims in one transaction (all or nothing).
    function recordClaims(ClaimRequest[] calldata requests) external;

    /// @notice Reverse `insurer`'s claim on `settlementId`. The insurer may always; anyone may
    /// once the settlement is superseded.
    function reverseClaim(bytes32 settlementId, address insurer) external;

    /// @notice `insurer`'s claim on `settlementId` (insurer zero if none).
    function claimOf(bytes32 settlementId, address insurer) external view returns (Claim memory);

    /// @notice All claims recorded on `settlementId`, reversed ones included.
    function claimsOf(bytes32 settlementId) external view returns (Claim[] memory);

    /// @notice The sum of active claims on `settlementId`.
    function totalClaimedFen(bytes32 settlementId) external view returns (uint256);
}
