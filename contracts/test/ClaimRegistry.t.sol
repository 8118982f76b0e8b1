// SPDX-License-Identifier: UNLICENSED
pragma solidity 0.8.28;

import {ConsentVocabulary} from "../src/ConsentVocabulary.sol";
import {IAttestationRegistry} from "../src/interfaces/IAttestationRegistry.sol";
import {IClaimRegistry} from "../src/interfaces/IClaimRegistry.sol";
import {IConsentRegistry} from "../src/interfaces/IConsentRegistry.sol";

import {Fixture} from "./utils/Fixture.sol";
import {Merkle} from "./utils/Merkle.sol";

contract ClaimRegistryTest is Fixture {
    event ClaimRecorded(
        bytes32 indexed settlementId,
        address indexed insurer,
        uint256 amountFen,
        uint256 totalClaimedFen
    );
    event ClaimReversed(
        bytes32 indexed settlementId, address indexed insurer, uint256 amountFen, address reversedBy
    );

    uint256 internal constant CEILING_1 = 100_000;

    /// @dev `bureau`'s settlement ids (set in setUp: they carry the bureau's address).
    bytes32 internal S1;
    bytes32 internal S2;
    bytes32 internal S3;
    bytes32 internal S1_CORRECTED;

    IAttestationRegistry.SettlementLeaf[] internal leaves;
    bytes32[] internal tree;
    bytes32 internal root;
    bytes32 internal consentA;

    function setUp() public override {
        super.setUp();
        S1 = _scoped(bureau, keccak256("claim settlement 1"));
        S2 = _scoped(bureau, keccak256("claim settlement 2"));
        S3 = _scoped(bureau, keccak256("claim settlement 3"));
        S1_CORRECTED = _scoped(bureau, keccak256("claim settlement 1, corrected"));
        leaves.push(_leaf(S1, PSEUDONYM, CEILING_1));
        leaves.push(_leaf(S2, PSEUDONYM, 50_000));
        leaves.push(_leaf(S3, OTHER_PSEUDONYM, 30_000));
        leaves.push(_leaf(S1_CORRECTED, PSEUDONYM, 80_000));
        tree = _tree(leaves);
        root = tree[0];
        _commitSettlements(bureau, tree);
        consentA = _grantAs(patient, _claimTerms(PSEUDONYM, insurerA));
        _grantAs(patient, _claimTerms(PSEUDONYM, insurerB));
    }

    function _request(uint256 leafIndex, uint256 amountFen)
        internal
        view
        returns (IClaimRegistry.ClaimRequest memory)
    {
        return IClaimRegistry.ClaimRequest({
            root: root,
            leaf: leaves[leafIndex],
            proof: _proof(tree, leaves[leafIndex]),
            amountFen: amountFen
        });
    }

    function _claim(address insurer, uint256 leafIndex, uint256 amountFen)
        internal
        returns (uint256 total)
    {
        IClaimRegistry.ClaimRequest memory request = _request(leafIndex, amountFen);
        vm.prank(insurer);
        total = claims.recordClaim(request);
    }

    function _supersedeS1() internal {
        bytes32[] memory oldProof = _proof(tree, leaves[0]);
        bytes32[] memory newProof = _proof(tree, leaves[3]);
        vm.prank(bureau);
        attestations.supersedeSettlement(root, leaves[0], oldProof, root, leaves[3], newProof);
    }

    /*//////////////////////////////////////////////////////////////
                                RECORD
    //////////////////////////////////////////////////////////////*/

    function test_recordClaim_recordsClaimAndTotal() public {
        vm.warp(T0 + 3 days);
        IClaimRegistry.ClaimRequest memory request = _request(0, 60_000);
        vm.expectEmit(true, true, false, true, address(claims));
        emit ClaimRecorded(S1, insurerA, 60_000, 60_000);
        vm.prank(insurerA);
        uint256 total = claims.recordClaim(request);

        vm.assertEq(total, 60_000, "returned total");
        vm.assertEq(claims.totalClaimedFen(S1), 60_000, "totalClaimedFen");
        IClaimRegistry.Claim memory claim = claims.claimOf(S1, insurerA);
        vm.assertEq(claim.insurer, insurerA, "insurer");
        vm.assertEq(claim.amountFen, 60_000, "amount");
        vm.assertEq(claim.recordedAt, T0 + 3 days, "recordedAt");
        vm.assertFalse(claim.reversed, "active");
        vm.assertEq(claims.claimsOf(S1).length, 1, "one claim");
        vm.assertEq(claims.claimOf(S1, insurerB).insurer, address(0), "none for B");
    }

    function test_recordClaim_twoInsurersUpToExactlyTheCeiling() public {
        _claim(insurerA, 0, 60_000);
        vm.expectEmit(true, true, false, true, address(claims));
        emit ClaimRecorded(S1, insurerB, 40_000, CEILING_1);
        uint256 total = _claim(insurerB, 0, 40_000);
        vm.assertEq(total, CEILING_1, "total at the ceiling");
        IClaimRegistry.Claim[] memory all = claims.claimsOf(S1);
        vm.assertEq(all.length, 2, "two claims");
        vm.assertEq(all[0].insurer, insurerA, "first");
        vm.assertEq(all[1].insurer, insurerB, "second");
    }

    function test_recordClaim_revertsWhenTwoInsurersTogetherExceedCeiling() public {
        _claim(insurerA, 0, 60_000);
        IClaimRegistry.ClaimRequest memory request = _request(0, 40_001);
        vm.expectRevert(
            abi.encodeWithSelector(
                IClaimRegistry.ClaimRegistryCeilingExceeded.selector, S1, CEILING_1, 60_000, 40_001
            )
        );
        vm.prank(insurerB);
        claims.recordClaim(request);
    }

    function test_recordClaim_revertsWhenSingleClaimExceedsCeiling() public {
        IClaimRegistry.ClaimRequest memory request = _request(0, CEILING_1 + 1);
        vm.expectRevert(
            abi.encodeWithSelector(
                IClaimRegistry.ClaimRegistryCeilingExceeded.selector,
                S1,
                CEILING_1,
                0,
                CEILING_1 + 1
            )
        );
        vm.prank(insurerA);
        claims.recordClaim(request);
    }

    function testFuzz_recordClaim_twoInsurersNeverExceedCeiling(uint256 first, uint256 second)
        public
    {
        first = bound(first, 1, CEILING_1);
        second = bound(second, 1, CEILING_1);
        _claim(insurerA, 0, first);
        IClaimRegistry.ClaimRequest memory request = _request(0, second);
        if (first + second > CEILING_1) {
            vm.expectRevert(
                abi.encodeWithSelector(
                    IClaimRegistry.ClaimRegistryCeilingExceeded.selector,
                    S1,
                    CEILING_1,
                    first,
                    second
                )
            );
        }
        vm.prank(insurerB);
        claims.recordClaim(request);
        uint256 expected = first + second > CEILING_1 ? first : first + second;
        vm.assertEq(claims.totalClaimedFen(S1), expected, "total");
        vm.assertLe(claims.totalClaimedFen(S1), CEILING_1, "within the ceiling");
    }

    function test_recordClaim_revertsWhenProofWrong() public {
        IClaimRegistry.ClaimRequest memory request = _request(0, 1_000);
        request.proof = _proof(tree, leaves[1]);
        vm.expectRevert(
            abi.encodeWithSelector(
                IClaimRegistry.ClaimRegistryInvalidProof.selector,
                root,
                Merkle.settlementLeafHash(leaves[0])
            )
        );
        vm.prank(insurerA);
        claims.recordClaim(request);
    }

    function test_recordClaim_revertsWhenCeilingInflated() public {
        IClaimRegistry.ClaimRequest memory request = _request(0, 1_000);
        request.leaf.claimCeilingFen = 10 * CEILING_1;
        vm.expectRevert(
            abi.encodeWithSelector(
                IClaimRegistry.ClaimRegistryInvalidProof.selector,
                root,
                Merkle.settlementLeafHash(request.leaf)
            )
        );
        vm.prank(insurerA);
        claims.recordClaim(request);
    }

    function testFuzz_recordClaim_revertsWhenProofTampered(uint256 index, bytes32 tamper) public {
        IClaimRegistry.ClaimRequest memory request = _request(0, 1_000);
        index = bound(index, 0, request.proof.length - 1);
        tamper = bytes32(bound(uint256(tamper), 1, type(uint256).max));
        request.proof[index] ^= tamper;
        vm.expectRevert(
            abi.encodeWithSelector(
                IClaimRegistry.ClaimRegistryInvalidProof.selector,
                root,
                Merkle.settlementLeafHash(leaves[0])
            )
        );
        vm.prank(insurerA);
        claims.recordClaim(request);
    }

    function test_recordClaim_revertsWhenRootUncommitted() public {
        IAttestationRegistry.SettlementLeaf[] memory other =
            new IAttestationRegistry.SettlementLeaf[](1);
        other[0] = _leaf(_scoped(bureau, keccak256("never committed")), PSEUDONYM, 10_000);
        bytes32[] memory otherTree = _tree(other);
        IClaimRegistry.ClaimRequest memory request = IClaimRegistry.ClaimRequest({
            root: otherTree[0], leaf: other[0], proof: new bytes32[](0), amountFen: 1_000
        });
        vm.expectRevert(
            abi.encodeWithSelector(IClaimRegistry.ClaimRegistryUnknownBatch.selector, otherTree[0])
        );
        vm.prank(insurerA);
        claims.recordClaim(request);
    }

    function test_recordClaim_revertsWhenBatchIsNotSettlement() public {
        IAttestationRegistry.SettlementLeaf[] memory other =
            new IAttestationRegistry.SettlementLeaf[](1);
        other[0] = _leaf(_scoped(bureau, keccak256("in an enrollment batch")), PSEUDONYM, 10_000);
        bytes32[] memory otherTree = _tree(other);
        vm.prank(bureau);
        attestations.commitBatch(
            uint8(IAttestationRegistry.BatchKind.Enrollment), otherTree[0], 1, bytes32(0)
        );
        IClaimRegistry.ClaimRequest memory request = IClaimRegistry.ClaimRequest({
            root: otherTree[0], leaf: other[0], proof: new bytes32[](0), amountFen: 1_000
        });
        vm.expectRevert(
            abi.encodeWithSelector(
                IClaimRegistry.ClaimRegistryNotSettlementBatch.selector,
                otherTree[0],
                IAttestationRegistry.BatchKind.Enrollment
            )
        );
        vm.prank(insurerA);
        claims.recordClaim(request);
    }

    /// @dev Another bureau's batch holding `leaf`, with the root and the proof of `leaf`.
    function _rogueBatch(IAttestationRegistry.SettlementLeaf memory leaf)
        internal
        returns (IClaimRegistry.ClaimRequest memory request)
    {
        IAttestationRegistry.SettlementLeaf[] memory rogue =
            new IAttestationRegistry.SettlementLeaf[](2);
        rogue[0] = leaf;
        rogue[1] = _leaf(_scoped(otherBureau, keccak256("its own settlement")), PSEUDONYM, 1);
        bytes32[] memory rogueTree = _tree(rogue);
        _commitSettlements(otherBureau, rogueTree);
        request = IClaimRegistry.ClaimRequest({
            root: rogueTree[0], leaf: leaf, proof: _proof(rogueTree, leaf), amountFen: 1_000
        });
    }

    function test_recordClaim_revertsWhenLeafIdBelongsToAnotherBureau() public {
        IClaimRegistry.ClaimRequest memory request =
            _rogueBatch(_leaf(S1, PSEUDONYM, 10 * CEILING_1));
        vm.expectRevert(
            abi.encodeWithSelector(
                IClaimRegistry.ClaimRegistryForeignSettlementId.selector, S1, otherBureau
            )
        );
        vm.prank(insurerA);
        claims.recordClaim(request);
        vm.assertEq(claims.claimsOf(S1).length, 0, "nothing recorded");
    }

    function test_recordClaim_otherBureauRecommittingGenuineIdCannotInflateCeiling() public {
        _claim(insurerA, 0, CEILING_1);
        IClaimRegistry.ClaimRequest memory inflated =
            _rogueBatch(_leaf(S1, PSEUDONYM, CEILING_1 + 50_000));
        inflated.amountFen = 50_000;
        vm.expectRevert(
            abi.encodeWithSelector(
                IClaimRegistry.ClaimRegistryForeignSettlementId.selector, S1, otherBureau
            )
        );
        vm.prank(insurerB);
        claims.recordClaim(inflated);
        // Through the genuine batch the ceiling is full.
        IClaimRegistry.ClaimRequest memory genuine = _request(0, 1);
        vm.expectRevert(
            abi.encodeWithSelector(
                IClaimRegistry.ClaimRegistryCeilingExceeded.selector, S1, CEILING_1, CEILING_1, 1
            )
        );
        vm.prank(insurerB);
        claims.recordClaim(genuine);
        vm.assertEq(claims.totalClaimedFen(S1), CEILING_1, "paid up to the genuine ceiling only");
    }

    function test_recordClaim_revertsWhenBureauCommitsAnotherBureausId() public {
        bytes32 theirs = _scoped(otherBureau, keccak256("claim settlement 1"));
        IAttestationRegistry.SettlementLeaf[] memory borrowed =
            new IAttestationRegistry.SettlementLeaf[](1);
        borrowed[0] = _leaf(theirs, PSEUDONYM, CEILING_1);
        bytes32[] memory borrowedTree = _tree(borrowed);
        _commitSettlements(bureau, borrowedTree);
        IClaimRegistry.ClaimRequest memory request = IClaimRegistry.ClaimRequest({
            root: borrowedTree[0], leaf: borrowed[0], proof: new bytes32[](0), amountFen: 1_000
        });
        vm.expectRevert(
            abi.encodeWithSelector(
                IClaimRegistry.ClaimRegistryForeignSettlementId.selector, theirs, bureau
            )
        );
        vm.prank(insurerA);
        claims.recordClaim(request);
        vm.assertEq(claims.claimsOf(theirs).length, 0, "the other bureau's id stays free");
    }

    /// @dev The id is checked before the proof: a foreign id is refused whatever the proof.
    function testFuzz_recordClaim_revertsWhenIdForeignToBatchBureau(address owner, bytes32 raw)
        public
    {
        if (owner == bureau) owner = otherBureau; // any address but the batch's bureau
        IClaimRegistry.ClaimRequest memory request = _request(0, 1_000);
        request.leaf.settlementId = _scoped(owner, raw);
        vm.expectRevert(
            abi.encodeWithSelector(
                IClaimRegistry.ClaimRegistryForeignSettlementId.selector,
                request.leaf.settlementId,
                bureau
            )
        );
        vm.prank(insurerA);
        claims.recordClaim(request);
    }

    function test_recordClaim_batchCheckedBeforeSettlementId() public {
        IAttestationRegistry.SettlementLeaf[] memory other =
            new IAttestationRegistry.SettlementLeaf[](1);
        other[0] = _leaf(_scoped(otherBureau, keccak256("foreign")), PSEUDONYM, 10_000);
        bytes32[] memory otherTree = _tree(other);
        IClaimRegistry.ClaimRequest memory request = IClaimRegistry.ClaimRequest({
            root: otherTree[0], leaf: other[0], proof: new bytes32[](0), amountFen: 1_000
        });
        vm.expectRevert(
            abi.encodeWithSelector(IClaimRegistry.ClaimRegistryUnknownBatch.selector, otherTree[0])
        );
        vm.prank(insurerA);
        claims.recordClaim(request);

        vm.prank(bureau);
        attestations.commitBatch(
            uint8(IAttestationRegistry.BatchKind.AccessLog), otherTree[0], 1, bytes32(0)
        );
        vm.expectRevert(
            abi.encodeWithSelector(
                IClaimRegistry.ClaimRegistryNotSettlementBatch.selector,
                otherTree[0],
                IAttestationRegistry.BatchKind.AccessLog
            )
        );
        vm.prank(insurerA);
        claims.recordClaim(request);
    }

    /// @notice Another bureau reusing a genuine id can neither supersede the settlement (which
    /// would block claims on it and let anyone reverse existing ones) nor claim through it.
    function test_recordClaim_genuineSettlementUnaffectedByOtherBureauReusingItsId() public {
        _claim(insurerA, 0, 10_000);
        IAttestationRegistry.SettlementLeaf[] memory rogue =
            new IAttestationRegistry.SettlementLeaf[](2);
        rogue[0] = _leaf(S1, OTHER_PSEUDONYM, 1);
        rogue[1] = _leaf(_scoped(otherBureau, keccak256("rogue correction")), OTHER_PSEUDONYM, 1);
        bytes32[] memory rogueTree = _tree(rogue);
        _commitSettlements(otherBureau, rogueTree);
        bytes32[] memory oldProof = _proof(rogueTree, rogue[0]);
        bytes32[] memory newProof = _proof(rogueTree, rogue[1]);
        vm.expectRevert(
            abi.encodeWithSelector(
                IAttestationRegistry.AttestationRegistryForeignSettlementId.selector,
                S1,
                otherBureau
            )
        );
        vm.prank(otherBureau);
        attestations.supersedeSettlement(
            rogueTree[0], rogue[0], oldProof, rogueTree[0], rogue[1], newProof
        );

        vm.assertEq(_claim(insurerB, 0, 10_000), 20_000, "genuine settlement still claimable");
        vm.expectRevert(
            abi.encodeWithSelector(
                IClaimRegistry.ClaimRegistryNotClaimant.selector, S1, insurerA, stranger
            )
        );
        vm.prank(stranger);
        claims.reverseClaim(S1, insurerA);
    }

    function test_recordClaim_revertsWhenDoubleClaim() public {
        _claim(insurerA, 0, 10_000);
        IClaimRegistry.ClaimRequest memory request = _request(0, 5_000);
        vm.expectRevert(
            abi.encodeWithSelector(
                IClaimRegistry.ClaimRegistryDuplicateClaim.selector, S1, insurerA, 10_000
            )
        );
        vm.prank(insurerA);
        claims.recordClaim(request);
    }

    function test_recordClaim_revertsWhenClaimingAgainAfterReversal() public {
        _claim(insurerA, 0, 10_000);
        vm.prank(insurerA);
        claims.reverseClaim(S1, insurerA);
        IClaimRegistry.ClaimRequest memory request = _request(0, 10_000);
        vm.expectRevert(
            abi.encodeWithSelector(
                IClaimRegistry.ClaimRegistryDuplicateClaim.selector, S1, insurerA, 10_000
            )
        );
        vm.prank(insurerA);
        claims.recordClaim(request);
    }

    function test_recordClaim_revertsWhenSettlementSuperseded() public {
        _supersedeS1();
        IClaimRegistry.ClaimRequest memory request = _request(0, 1_000);
        vm.expectRevert(
            abi.encodeWithSelector(
                IClaimRegistry.ClaimRegistrySettlementSuperseded.selector, S1, S1_CORRECTED
            )
        );
        vm.prank(insurerA);
        claims.recordClaim(request);
        // The correction itself is claimable.
        _claim(insurerA, 3, 1_000);
        vm.assertEq(claims.totalClaimedFen(S1_CORRECTED), 1_000, "correction claimed");
    }

    function test_recordClaim_revertsWhenNoConsent() public {
        IClaimRegistry.ClaimRequest memory request = _request(2, 1_000); // OTHER_PSEUDONYM
        vm.expectRevert(
            abi.encodeWithSelector(
                IClaimRegistry.ClaimRegistryConsentMissing.selector,
                OTHER_PSEUDONYM,
                insurerA,
                IConsentRegistry.PermissionStatus.NoConsent
            )
        );
        vm.prank(insurerA);
        claims.recordClaim(request);
    }

    function test_recordClaim_revertsWhenConsentRevoked() public {
        vm.prank(patient);
        consents.revoke(PSEUDONYM, insurerA, consentA);
        IClaimRegistry.ClaimRequest memory request = _request(0, 1_000);
        vm.expectRevert(
            abi.encodeWithSelector(
                IClaimRegistry.ClaimRegistryConsentMissing.selector,
                PSEUDONYM,
                insurerA,
                IConsentRegistry.PermissionStatus.Revoked
            )
        );
        vm.prank(insurerA);
        claims.recordClaim(request);
    }

    function test_recordClaim_revertsWhenConsentExpired() public {
        vm.warp(T0 + YEAR + 1);
        IClaimRegistry.ClaimRequest memory request = _request(0, 1_000);
        vm.expectRevert(
            abi.encodeWithSelector(
                IClaimRegistry.ClaimRegistryConsentMissing.selector,
                PSEUDONYM,
                insurerA,
                IConsentRegistry.PermissionStatus.Expired
            )
        );
        vm.prank(insurerA);
        claims.recordClaim(request);
    }

    function test_recordClaim_revertsWhenConsentNotForClaims() public {
        IConsentRegistry.ConsentTerms memory terms = _claimTerms(PSEUDONYM, insurerA);
        terms.purposes = ConsentVocabulary.PURPOSE_UNDERWRITING; // replaces the CLAIM consent
        _grantAs(patient, terms);
        IClaimRegistry.ClaimRequest memory request = _request(0, 1_000);
        vm.expectRevert(
            abi.encodeWithSelector(
                IClaimRegistry.ClaimRegistryConsentMissing.selector,
                PSEUDONYM,
                insurerA,
                IConsentRegistry.PermissionStatus.PurposeNotCovered
            )
        );
        vm.prank(insurerA);
        claims.recordClaim(request);
    }

    function test_recordClaim_acceptsDirectSettlementConsent() public {
        IConsentRegistry.ConsentTerms memory terms = _claimTerms(PSEUDONYM, insurerA);
        terms.purposes = ConsentVocabulary.PURPOSE_DIRECT_SETTLEMENT; // the window payment
        _grantAs(patient, terms);
        IClaimRegistry.ClaimRequest memory request = _request(0, 1_000);
        vm.prank(insurerA);
        claims.recordClaim(request);
        vm.assertEq(claims.totalClaimedFen(request.leaf.settlementId), 1_000, "claimed");
    }

    function test_recordClaim_directSettlementConsentMustBeInForce() public {
        IConsentRegistry.ConsentTerms memory terms = _claimTerms(PSEUDONYM, insurerA);
        terms.purposes = ConsentVocabulary.PURPOSE_DIRECT_SETTLEMENT;
        bytes32 windowConsent = _grantAs(patient, terms);
        vm.prank(patient);
        consents.revoke(PSEUDONYM, insurerA, windowConsent);
        IClaimRegistry.ClaimRequest memory request = _request(0, 1_000);
        vm.expectRevert(
            abi.encodeWithSelector(
                IClaimRegistry.ClaimRegistryConsentMissing.selector,
                PSEUDONYM,
                insurerA,
                IConsentRegistry.PermissionStatus.Revoked
            )
        );
        vm.prank(insurerA);
        claims.recordClaim(request);
    }

    function test_recordClaim_revertsWhenInsurerRemoved() public {
        vm.prank(operator);
        participants.removeParticipant(insurerA);
        IClaimRegistry.ClaimRequest memory request = _request(0, 1_000);
        vm.expectRevert(
            abi.encodeWithSelector(
                IClaimRegistry.ClaimRegistryConsentMissing.selector,
                PSEUDONYM,
                insurerA,
                IConsentRegistry.PermissionStatus.InsurerInactive
            )
        );
        vm.prank(insurerA);
        claims.recordClaim(request);
    }

    function test_recordClaim_revertsWhenCallerUnknown() public {
        IClaimRegistry.ClaimRequest memory request = _request(0, 1_000);
        vm.expectRevert(
            abi.encodeWithSelector(
                IClaimRegistry.ClaimRegistryConsentMissing.selector,
                PSEUDONYM,
                stranger,
                IConsentRegistry.PermissionStatus.InsurerInactive
            )
        );
        vm.prank(stranger);
        claims.recordClaim(request);
    }

    function test_recordClaim_revertsWhenAmountZero() public {
        IClaimRegistry.ClaimRequest memory request = _request(0, 0);
        vm.expectRevert(
            abi.encodeWithSelector(IClaimRegistry.ClaimRegistryInvalidAmount.selector, 0)
        );
        vm.prank(insurerA);
        claims.recordClaim(request);
    }

    function testFuzz_recordClaim_revertsWhenAmountOverflowsRecord(uint256 amount) public {
        amount = bound(amount, uint256(type(uint48).max) + 1, type(uint256).max);
        IClaimRegistry.ClaimRequest memory request = _request(0, amount);
        vm.expectRevert(
            abi.encodeWithSelector(IClaimRegistry.ClaimRegistryInvalidAmount.selector, amount)
        );
        vm.prank(insurerA);
        claims.recordClaim(request);
    }

    function test_recordClaim_revertsWhenMoreThanMaxClaimants() public {
        uint256 max = claims.MAX_CLAIMS_PER_SETTLEMENT();
        _claim(insurerA, 0, 1);
        _claim(insurerB, 0, 1);
        address last;
        for (uint256 i = 2; i <= max; ++i) {
            last = _freshAddress("extra insurer", i);
            vm.prank(operator);
            participants.registerInsurer(last, "Extra", KEY_A, "https://extra.example");
            _grantAs(patient, _claimTerms(PSEUDONYM, last));
            if (i < max) _claim(last, 0, 1);
        }
        vm.assertEq(claims.claimsOf(S1).length, max, "slots full");
        IClaimRegistry.ClaimRequest memory request = _request(0, 1);
        vm.expectRevert(
            abi.encodeWithSelector(IClaimRegistry.ClaimRegistryTooManyClaims.selector, S1, max)
        );
        vm.prank(last);
        claims.recordClaim(request);
    }

    /*//////////////////////////////////////////////////////////////
                                BATCHED
    //////////////////////////////////////////////////////////////*/

    function test_recordClaims_recordsEveryClaim() public {
        IClaimRegistry.ClaimRequest[] memory requests = new IClaimRegistry.ClaimRequest[](2);
        requests[0] = _request(0, 10_000);
        requests[1] = _request(1, 20_000);
        vm.prank(insurerA);
        claims.recordClaims(requests);
        vm.assertEq(claims.totalClaimedFen(S1), 10_000, "S1");
        vm.assertEq(claims.totalClaimedFen(S2), 20_000, "S2");
    }

    function test_recordClaims_allOrNothing() public {
        IClaimRegistry.ClaimRequest[] memory requests = new IClaimRegistry.ClaimRequest[](3);
        requests[0] = _request(0, 10_000);
        requests[1] = _request(1, 20_000);
        requests[2] = _request(2, 1_000); // no consent for OTHER_PSEUDONYM
        vm.expectRevert(
            abi.encodeWithSelector(
                IClaimRegistry.ClaimRegistryConsentMissing.selector,
                OTHER_PSEUDONYM,
                insurerA,
                IConsentRegistry.PermissionStatus.NoConsent
            )
        );
        vm.prank(insurerA);
        claims.recordClaims(requests);
        vm.assertEq(claims.totalClaimedFen(S1), 0, "first claim rolled back");
        vm.assertEq(claims.totalClaimedFen(S2), 0, "second claim rolled back");
        vm.assertEq(claims.claimsOf(S1).length, 0, "no slot used");
    }

    function test_recordClaims_revertsWhenSameSettlementTwice() public {
        IClaimRegistry.ClaimRequest[] memory requests = new IClaimRegistry.ClaimRequest[](2);
        requests[0] = _request(0, 10_000);
        requests[1] = _request(0, 10_000);
        vm.expectRevert(
            abi.encodeWithSelector(
                IClaimRegistry.ClaimRegistryDuplicateClaim.selector, S1, insurerA, 10_000
            )
        );
        vm.prank(insurerA);
        claims.recordClaims(requests);
    }

    /*//////////////////////////////////////////////////////////////
                                REVERSE
    //////////////////////////////////////////////////////////////*/

    function test_reverseClaim_byClaimantFreesTheCeiling() public {
        _claim(insurerA, 0, 70_000);
        vm.expectEmit(true, true, false, true, address(claims));
        emit ClaimReversed(S1, insurerA, 70_000, insurerA);
        vm.prank(insurerA);
        claims.reverseClaim(S1, insurerA);

        vm.assertTrue(claims.claimOf(S1, insurerA).reversed, "reversed");
        vm.assertEq(claims.totalClaimedFen(S1), 0, "total");
        vm.assertEq(_claim(insurerB, 0, CEILING_1), CEILING_1, "room for the whole ceiling");
    }

    function test_reverseClaim_revertsWhenCallerNotClaimantBeforeSupersession() public {
        _claim(insurerA, 0, 70_000);
        vm.expectRevert(
            abi.encodeWithSelector(
                IClaimRegistry.ClaimRegistryNotClaimant.selector, S1, insurerA, insurerB
            )
        );
        vm.prank(insurerB);
        claims.reverseClaim(S1, insurerA);
    }

    function test_reverseClaim_byAnyoneAfterSupersession() public {
        _claim(insurerA, 0, 70_000);
        _supersedeS1();
        vm.expectEmit(true, true, false, true, address(claims));
        emit ClaimReversed(S1, insurerA, 70_000, stranger);
        vm.prank(stranger);
        claims.reverseClaim(S1, insurerA);
        vm.assertEq(claims.totalClaimedFen(S1), 0, "total");
    }

    function testFuzz_reverseClaim_byAnyoneAfterSupersession(uint256 callerSeed) public {
        address caller = _freshAddress("reverser", callerSeed);
        _claim(insurerA, 0, 70_000);
        _supersedeS1();
        vm.prank(caller);
        claims.reverseClaim(S1, insurerA);
        vm.assertTrue(claims.claimOf(S1, insurerA).reversed, "reversed");
    }

    function test_reverseClaim_revertsWhenAlreadyReversed() public {
        _claim(insurerA, 0, 70_000);
        vm.startPrank(insurerA);
        claims.reverseClaim(S1, insurerA);
        vm.expectRevert(
            abi.encodeWithSelector(IClaimRegistry.ClaimRegistryNoActiveClaim.selector, S1, insurerA)
        );
        claims.reverseClaim(S1, insurerA);
        vm.stopPrank();
    }

    function test_reverseClaim_revertsWhenNoClaim() public {
        _claim(insurerA, 0, 70_000);
        vm.expectRevert(
            abi.encodeWithSelector(IClaimRegistry.ClaimRegistryNoActiveClaim.selector, S1, insurerB)
        );
        vm.prank(insurerB);
        claims.reverseClaim(S1, insurerB);
    }

    function test_reverseClaim_leavesOtherClaimsActive() public {
        _claim(insurerA, 0, 30_000);
        _claim(insurerB, 0, 20_000);
        vm.prank(insurerA);
        claims.reverseClaim(S1, insurerA);
        vm.assertEq(claims.totalClaimedFen(S1), 20_000, "B's claim stands");
        vm.assertFalse(claims.claimOf(S1, insurerB).reversed, "B active");
    }
}
