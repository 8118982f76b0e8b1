// SPDX-License-Identifier: UNLICENSED
pragma solidity 0.8.28;

import {AttestationRegistry} from "../../src/AttestationRegistry.sol";
import {ClaimRegistry} from "../../src/ClaimRegistry.sol";
import {IAttestationRegistry} from "../../src/interfaces/IAttestationRegistry.sol";
import {IClaimRegistry} from "../../src/interfaces/IClaimRegistry.sol";

import {BaseTest} from "../utils/BaseTest.sol";
import {Merkle} from "../utils/Merkle.sol";

/// @title Drives ClaimRegistry with random claims, batched claims, reversals and supersessions
/// over one committed settlement batch, keeping the running total the contract must match; and
/// has another bureau reuse the batch's settlement ids, which must never take effect.
contract ClaimHandler is BaseTest {
    bytes32 internal constant RULES = keccak256("invariant rules");

    ClaimRegistry internal immutable claims;
    AttestationRegistry internal immutable attestations;
    address internal immutable bureau;
    address internal immutable otherBureau;

    IAttestationRegistry.SettlementLeaf[] internal _leaves;
    bytes32[] internal _tree;
    address[] internal _insurers;

    /// @notice Ghost sum of active claims per settlement, updated only on success.
    mapping(bytes32 settlementId => uint256) public ghostActiveFen;
    /// @notice Ghost amount of each insurer's active claim.
    mapping(bytes32 settlementId => mapping(address insurer => uint256)) public ghostClaimFen;
    /// @notice Set if a claim on a superseded settlement was ever accepted.
    bool public claimOnSupersededAccepted;
    /// @notice Set if a refusal for the ceiling happened while the ghost says the claim fitted.
    bool public ceilingRefusedWrongly;
    /// @notice Set if a claim proving another bureau's batch was accepted for one of our ids.
    bool public foreignClaimAccepted;
    /// @notice Set if another bureau superseded one of our settlements.
    bool public foreignSupersessionAccepted;
    /// @notice Set if another bureau's attempt was refused for any reason but the foreign id.
    bool public foreignRefusedOtherwise;

    uint256 public acceptedClaims;
    uint256 public refusedClaims;
    uint256 public reversals;
    uint256 public supersessions;
    uint256 public foreignRefusals;
    /// @dev Makes every rogue batch's root new.
    uint256 internal _rogueNonce;

    constructor(
        ClaimRegistry claims_,
        AttestationRegistry attestations_,
        address bureau_,
        address otherBureau_,
        address[] memory insurers_,
        IAttestationRegistry.SettlementLeaf[] memory leaves_
    ) {
        claims = claims_;
        attestations = attestations_;
        bureau = bureau_;
        otherBureau = otherBureau_;
        _insurers = insurers_;
        bytes32[] memory hashes = new bytes32[](leaves_.length);
        for (uint256 i = 0; i < leaves_.length; ++i) {
            _leaves.push(leaves_[i]);
            hashes[i] = Merkle.settlementLeafHash(leaves_[i]);
        }
        _tree = Merkle.build(hashes);
    }

    function root() external view returns (bytes32) {
        return _tree[0];
    }

    function leafCount() external view returns (uint256) {
        return _leaves.length;
    }

    function leafAt(uint256 index)
        external
        view
        returns (IAttestationRegistry.SettlementLeaf memory)
    {
        return _leaves[index];
    }

    function insurerCount() external view returns (uint256) {
        return _insurers.length;
    }

    function insurerAt(uint256 index) external view returns (address) {
        return _insurers[index];
    }

    /*//////////////////////////////////////////////////////////////
                                ACTIONS
    //////////////////////////////////////////////////////////////*/

    function recordClaim(uint256 insurerSeed, uint256 leafSeed, uint256 amountSeed) external {
        address insurer = _insurers[bound(insurerSeed, 0, _insurers.length - 1)];
        IAttestationRegistry.SettlementLeaf memory leaf =
            _leaves[bound(leafSeed, 0, _leaves.length - 1)];
        // Up to 1.5x the ceiling, so refusals for the ceiling are exercised too.
        uint256 amount = bound(amountSeed, 1, leaf.claimCeilingFen + leaf.claimCeilingFen / 2 + 1);
        bool superseded = attestations.supersededBy(leaf.settlementId) != bytes32(0);
        IClaimRegistry.ClaimRequest memory request = _request(leaf, amount);

        vm.prank(insurer);
        try claims.recordClaim(request) {
            _accepted(leaf.settlementId, insurer, amount, superseded);
        } catch (bytes memory reason) {
            _refused(reason, leaf, amount);
        }
    }

    function recordClaims(
        uint256 insurerSeed,
        uint256 firstLeafSeed,
        uint256 secondLeafSeed,
        uint256 amountSeed
    ) external {
        address insurer = _insurers[bound(insurerSeed, 0, _insurers.length - 1)];
        IAttestationRegistry.SettlementLeaf memory first =
            _leaves[bound(firstLeafSeed, 0, _leaves.length - 1)];
        IAttestationRegistry.SettlementLeaf memory second =
            _leaves[bound(secondLeafSeed, 0, _leaves.length - 1)];
        uint256 firstAmount = bound(amountSeed, 1, first.claimCeilingFen);
        uint256 secondAmount = bound(amountSeed >> 128, 1, second.claimCeilingFen);
        bool firstSuperseded = attestations.supersededBy(first.settlementId) != bytes32(0);
        bool secondSuperseded = attestations.supersededBy(second.settlementId) != bytes32(0);
        IClaimRegistry.ClaimRequest[] memory requests = new IClaimRegistry.ClaimRequest[](2);
        requests[0] = _request(first, firstAmount);
        requests[1] = _request(second, secondAmount);

        vm.prank(insurer);
        try claims.recordClaims(requests) {
            _accepted(first.settlementId, insurer, firstAmount, firstSuperseded);
            _accepted(second.settlementId, insurer, secondAmount, secondSuperseded);
        } catch {
            ++refusedClaims; // all or nothing: the ghost does not move
        }
    }

    function reverseClaim(uint256 callerSeed, uint256 insurerSeed, uint256 leafSeed) external {
        address insurer = _insurers[bound(insurerSeed, 0, _insurers.length - 1)];
        bytes32 settlementId = _leaves[bound(leafSeed, 0, _leaves.length - 1)].settlementId;
        // Half the time the claimant itself, otherwise a passer-by (allowed after supersession).
        address caller = callerSeed % 2 == 0 ? insurer : _freshAddress("passer-by", callerSeed);
        vm.prank(caller);
        try claims.reverseClaim(settlementId, insurer) {
            ghostActiveFen[settlementId] -= ghostClaimFen[settlementId][insurer];
            ghostClaimFen[settlementId][insurer] = 0;
            ++reversals;
        } catch {}
    }

    function supersede(uint256 oldSeed, uint256 newSeed) external {
        IAttestationRegistry.SettlementLeaf memory oldLeaf =
            _leaves[bound(oldSeed, 0, _leaves.length - 1)];
        IAttestationRegistry.SettlementLeaf memory newLeaf =
            _leaves[bound(newSeed, 0, _leaves.length - 1)];
        bytes32[] memory oldProof = Merkle.proof(_tree, Merkle.settlementLeafHash(oldLeaf));
        bytes32[] memory newProof = Merkle.proof(_tree, Merkle.settlementLeafHash(newLeaf));
        vm.prank(bureau);
        try attestations.supersedeSettlement(
            _tree[0], oldLeaf, oldProof, _tree[0], newLeaf, newProof
        ) {
            ++supersessions;
        } catch {}
    }

    /// @notice Another bureau commits one of our ids with an inflated ceiling and an insurer
    /// claims through it: refused, whatever the amount.
    function claimThroughForeignBatch(uint256 insurerSeed, uint256 leafSeed, uint256 amountSeed)
        external
    {
        address insurer = _insurers[bound(insurerSeed, 0, _insurers.length - 1)];
        // A copy of the genuine leaf (read from storage) with an inflated ceiling.
        IAttestationRegistry.SettlementLeaf memory rogue =
            _leaves[bound(leafSeed, 0, _leaves.length - 1)];
        rogue.claimCeilingFen = 10 * rogue.claimCeilingFen + 1;
        rogue.recordCommitment = keccak256(abi.encode("rogue record", ++_rogueNonce));
        bytes32 rogueRoot = Merkle.settlementLeafHash(rogue); // a one-leaf tree
        vm.prank(otherBureau);
        attestations.commitBatch(
            uint8(IAttestationRegistry.BatchKind.Settlement), rogueRoot, 1, RULES
        );
        IClaimRegistry.ClaimRequest memory request = IClaimRegistry.ClaimRequest({
            root: rogueRoot,
            leaf: rogue,
            proof: new bytes32[](0),
            amountFen: bound(amountSeed, 1, rogue.claimCeilingFen)
        });
        vm.prank(insurer);
        try claims.recordClaim(request) {
            foreignClaimAccepted = true;
        } catch (bytes memory reason) {
            _foreignRefused(reason, IClaimRegistry.ClaimRegistryForeignSettlementId.selector);
        }
    }

    /// @notice Another bureau commits one of our ids next to a "correction" of its own and
    /// supersedes it: refused.
    function supersedeThroughForeignBatch(uint256 leafSeed) external {
        IAttestationRegistry.SettlementLeaf memory genuine =
            _leaves[bound(leafSeed, 0, _leaves.length - 1)];
        IAttestationRegistry.SettlementLeaf memory correction = IAttestationRegistry.SettlementLeaf({
            settlementId: bytes32(bytes20(otherBureau)) | bytes32(++_rogueNonce & type(uint96).max),
            pseudonym: genuine.pseudonym,
            recordCommitment: genuine.recordCommitment,
            claimCeilingFen: genuine.claimCeilingFen
        });
        bytes32[] memory hashes = new bytes32[](2);
        hashes[0] = Merkle.settlementLeafHash(genuine);
        hashes[1] = Merkle.settlementLeafHash(correction);
        bytes32[] memory rogueTree = Merkle.build(hashes);
        vm.startPrank(otherBureau);
        attestations.commitBatch(
            uint8(IAttestationRegistry.BatchKind.Settlement), rogueTree[0], 2, RULES
        );
        try attestations.supersedeSettlement(
            rogueTree[0],
            genuine,
            Merkle.proof(rogueTree, hashes[0]),
            rogueTree[0],
            correction,
            Merkle.proof(rogueTree, hashes[1])
        ) {
            foreignSupersessionAccepted = true;
        } catch (bytes memory reason) {
            _foreignRefused(
                reason, IAttestationRegistry.AttestationRegistryForeignSettlementId.selector
            );
        }
        vm.stopPrank();
    }

    /*//////////////////////////////////////////////////////////////
                               INTERNALS
    //////////////////////////////////////////////////////////////*/

    function _request(IAttestationRegistry.SettlementLeaf memory leaf, uint256 amount)
        internal
        view
        returns (IClaimRegistry.ClaimRequest memory)
    {
        return IClaimRegistry.ClaimRequest({
            root: _tree[0],
            leaf: leaf,
            proof: Merkle.proof(_tree, Merkle.settlementLeafHash(leaf)),
            amountFen: amount
        });
    }

    function _accepted(bytes32 settlementId, address insurer, uint256 amount, bool superseded)
        internal
    {
        if (superseded) claimOnSupersededAccepted = true;
        ghostActiveFen[settlementId] += amount;
        ghostClaimFen[settlementId][insurer] = amount;
        ++acceptedClaims;
    }

    function _foreignRefused(bytes memory reason, bytes4 expected) internal {
        // forge-lint: disable-next-line(unsafe-typecast)
        if (bytes4(reason) == expected) ++foreignRefusals; // the selector: truncation intended
        else foreignRefusedOtherwise = true;
    }

    function _refused(
        bytes memory reason,
        IAttestationRegistry.SettlementLeaf memory leaf,
        uint256 amount
    ) internal {
        ++refusedClaims;
        // forge-lint: disable-next-line(unsafe-typecast)
        bytes4 selector = bytes4(reason); // the custom error's selector: truncation intended
        bool fitted = ghostActiveFen[leaf.settlementId] + amount <= leaf.claimCeilingFen;
        if (selector == IClaimRegistry.ClaimRegistryCeilingExceeded.selector && fitted) {
            ceilingRefusedWrongly = true;
        }
    }
}
