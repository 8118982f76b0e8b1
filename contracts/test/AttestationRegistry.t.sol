// SPDX-License-Identifier: UNLICENSED
pragma solidity 0.8.28;

import {MerkleProof} from "@openzeppelin/contracts/utils/cryptography/MerkleProof.sol";

import {IAttestationRegistry} from "../src/interfaces/IAttestationRegistry.sol";

import {Fixture} from "./utils/Fixture.sol";
import {Merkle} from "./utils/Merkle.sol";

contract AttestationRegistryTest is Fixture {
    event BatchCommitted(
        bytes32 indexed root,
        address indexed bureau,
        IAttestationRegistry.BatchKind indexed kind,
        uint32 leafCount,
        bytes32 rulesVersion
    );
    event SettlementSuperseded(
        bytes32 indexed settlementId, bytes32 indexed supersededBy, address indexed bureau
    );

    uint8 internal constant ENROLLMENT = uint8(IAttestationRegistry.BatchKind.Enrollment);
    uint8 internal constant SETTLEMENT = uint8(IAttestationRegistry.BatchKind.Settlement);
    uint8 internal constant ACCESS_LOG = uint8(IAttestationRegistry.BatchKind.AccessLog);

    /// @dev `bureau`'s settlement ids (set in setUp: they carry the bureau's address).
    bytes32 internal S1;
    bytes32 internal S2;
    bytes32 internal S1_CORRECTED;

    IAttestationRegistry.SettlementLeaf[] internal leaves;
    bytes32[] internal tree;
    /// @dev A second batch holding the correction of S1.
    bytes32[] internal correctionTree;

    function setUp() public override {
        super.setUp();
        S1 = _scoped(bureau, keccak256("settlement 1"));
        S2 = _scoped(bureau, keccak256("settlement 2"));
        S1_CORRECTED = _scoped(bureau, keccak256("settlement 1, corrected"));
        leaves.push(_leaf(S1, PSEUDONYM, 120_000));
        leaves.push(_leaf(S2, OTHER_PSEUDONYM, 80_000));
        leaves.push(_leaf(_scoped(bureau, keccak256("settlement 3")), PSEUDONYM, 5_000));
        tree = _tree(leaves);
        IAttestationRegistry.SettlementLeaf[] memory fix =
            new IAttestationRegistry.SettlementLeaf[](2);
        fix[0] = _corrected();
        fix[1] = _leaf(_scoped(bureau, keccak256("settlement 4")), OTHER_PSEUDONYM, 1_000);
        correctionTree = _tree(fix);
    }

    function _corrected() internal view returns (IAttestationRegistry.SettlementLeaf memory) {
        return _leaf(S1_CORRECTED, PSEUDONYM, 90_000);
    }

    /*//////////////////////////////////////////////////////////////
                         STANDARD MERKLE TREE
    //////////////////////////////////////////////////////////////*/

    function _katLeaf(string memory n, string memory parity, uint256 ceiling)
        internal
        pure
        returns (IAttestationRegistry.SettlementLeaf memory)
    {
        return IAttestationRegistry.SettlementLeaf({
            settlementId: sha256(bytes(string.concat("settlement-", n))),
            pseudonym: sha256(bytes(string.concat("pseudonym-", parity))),
            recordCommitment: sha256(bytes(string.concat("record-", n))),
            claimCeilingFen: ceiling
        });
    }

    /// @dev Known answer from @openzeppelin/merkle-tree 1.0.8: StandardMerkleTree.of(values,
    /// ["bytes32","bytes32","bytes32","uint256"]) over values[i-1] = [sha256("settlement-i"),
    /// sha256("pseudonym-" + i % 2), sha256("record-i"), 10000 * i] for i = 1..5.
    function test_merkleHelper_matchesOpenZeppelinStandardMerkleTree() public view {
        IAttestationRegistry.SettlementLeaf[] memory kat =
            new IAttestationRegistry.SettlementLeaf[](5);
        kat[0] = _katLeaf("1", "1", 10_000);
        kat[1] = _katLeaf("2", "0", 20_000);
        kat[2] = _katLeaf("3", "1", 30_000);
        kat[3] = _katLeaf("4", "0", 40_000);
        kat[4] = _katLeaf("5", "1", 50_000);
        bytes32[] memory katTree = _tree(kat);
        vm.assertEq(
            katTree[0],
            0x214bfb39203f125f67c91004c672b6208020d3fe42a363ad53964d174336d7e7,
            "root equals the npm package's"
        );
        bytes32[] memory siblings = _proof(katTree, kat[2]);
        vm.assertEq(siblings.length, 2, "proof length");
        vm.assertEq(
            siblings[0], 0x5ced180dd4c28b1402039716e396485c1c36026ac6e77e52fae21770c76e4c3a, "p0"
        );
        vm.assertEq(
            siblings[1], 0x1f07cac53fa81635c61f42d8760ba8943f7c4db8945af51297467b488a18a12a, "p1"
        );
        vm.assertEq(
            attestations.settlementLeafHash(kat[2]),
            Merkle.settlementLeafHash(kat[2]),
            "contract leaf hash"
        );
    }

    /*//////////////////////////////////////////////////////////////
                                COMMIT
    //////////////////////////////////////////////////////////////*/

    function test_commitBatch_recordsSettlementBatch() public {
        vm.warp(T0 + 1 days);
        vm.expectEmit(true, true, true, true, address(attestations));
        emit BatchCommitted(tree[0], bureau, IAttestationRegistry.BatchKind.Settlement, 3, RULES_V1);
        vm.prank(bureau);
        attestations.commitBatch(SETTLEMENT, tree[0], 3, RULES_V1);

        IAttestationRegistry.Batch memory batch = attestations.batchOf(tree[0]);
        vm.assertEq(batch.bureau, bureau, "bureau");
        vm.assertEq(uint256(batch.kind), SETTLEMENT, "kind");
        vm.assertEq(batch.leafCount, 3, "leafCount");
        vm.assertEq(batch.committedAt, T0 + 1 days, "committedAt");
    }

    function test_commitBatch_acceptsEnrollmentAndAccessLogWithoutRulesVersion() public {
        vm.startPrank(bureau);
        attestations.commitBatch(ENROLLMENT, keccak256("enrollment root"), 1000, bytes32(0));
        attestations.commitBatch(ACCESS_LOG, keccak256("access log root"), 1, bytes32(0));
        vm.stopPrank();
        vm.assertEq(
            uint256(attestations.batchOf(keccak256("enrollment root")).kind), ENROLLMENT, "enr"
        );
        vm.assertEq(
            uint256(attestations.batchOf(keccak256("access log root")).kind), ACCESS_LOG, "log"
        );
    }

    function testFuzz_commitBatch_recordsAnyNonEmptyBatch(
        uint8 kind,
        bytes32 root,
        uint32 leafCount,
        bytes32 rulesVersion
    ) public {
        kind = uint8(bound(kind, ENROLLMENT, ACCESS_LOG));
        root = bytes32(bound(uint256(root), 1, type(uint256).max));
        leafCount = uint32(bound(leafCount, 1, type(uint32).max));
        rulesVersion = bytes32(bound(uint256(rulesVersion), 1, type(uint256).max));
        vm.prank(bureau);
        attestations.commitBatch(kind, root, leafCount, rulesVersion);
        IAttestationRegistry.Batch memory batch = attestations.batchOf(root);
        vm.assertEq(uint256(batch.kind), kind, "kind");
        vm.assertEq(batch.leafCount, leafCount, "leafCount");
        vm.assertEq(batch.bureau, bureau, "bureau");
    }

    function test_commitBatch_revertsWhenCallerNotBureau() public {
        vm.expectRevert(
            abi.encodeWithSelector(
                IAttestationRegistry.AttestationRegistryNotBureau.selector, insurerA
            )
        );
        vm.prank(insurerA);
        attestations.commitBatch(SETTLEMENT, tree[0], 3, RULES_V1);
    }

    function test_commitBatch_revertsWhenCallerIsOperator() public {
        vm.expectRevert(
            abi.encodeWithSelector(
                IAttestationRegistry.AttestationRegistryNotBureau.selector, operator
            )
        );
        vm.prank(operator);
        attestations.commitBatch(SETTLEMENT, tree[0], 3, RULES_V1);
    }

    function test_commitBatch_revertsWhenBureauRemoved() public {
        vm.prank(operator);
        participants.removeParticipant(bureau);
        vm.expectRevert(
            abi.encodeWithSelector(
                IAttestationRegistry.AttestationRegistryNotBureau.selector, bureau
            )
        );
        vm.prank(bureau);
        attestations.commitBatch(SETTLEMENT, tree[0], 3, RULES_V1);
    }

    function testFuzz_commitBatch_revertsWhenCallerNotBureau(uint256 callerSeed) public {
        address caller = _freshAddress("committer", callerSeed);
        vm.expectRevert(
            abi.encodeWithSelector(
                IAttestationRegistry.AttestationRegistryNotBureau.selector, caller
            )
        );
        vm.prank(caller);
        attestations.commitBatch(SETTLEMENT, tree[0], 3, RULES_V1);
    }

    function test_commitBatch_revertsWhenKindNone() public {
        vm.expectRevert(
            abi.encodeWithSelector(IAttestationRegistry.AttestationRegistryInvalidKind.selector, 0)
        );
        vm.prank(bureau);
        attestations.commitBatch(0, tree[0], 3, RULES_V1);
    }

    function testFuzz_commitBatch_revertsWhenKindUnknown(uint8 kind) public {
        kind = uint8(bound(kind, ACCESS_LOG + 1, type(uint8).max));
        vm.expectRevert(
            abi.encodeWithSelector(
                IAttestationRegistry.AttestationRegistryInvalidKind.selector, kind
            )
        );
        vm.prank(bureau);
        attestations.commitBatch(kind, tree[0], 3, RULES_V1);
    }

    function test_commitBatch_revertsWhenRootZero() public {
        vm.expectRevert(
            abi.encodeWithSelector(
                IAttestationRegistry.AttestationRegistryEmptyBatch.selector, bytes32(0), 3
            )
        );
        vm.prank(bureau);
        attestations.commitBatch(SETTLEMENT, bytes32(0), 3, RULES_V1);
    }

    function test_commitBatch_revertsWhenNoLeaves() public {
        vm.expectRevert(
            abi.encodeWithSelector(
                IAttestationRegistry.AttestationRegistryEmptyBatch.selector, tree[0], 0
            )
        );
        vm.prank(bureau);
        attestations.commitBatch(SETTLEMENT, tree[0], 0, RULES_V1);
    }

    function test_commitBatch_revertsWhenSettlementLacksRulesVersion() public {
        vm.expectRevert(
            abi.encodeWithSelector(
                IAttestationRegistry.AttestationRegistryMissingRulesVersion.selector, tree[0]
            )
        );
        vm.prank(bureau);
        attestations.commitBatch(SETTLEMENT, tree[0], 3, bytes32(0));
    }

    function test_commitBatch_revertsWhenRootAlreadyCommitted() public {
        _commitSettlements(bureau, tree);
        vm.expectRevert(
            abi.encodeWithSelector(
                IAttestationRegistry.AttestationRegistryBatchExists.selector, tree[0], bureau
            )
        );
        vm.prank(otherBureau);
        attestations.commitBatch(ACCESS_LOG, tree[0], 3, bytes32(0));
    }

    /*//////////////////////////////////////////////////////////////
                                VERIFY
    //////////////////////////////////////////////////////////////*/

    function test_verify_acceptsEveryLeafOfCommittedBatch() public {
        _commitSettlements(bureau, tree);
        for (uint256 i = 0; i < leaves.length; ++i) {
            bytes32[] memory siblings = _proof(tree, leaves[i]);
            vm.assertTrue(attestations.verify(tree[0], abi.encode(leaves[i]), siblings), "verify");
            vm.assertTrue(attestations.verifySettlement(tree[0], leaves[i], siblings), "settle");
        }
    }

    function test_verify_falseForUncommittedRoot() public view {
        bytes32[] memory siblings = _proof(tree, leaves[0]);
        vm.assertFalse(attestations.verify(tree[0], abi.encode(leaves[0]), siblings), "verify");
        vm.assertFalse(attestations.verifySettlement(tree[0], leaves[0], siblings), "settlement");
    }

    function test_verify_falseForWrongProof() public {
        _commitSettlements(bureau, tree);
        bytes32[] memory siblings = _proof(tree, leaves[1]); // proof of another leaf
        vm.assertFalse(attestations.verifySettlement(tree[0], leaves[0], siblings), "wrong proof");
    }

    function testFuzz_verifySettlement_falseForAlteredCeiling(uint256 ceiling) public {
        _commitSettlements(bureau, tree);
        IAttestationRegistry.SettlementLeaf memory altered = leaves[0];
        ceiling = bound(ceiling, 0, type(uint256).max - 1);
        altered.claimCeilingFen = ceiling >= leaves[0].claimCeilingFen ? ceiling + 1 : ceiling;
        vm.assertFalse(
            attestations.verifySettlement(tree[0], altered, _proof(tree, leaves[0])), "altered"
        );
    }

    /// @dev A 3-leaf tree is [root, inner, leaf, leaf, leaf]: tree[1] = hash(tree[3], tree[4]).
    function test_verify_falseForInnerNodePresentedAsLeaf() public {
        _commitSettlements(bureau, tree);
        bytes32 inner = tree[1];
        bytes32[] memory siblings = new bytes32[](1);
        siblings[0] = tree[2];
        vm.assertTrue(MerkleProof.verify(siblings, tree[0], inner), "inner node proves raw");
        (bytes32 lo, bytes32 hi) = tree[3] < tree[4] ? (tree[3], tree[4]) : (tree[4], tree[3]);
        vm.assertEq(keccak256(abi.encodePacked(lo, hi)), inner, "inner = hash of its children");
        // Neither the node itself nor its 64-byte preimage passes as leaf values.
        vm.assertFalse(attestations.verify(tree[0], abi.encode(inner), siblings), "node");
        vm.assertFalse(attestations.verify(tree[0], abi.encodePacked(lo, hi), siblings), "pair");
    }

    function test_verify_falseForLeafHashInsteadOfLeafValues() public {
        _commitSettlements(bureau, tree);
        bytes32[] memory siblings = _proof(tree, leaves[0]);
        bytes memory hashed = abi.encode(Merkle.settlementLeafHash(leaves[0]));
        vm.assertFalse(attestations.verify(tree[0], hashed, siblings), "already hashed leaf");
        vm.assertTrue(attestations.verify(tree[0], abi.encode(leaves[0]), siblings), "values");
    }

    /// @dev Known answer from @openzeppelin/merkle-tree 1.0.8: StandardMerkleTree.of(values,
    /// ["bytes32","bytes32"]) over values[i-1] = [bytes32(0xE000 + i), bytes32(0xC000 + i)],
    /// i = 1..3 (an enrollment-style leaf: pseudonym, record commitment); proof of values[1].
    function test_verify_acceptsEncodedEnrollmentLeaves() public {
        bytes32 root = 0x564aaad1218e8ed322c1f0b687f7bf16fb7d88ce6d16b626a9f0072d211df13e;
        bytes32[] memory npmProof = new bytes32[](1);
        npmProof[0] = 0x8741bd8dde5066d3f8e87524b2ef3e784f4c7c8c3c8ca4e72e67b19f4ec0023c;
        bytes32[] memory hashes = new bytes32[](3);
        for (uint256 i = 1; i <= 3; ++i) {
            hashes[i - 1] = Merkle.hashLeaf(_enrollmentLeaf(i));
        }
        bytes32[] memory enrollmentTree = Merkle.build(hashes);
        vm.assertEq(enrollmentTree[0], root, "root equals the npm package's");
        vm.prank(bureau);
        attestations.commitBatch(ENROLLMENT, root, 3, bytes32(0));

        vm.assertTrue(attestations.verify(root, _enrollmentLeaf(2), npmProof), "npm proof");
        for (uint256 i = 1; i <= 3; ++i) {
            bytes memory encoded = _enrollmentLeaf(i);
            bytes32[] memory siblings = Merkle.proof(enrollmentTree, Merkle.hashLeaf(encoded));
            vm.assertTrue(attestations.verify(root, encoded, siblings), "every leaf");
        }
        vm.assertFalse(attestations.verify(root, _enrollmentLeaf(4), npmProof), "not a leaf");
    }

    /// @dev Known answer from @openzeppelin/merkle-tree 1.0.8: StandardMerkleTree.of(values,
    /// ["address","bytes32","uint32","uint32","uint48"]) over values[i-1] = [address(0x1000 + i),
    /// bytes32(0xA000 + i), 2, 1, 1750000000 + 3600 * i], i = 1..3 (an access-log-style leaf:
    /// insurer, pseudonym, scope, purpose, accessedAt); proof of values[1].
    function test_verify_acceptsEncodedAccessLogLeaves() public {
        bytes32 root = 0x6a98e2065f17ce03eec4fd07230f039b45994c14de5c5e54ef0e908348287e4c;
        bytes32[] memory npmProof = new bytes32[](2);
        npmProof[0] = 0x9a8ff340e9419042f6910fc89532f21564ad34b2d9a9ca9261f7a8588437cfc4;
        npmProof[1] = 0xb765456f519f8d1677a8b1265547d73f1b7fc3a8edfc766be5a1fa004a9a5c41;
        bytes32[] memory hashes = new bytes32[](3);
        for (uint48 i = 1; i <= 3; ++i) {
            hashes[i - 1] = Merkle.hashLeaf(_accessLogLeaf(i, 2, 1));
        }
        bytes32[] memory logTree = Merkle.build(hashes);
        vm.assertEq(logTree[0], root, "root equals the npm package's");
        vm.prank(bureau);
        attestations.commitBatch(ACCESS_LOG, root, 3, bytes32(0));

        vm.assertTrue(attestations.verify(root, _accessLogLeaf(2, 2, 1), npmProof), "npm proof");
        for (uint48 i = 1; i <= 3; ++i) {
            bytes memory encoded = _accessLogLeaf(i, 2, 1);
            bytes32[] memory siblings = Merkle.proof(logTree, Merkle.hashLeaf(encoded));
            vm.assertTrue(attestations.verify(root, encoded, siblings), "every leaf");
        }
        // Claiming a wider access than was logged fails.
        vm.assertFalse(attestations.verify(root, _accessLogLeaf(2, 3, 1), npmProof), "scope");
        vm.assertFalse(attestations.verify(root, _accessLogLeaf(2, 2, 5), npmProof), "purpose");
        vm.assertFalse(attestations.verifySettlement(root, leaves[0], npmProof), "not settlement");
    }

    function testFuzz_verify_acceptsAnyEncodedLeafOfCommittedBatch(
        address insurer,
        bytes32 pseudonym,
        uint32 scope,
        uint48 accessedAt,
        uint8 kind
    ) public {
        kind = uint8(bound(kind, ENROLLMENT, ACCESS_LOG));
        bytes[] memory encoded = new bytes[](2);
        encoded[0] = abi.encode(insurer, pseudonym, scope, uint32(1), accessedAt);
        encoded[1] = abi.encode(insurer, pseudonym, scope, uint32(2), accessedAt);
        bytes32[] memory hashes = new bytes32[](2);
        hashes[0] = Merkle.hashLeaf(encoded[0]);
        hashes[1] = Merkle.hashLeaf(encoded[1]);
        bytes32[] memory twoLeaves = Merkle.build(hashes);
        vm.prank(bureau);
        attestations.commitBatch(kind, twoLeaves[0], 2, RULES_V1);
        for (uint256 i = 0; i < 2; ++i) {
            bytes32[] memory siblings = Merkle.proof(twoLeaves, hashes[i]);
            vm.assertTrue(attestations.verify(twoLeaves[0], encoded[i], siblings), "leaf");
            vm.assertFalse(
                attestations.verify(twoLeaves[0], abi.encode(hashes[i]), siblings), "leaf hash"
            );
        }
    }

    function _enrollmentLeaf(uint256 i) internal pure returns (bytes memory) {
        return abi.encode(bytes32(0xE000 + i), bytes32(0xC000 + i));
    }

    function _accessLogLeaf(uint48 i, uint32 scope, uint32 purpose)
        internal
        pure
        returns (bytes memory)
    {
        return abi.encode(
            address(uint160(0x1000 + i)),
            bytes32(uint256(0xA000 + i)),
            scope,
            purpose,
            T0 + 3600 * i
        );
    }

    function test_verifySettlement_falseForNonSettlementBatch() public {
        vm.prank(bureau);
        attestations.commitBatch(ENROLLMENT, tree[0], 3, bytes32(0));
        bytes32[] memory siblings = _proof(tree, leaves[0]);
        vm.assertFalse(attestations.verifySettlement(tree[0], leaves[0], siblings), "enrollment");
        vm.assertTrue(attestations.verify(tree[0], abi.encode(leaves[0]), siblings), "raw");
    }

    /*//////////////////////////////////////////////////////////////
                           BUREAU-SCOPED IDS
    //////////////////////////////////////////////////////////////*/

    function test_bureauOf_isTheBureauThatNumberedTheSettlement() public view {
        vm.assertEq(attestations.bureauOf(S1), bureau, "bureau's id");
        vm.assertEq(attestations.bureauOf(S1_CORRECTED), bureau, "bureau's correction");
        bytes32 theirs = _scoped(otherBureau, keccak256("settlement 1"));
        vm.assertEq(attestations.bureauOf(theirs), otherBureau, "other bureau's id");
        vm.assertNotEq(theirs, S1, "same number, different bureaus: different ids");
        vm.assertEq(attestations.bureauOf(bytes32(0)), address(0), "zero id");
    }

    function testFuzz_bureauOf_isTheIdsFirstTwentyBytes(address owner, uint96 localId) public view {
        bytes32 settlementId = bytes32((uint256(uint160(owner)) << 96) | localId);
        vm.assertEq(attestations.bureauOf(settlementId), owner, "first 20 bytes");
        vm.assertEq(
            attestations.bureauOf(_scoped(owner, bytes32(uint256(localId)))), owner, "_scoped"
        );
    }

    /*//////////////////////////////////////////////////////////////
                              SUPERSESSION
    //////////////////////////////////////////////////////////////*/

    function _supersede(address by) internal {
        vm.prank(by);
        attestations.supersedeSettlement(
            tree[0],
            leaves[0],
            _proof(tree, leaves[0]),
            correctionTree[0],
            _corrected(),
            _proof(correctionTree, _corrected())
        );
    }

    function test_supersedeSettlement_marksOldSettlement() public {
        _commitSettlements(bureau, tree);
        _commitSettlements(bureau, correctionTree);
        vm.expectEmit(true, true, true, true, address(attestations));
        emit SettlementSuperseded(S1, S1_CORRECTED, bureau);
        _supersede(bureau);
        vm.assertEq(attestations.supersededBy(S1), S1_CORRECTED, "superseded");
        vm.assertEq(attestations.supersededBy(S1_CORRECTED), bytes32(0), "correction stands");
        (IAttestationRegistry.Batch memory batch, bytes32 superseding) =
            attestations.settlementStatus(tree[0], S1);
        vm.assertEq(batch.bureau, bureau, "status batch");
        vm.assertEq(superseding, S1_CORRECTED, "status superseding");
    }

    function test_supersedeSettlement_correctionMaySitInSameBatch() public {
        _commitSettlements(bureau, tree);
        vm.prank(bureau);
        attestations.supersedeSettlement(
            tree[0], leaves[0], _proof(tree, leaves[0]), tree[0], leaves[2], _proof(tree, leaves[2])
        );
        vm.assertEq(attestations.supersededBy(S1), leaves[2].settlementId, "superseded");
    }

    function test_supersedeSettlement_revertsWhenCallerNotBureau() public {
        _commitSettlements(bureau, tree);
        _commitSettlements(bureau, correctionTree);
        vm.expectRevert(
            abi.encodeWithSelector(
                IAttestationRegistry.AttestationRegistryNotBureau.selector, insurerA
            )
        );
        _supersede(insurerA);
    }

    function test_supersedeSettlement_revertsWhenOtherBureauCorrects() public {
        _commitSettlements(bureau, tree);
        _commitSettlements(bureau, correctionTree);
        vm.expectRevert(
            abi.encodeWithSelector(
                IAttestationRegistry.AttestationRegistryNotBatchBureau.selector,
                tree[0],
                bureau,
                otherBureau
            )
        );
        _supersede(otherBureau);
    }

    function test_supersedeSettlement_revertsWhenSameSettlementId() public {
        _commitSettlements(bureau, tree);
        bytes32[] memory siblings = _proof(tree, leaves[0]);
        vm.expectRevert(
            abi.encodeWithSelector(
                IAttestationRegistry.AttestationRegistryInvalidCorrection.selector, S1, S1
            )
        );
        vm.prank(bureau);
        attestations.supersedeSettlement(tree[0], leaves[0], siblings, tree[0], leaves[0], siblings);
    }

    function test_supersedeSettlement_revertsWhenCorrectionIsOtherPseudonym() public {
        _commitSettlements(bureau, tree);
        bytes32[] memory oldProof = _proof(tree, leaves[0]);
        bytes32[] memory newProof = _proof(tree, leaves[1]);
        vm.expectRevert(
            abi.encodeWithSelector(
                IAttestationRegistry.AttestationRegistryInvalidCorrection.selector, S1, S2
            )
        );
        vm.prank(bureau);
        attestations.supersedeSettlement(tree[0], leaves[0], oldProof, tree[0], leaves[1], newProof);
    }

    function test_supersedeSettlement_revertsWhenCorrectionUncommitted() public {
        _commitSettlements(bureau, tree);
        vm.expectRevert(
            abi.encodeWithSelector(
                IAttestationRegistry.AttestationRegistryUnknownBatch.selector, correctionTree[0]
            )
        );
        _supersede(bureau);
    }

    function test_supersedeSettlement_revertsWhenBatchNotSettlement() public {
        _commitSettlements(bureau, tree);
        vm.prank(bureau);
        attestations.commitBatch(ENROLLMENT, correctionTree[0], 2, bytes32(0));
        vm.expectRevert(
            abi.encodeWithSelector(
                IAttestationRegistry.AttestationRegistryWrongKind.selector,
                correctionTree[0],
                IAttestationRegistry.BatchKind.Settlement,
                IAttestationRegistry.BatchKind.Enrollment
            )
        );
        _supersede(bureau);
    }

    function test_supersedeSettlement_revertsWhenProofWrong() public {
        _commitSettlements(bureau, tree);
        _commitSettlements(bureau, correctionTree);
        bytes32[] memory wrong = _proof(tree, leaves[1]);
        bytes32[] memory newProof = _proof(correctionTree, _corrected());
        IAttestationRegistry.SettlementLeaf memory oldLeaf = leaves[0];
        vm.expectRevert(
            abi.encodeWithSelector(
                IAttestationRegistry.AttestationRegistryInvalidProof.selector,
                tree[0],
                Merkle.settlementLeafHash(oldLeaf)
            )
        );
        vm.prank(bureau);
        attestations.supersedeSettlement(
            tree[0], oldLeaf, wrong, correctionTree[0], _corrected(), newProof
        );
    }

    function test_supersedeSettlement_revertsWhenAlreadySuperseded() public {
        _commitSettlements(bureau, tree);
        _commitSettlements(bureau, correctionTree);
        _supersede(bureau);
        vm.expectRevert(
            abi.encodeWithSelector(
                IAttestationRegistry.AttestationRegistryAlreadySuperseded.selector, S1, S1_CORRECTED
            )
        );
        _supersede(bureau);
    }

    function test_supersedeSettlement_revertsWhenCorrectionItselfSuperseded() public {
        _commitSettlements(bureau, tree);
        _commitSettlements(bureau, correctionTree);
        _supersede(bureau); // S1 -> S1_CORRECTED
        // S3 cannot be corrected by S1, which is no longer in force.
        IAttestationRegistry.SettlementLeaf memory s3 = leaves[2];
        bytes32[] memory s3Proof = _proof(tree, s3);
        bytes32[] memory s1Proof = _proof(tree, leaves[0]);
        vm.expectRevert(
            abi.encodeWithSelector(
                IAttestationRegistry.AttestationRegistryAlreadySuperseded.selector, S1, S1_CORRECTED
            )
        );
        vm.prank(bureau);
        attestations.supersedeSettlement(tree[0], s3, s3Proof, tree[0], leaves[0], s1Proof);
    }

    function test_supersedeSettlement_revertsWhenOtherBureauReusesGenuineId() public {
        _commitSettlements(bureau, tree);
        // Another bureau commits leaves of its own reusing S1, and "corrects" them.
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
        vm.assertEq(attestations.supersededBy(S1), bytes32(0), "genuine settlement untouched");
    }

    function test_supersedeSettlement_revertsWhenCorrectionIdIsAnotherBureaus() public {
        _commitSettlements(bureau, tree);
        IAttestationRegistry.SettlementLeaf[] memory fix =
            new IAttestationRegistry.SettlementLeaf[](2);
        bytes32 borrowed = _scoped(otherBureau, keccak256("settlement 1, corrected"));
        fix[0] = _leaf(borrowed, PSEUDONYM, 90_000);
        fix[1] = _leaf(_scoped(bureau, keccak256("settlement 5")), PSEUDONYM, 1);
        bytes32[] memory fixTree = _tree(fix);
        _commitSettlements(bureau, fixTree);
        bytes32[] memory oldProof = _proof(tree, leaves[0]);
        bytes32[] memory newProof = _proof(fixTree, fix[0]);
        vm.expectRevert(
            abi.encodeWithSelector(
                IAttestationRegistry.AttestationRegistryForeignSettlementId.selector,
                borrowed,
                bureau
            )
        );
        vm.prank(bureau);
        attestations.supersedeSettlement(tree[0], leaves[0], oldProof, fixTree[0], fix[0], newProof);
        vm.assertEq(attestations.supersededBy(S1), bytes32(0), "not superseded");
    }

    /// @dev The id is checked before the proof: a foreign id is refused whatever proof comes.
    function testFuzz_supersedeSettlement_revertsWhenIdNotCallers(address owner, bytes32 raw)
        public
    {
        if (owner == bureau) owner = otherBureau; // any address but the caller's
        _commitSettlements(bureau, tree);
        _commitSettlements(bureau, correctionTree);
        IAttestationRegistry.SettlementLeaf memory foreign = leaves[0];
        foreign.settlementId = _scoped(owner, raw);
        bytes32[] memory oldProof = _proof(tree, leaves[0]);
        bytes32[] memory newProof = _proof(correctionTree, _corrected());
        vm.expectRevert(
            abi.encodeWithSelector(
                IAttestationRegistry.AttestationRegistryForeignSettlementId.selector,
                foreign.settlementId,
                bureau
            )
        );
        vm.prank(bureau);
        attestations.supersedeSettlement(
            tree[0], foreign, oldProof, correctionTree[0], _corrected(), newProof
        );
    }
}
