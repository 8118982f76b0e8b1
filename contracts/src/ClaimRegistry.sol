// SPDX-License-Identifier: UNLICENSED
pragma solidity 0.8.28;

import {MerkleProof} from "@openzeppelin/contracts/utils/cryptography/MerkleProof.sol";

import {ConsentVocabulary} from "./ConsentVocabulary.sol";
import {IAttestationRegistry} from "./interfaces/IAttestationRegistry.sol";
import {IClaimRegistry} from "./interfaces/IClaimRegistry.sol";
import {IConsentRegistry} from "./interfaces/IConsentRegistry.sol";

/// @title ClaimRegistry
/// @notice Insurers' claims on committed settlements. See IClaimRegistry.
/// @dev Claims of one settlement live in a fixed array of one-slot records, so the first claim
/// costs a single fresh storage slot and the ceiling check reads only the claims that exist.
contract ClaimRegistry is IClaimRegistry {
    /*//////////////////////////////////////////////////////////////
                               CONSTANTS
    //////////////////////////////////////////////////////////////*/

    /// @notice How many insurers may claim one settlement (reversed claims included).
    uint256 public constant MAX_CLAIMS_PER_SETTLEMENT = 8;

    /// @notice The scope and purpose a claim needs the patient's consent for.
    uint32 public constant CLAIM_SCOPE = ConsentVocabulary.SCOPE_SETTLEMENT_SUMMARY;
    uint32 public constant CLAIM_PURPOSE = ConsentVocabulary.PURPOSE_CLAIM;
    /// @notice The other purpose that permits a claim: paying the insurer's layer at the
    /// hospital window (direct settlement), whose payment is recorded here at clearing.
    uint32 public constant WINDOW_PURPOSE = ConsentVocabulary.PURPOSE_DIRECT_SETTLEMENT;

    /*//////////////////////////////////////////////////////////////
                                STORAGE
    //////////////////////////////////////////////////////////////*/

    /// @notice Where settlements are committed.
    IAttestationRegistry public immutable attestations;
    /// @notice Where consents are recorded.
    IConsentRegistry public immutable consents;

    mapping(bytes32 settlementId => Claim[MAX_CLAIMS_PER_SETTLEMENT]) private _claims;

    /*//////////////////////////////////////////////////////////////
                              CONSTRUCTOR
    //////////////////////////////////////////////////////////////*/

    constructor(IAttestationRegistry attestations_, IConsentRegistry consents_) {
        attestations = attestations_;
        consents = consents_;
    }

    /*//////////////////////////////////////////////////////////////
                                CLAIMS
    //////////////////////////////////////////////////////////////*/

    /// @inheritdoc IClaimRegistry
    function recordClaim(ClaimRequest calldata request) external returns (uint256) {
        return _record(request);
    }

    /// @inheritdoc IClaimRegistry
    function recordClaims(ClaimRequest[] calldata requests) external {
        for (uint256 i = 0; i < requests.length; ++i) {
            _record(requests[i]);
        }
    }

    /// @inheritdoc IClaimRegistry
    function reverseClaim(bytes32 settlementId, address insurer) external {
        Claim[MAX_CLAIMS_PER_SETTLEMENT] storage slots = _claims[settlementId];
        for (uint256 i = 0; i < MAX_CLAIMS_PER_SETTLEMENT; ++i) {
            Claim storage claim = slots[i];
            address claimant = claim.insurer;
            if (claimant == address(0)) break;
            if (claimant != insurer) continue;
            if (claim.reversed) break;
            // Ensure that only the claimant reverses, unless the settlement was superseded.
            if (msg.sender != insurer && attestations.supersededBy(settlementId) == bytes32(0)) {
                revert ClaimRegistryNotClaimant(settlementId, insurer, msg.sender);
            }
            claim.reversed = true;
            emit ClaimReversed(settlementId, insurer, claim.amountFen, msg.sender);
            return;
        }
        revert ClaimRegistryNoActiveClaim(settlementId, insurer);
    }

    /*//////////////////////////////////////////////////////////////
                                 VIEWS
    //////////////////////////////////////////////////////////////*/

    /// @inheritdoc IClaimRegistry
    function claimOf(bytes32 settlementId, address insurer) external view returns (Claim memory) {
        Claim[MAX_CLAIMS_PER_SETTLEMENT] storage slots = _claims[settlementId];
        for (uint256 i = 0; i < MAX_CLAIMS_PER_SETTLEMENT; ++i) {
            Claim memory claim = slots[i];
            if (claim.insurer == address(0)) break;
            if (claim.insurer == insurer) return claim;
        }
        return Claim({insurer: address(0), amountFen: 0, recordedAt: 0, reversed: false});
    }

    /// @inheritdoc IClaimRegistry
    function claimsOf(bytes32 settlementId) external view returns (Claim[] memory claims) {
        Claim[MAX_CLAIMS_PER_SETTLEMENT] storage slots = _claims[settlementId];
        uint256 count = 0;
        while (count < MAX_CLAIMS_PER_SETTLEMENT && slots[count].insurer != address(0)) ++count;
        claims = new Claim[](count);
        for (uint256 i = 0; i < count; ++i) {
            claims[i] = slots[i];
        }
    }

    /// @inheritdoc IClaimRegistry
    function totalClaimedFen(bytes32 settlementId) external view returns (uint256 total) {
        Claim[MAX_CLAIMS_PER_SETTLEMENT] storage slots = _claims[settlementId];
        for (uint256 i = 0; i < MAX_CLAIMS_PER_SETTLEMENT; ++i) {
            Claim storage claim = slots[i];
            if (claim.insurer == address(0)) break;
            if (!claim.reversed) total += claim.amountFen;
        }
    }

    /*//////////////////////////////////////////////////////////////
                               INTERNALS
    //////////////////////////////////////////////////////////////*/

    function _record(ClaimRequest calldata request) private returns (uint256 totalClaimed) {
        IAttestationRegistry.SettlementLeaf calldata leaf = request.leaf;
        uint256 amountFen = request.amountFen;
        // Ensure that a claim is for a positive amount that fits the record.
        if (amountFen == 0 || amountFen > type(uint48).max) {
            revert ClaimRegistryInvalidAmount(amountFen);
        }

        (IAttestationRegistry.Batch memory batch, bytes32 supersedingId) =
            attestations.settlementStatus(request.root, leaf.settlementId);
        if (batch.kind == IAttestationRegistry.BatchKind.None) {
            revert ClaimRegistryUnknownBatch(request.root);
        }
        if (batch.kind != IAttestationRegistry.BatchKind.Settlement) {
            revert ClaimRegistryNotSettlementBatch(request.root, batch.kind);
        }
        // Ensure that the settlement id is the committing bureau's own.
        if (address(bytes20(leaf.settlementId)) != batch.bureau) {
            revert ClaimRegistryForeignSettlementId(leaf.settlementId, batch.bureau);
        }
        bytes32 leafHash = keccak256(bytes.concat(keccak256(abi.encode(leaf))));
        if (!MerkleProof.verifyCalldata(request.proof, request.root, leafHash)) {
            revert ClaimRegistryInvalidProof(request.root, leafHash);
        }
        if (supersedingId != bytes32(0)) {
            revert ClaimRegistrySettlementSuperseded(leaf.settlementId, supersedingId);
        }
        IConsentRegistry.PermissionStatus status =
            consents.permissionOf(leaf.pseudonym, msg.sender, CLAIM_SCOPE, CLAIM_PURPOSE);
        if (status == IConsentRegistry.PermissionStatus.PurposeNotCovered) {
            // A window payment (direct settlement) being cleared is claimed under its consent.
            IConsentRegistry.PermissionStatus window =
                consents.permissionOf(leaf.pseudonym, msg.sender, CLAIM_SCOPE, WINDOW_PURPOSE);
            if (window == IConsentRegistry.PermissionStatus.Permitted) status = window;
        }
        if (status != IConsentRegistry.PermissionStatus.Permitted) {
            revert ClaimRegistryConsentMissing(leaf.pseudonym, msg.sender, status);
        }

        Claim[MAX_CLAIMS_PER_SETTLEMENT] storage slots = _claims[leaf.settlementId];
        uint256 free = MAX_CLAIMS_PER_SETTLEMENT;
        for (uint256 i = 0; i < MAX_CLAIMS_PER_SETTLEMENT; ++i) {
            Claim storage claim = slots[i];
            address claimant = claim.insurer;
            if (claimant == address(0)) {
                free = i;
                break;
            }
            // Ensure that an insurer claims a settlement once, even after a reversal.
            if (claimant == msg.sender) {
                revert ClaimRegistryDuplicateClaim(leaf.settlementId, msg.sender, claim.amountFen);
            }
            if (!claim.reversed) totalClaimed += claim.amountFen;
        }
        if (free == MAX_CLAIMS_PER_SETTLEMENT) {
            revert ClaimRegistryTooManyClaims(leaf.settlementId, MAX_CLAIMS_PER_SETTLEMENT);
        }
        // Ensure that all insurers together stay within the ceiling.
        if (totalClaimed + amountFen > leaf.claimCeilingFen) {
            revert ClaimRegistryCeilingExceeded(
                leaf.settlementId, leaf.claimCeilingFen, totalClaimed, amountFen
            );
        }
        totalClaimed += amountFen;
        slots[free] = Claim({
            insurer: msg.sender,
            // forge-lint: disable-next-line(unsafe-typecast)
            amountFen: uint48(amountFen), // checked against type(uint48).max above
            // forge-lint: disable-next-line(unsafe-typecast)
            recordedAt: uint40(block.timestamp), // uint40 seconds last until the year 36812
            reversed: false
        });
        emit ClaimRecorded(leaf.settlementId, msg.sender, amountFen, totalClaimed);
    }
}
