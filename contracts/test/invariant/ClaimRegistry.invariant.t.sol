// SPDX-License-Identifier: UNLICENSED
pragma solidity 0.8.28;

import {IAttestationRegistry} from "../../src/interfaces/IAttestationRegistry.sol";
import {IClaimRegistry} from "../../src/interfaces/IClaimRegistry.sol";

import {Fixture} from "../utils/Fixture.sol";
import {ClaimHandler} from "./ClaimHandler.sol";

/// @dev What forge reads from `targetSelectors()`.
struct FuzzSelector {
    address addr;
    bytes4[] selectors;
}

/// @title Claims never exceed a settlement's ceiling, and the contract's totals are the ghost's.
contract ClaimRegistryInvariantTest is Fixture {
    ClaimHandler internal handler;

    function setUp() public override {
        super.setUp();
        // Four insurers with CLAIM consent from both patients.
        (, address bob) = _account("bob");
        vm.prank(bureau);
        consents.bindWallet(OTHER_PSEUDONYM, bob);
        address[] memory insurers = new address[](4);
        insurers[0] = insurerA;
        insurers[1] = insurerB;
        for (uint256 i = 2; i < insurers.length; ++i) {
            insurers[i] = _freshAddress("invariant insurer", i);
            vm.prank(operator);
            participants.registerInsurer(insurers[i], "Insurer", KEY_A, "https://i.example");
        }
        for (uint256 i = 0; i < insurers.length; ++i) {
            _grantAs(patient, _claimTerms(PSEUDONYM, insurers[i]));
            _grantAs(bob, _claimTerms(OTHER_PSEUDONYM, insurers[i]));
        }

        IAttestationRegistry.SettlementLeaf[] memory leaves =
            new IAttestationRegistry.SettlementLeaf[](6);
        uint256[6] memory ceilings = [uint256(1_000), 5_000, 20_000, 300, 80_000, 1];
        for (uint256 i = 0; i < leaves.length; ++i) {
            leaves[i] = _leaf(
                _scoped(bureau, keccak256(abi.encode("invariant settlement", i))),
                i % 2 == 0 ? PSEUDONYM : OTHER_PSEUDONYM,
                ceilings[i]
            );
        }
        handler = new ClaimHandler(claims, attestations, bureau, otherBureau, insurers, leaves);
        bytes32 root = handler.root();
        vm.prank(bureau);
        attestations.commitBatch(
            uint8(IAttestationRegistry.BatchKind.Settlement), root, 6, RULES_V1
        );
    }

    function targetContracts() public view returns (address[] memory targets) {
        targets = new address[](1);
        targets[0] = address(handler);
    }

    function targetSelectors() public view returns (FuzzSelector[] memory targets) {
        bytes4[] memory selectors = new bytes4[](6);
        selectors[0] = ClaimHandler.recordClaim.selector;
        selectors[1] = ClaimHandler.recordClaims.selector;
        selectors[2] = ClaimHandler.reverseClaim.selector;
        selectors[3] = ClaimHandler.supersede.selector;
        selectors[4] = ClaimHandler.claimThroughForeignBatch.selector;
        selectors[5] = ClaimHandler.supersedeThroughForeignBatch.selector;
        targets = new FuzzSelector[](1);
        targets[0] = FuzzSelector({addr: address(handler), selectors: selectors});
    }

    /// @notice (a) For every settlement: sum of active claims <= ceiling, and = the ghost sum.
    function invariant_activeClaimsWithinCeilingAndEqualGhostSum() public view {
        for (uint256 i = 0; i < handler.leafCount(); ++i) {
            IAttestationRegistry.SettlementLeaf memory leaf = handler.leafAt(i);
            uint256 total = claims.totalClaimedFen(leaf.settlementId);
            vm.assertLe(total, leaf.claimCeilingFen, "total above the ceiling");
            vm.assertEq(total, handler.ghostActiveFen(leaf.settlementId), "total != ghost sum");
        }
    }

    /// @notice Each insurer's recorded claim is the ghost's, and claimsOf adds up to the total.
    function invariant_claimRecordsMatchGhost() public view {
        for (uint256 i = 0; i < handler.leafCount(); ++i) {
            bytes32 settlementId = handler.leafAt(i).settlementId;
            IClaimRegistry.Claim[] memory all = claims.claimsOf(settlementId);
            uint256 sum = 0;
            for (uint256 j = 0; j < all.length; ++j) {
                if (!all[j].reversed) sum += all[j].amountFen;
            }
            vm.assertEq(sum, claims.totalClaimedFen(settlementId), "claimsOf != total");
            for (uint256 k = 0; k < handler.insurerCount(); ++k) {
                address insurer = handler.insurerAt(k);
                IClaimRegistry.Claim memory claim = claims.claimOf(settlementId, insurer);
                uint256 active = claim.reversed ? 0 : claim.amountFen;
                vm.assertEq(active, handler.ghostClaimFen(settlementId, insurer), "claim != ghost");
            }
        }
    }

    /// @notice No claim is accepted on a superseded settlement; no fitting claim is refused.
    function invariant_refusalsAndAcceptancesAreJustified() public view {
        vm.assertFalse(handler.claimOnSupersededAccepted(), "claim on superseded settlement");
        vm.assertFalse(handler.ceilingRefusedWrongly(), "fitting claim refused for the ceiling");
    }

    /// @notice Another bureau reusing the settlement ids neither claims nor supersedes through
    /// them, and is refused for exactly that reason.
    function invariant_otherBureauNeverActsOnTheSettlements() public view {
        vm.assertFalse(handler.foreignClaimAccepted(), "claim through a foreign batch");
        vm.assertFalse(handler.foreignSupersessionAccepted(), "foreign supersession");
        vm.assertFalse(handler.foreignRefusedOtherwise(), "refused, but not for the foreign id");
        for (uint256 i = 0; i < handler.leafCount(); ++i) {
            bytes32 superseding = attestations.supersededBy(handler.leafAt(i).settlementId);
            vm.assertTrue(
                superseding == bytes32(0) || attestations.bureauOf(superseding) == bureau,
                "superseded by another bureau's settlement"
            );
        }
    }

    /// @notice Every handler action can take effect: none is refused by construction (as every
    /// claim was while the settlement ids were not bureau-scoped), so the invariants above are
    /// checked on claimed, reversed and superseded settlements.
    function test_handler_everyActionTakesEffect() public {
        handler.recordClaim(0, 0, 1); // insurerA claims 1 fen on leaf 0 (PSEUDONYM)
        handler.recordClaims(1, 0, 2, 1); // insurerB claims leaves 0 and 2
        vm.assertEq(handler.acceptedClaims(), 3, "claims accepted");
        handler.reverseClaim(0, 0, 0); // insurerA reverses its own claim
        vm.assertEq(handler.reversals(), 1, "reversal");
        handler.supersede(0, 2); // leaf 0 -> leaf 2 (same pseudonym)
        vm.assertEq(handler.supersessions(), 1, "supersession");
        handler.claimThroughForeignBatch(0, 2, 1);
        handler.supersedeThroughForeignBatch(2);
        vm.assertEq(handler.foreignRefusals(), 2, "foreign attempts refused for the id");
        invariant_activeClaimsWithinCeilingAndEqualGhostSum();
        invariant_claimRecordsMatchGhost();
        invariant_refusalsAndAcceptancesAreJustified();
        invariant_otherBureauNeverActsOnTheSettlements();
    }
}
