// SPDX-License-Identifier: UNLICENSED
pragma solidity 0.8.28;

import {ConsentRegistry} from "../src/ConsentRegistry.sol";
import {ConsentVocabulary} from "../src/ConsentVocabulary.sol";
import {IConsentRegistry} from "../src/interfaces/IConsentRegistry.sol";

import {MockSmartWallet} from "./mocks/MockSmartWallet.sol";
import {Fixture} from "./utils/Fixture.sol";

contract ConsentRegistryTest is Fixture {
    event WalletBound(
        bytes32 indexed pseudonym,
        address indexed wallet,
        address indexed bureau,
        address previousWallet
    );
    event ConsentGranted(
        bytes32 indexed consentId,
        bytes32 indexed pseudonym,
        address indexed insurer,
        uint32 scopes,
        uint32 purposes,
        uint48 notBefore,
        uint48 notAfter,
        uint256 nonce
    );
    event ConsentRevoked(
        bytes32 indexed consentId,
        bytes32 indexed pseudonym,
        address indexed insurer,
        bytes32 replacedBy
    );

    uint32 internal constant SUMMARY = ConsentVocabulary.SCOPE_SETTLEMENT_SUMMARY;
    uint32 internal constant CLAIM = ConsentVocabulary.PURPOSE_CLAIM;

    uint256 internal newKey;
    address internal newWallet;

    function setUp() public override {
        super.setUp();
        (newKey, newWallet) = _account("patient's new wallet");
    }

    function _deadline() internal view returns (uint256) {
        return block.timestamp + 1 hours;
    }

    function _expectedId(IConsentRegistry.ConsentTerms memory terms, uint256 nonce)
        internal
        pure
        returns (bytes32)
    {
        return keccak256(
            abi.encode(
                terms.pseudonym,
                terms.insurer,
                terms.scopes,
                terms.purposes,
                terms.notBefore,
                terms.notAfter,
                nonce
            )
        );
    }

    /*//////////////////////////////////////////////////////////////
                                BINDING
    //////////////////////////////////////////////////////////////*/

    function test_bindWallet_bindsPseudonymToWallet() public {
        vm.expectEmit(true, true, true, true, address(consents));
        emit WalletBound(OTHER_PSEUDONYM, newWallet, bureau, address(0));
        vm.prank(bureau);
        consents.bindWallet(OTHER_PSEUDONYM, newWallet);
        (address wallet, address boundBy) = consents.bindingOf(OTHER_PSEUDONYM);
        vm.assertEq(wallet, newWallet, "wallet");
        vm.assertEq(boundBy, bureau, "bureau");
    }

    function test_bindWallet_revertsWhenCallerNotBureau() public {
        vm.expectRevert(
            abi.encodeWithSelector(IConsentRegistry.ConsentRegistryNotBureau.selector, insurerA)
        );
        vm.prank(insurerA);
        consents.bindWallet(OTHER_PSEUDONYM, newWallet);
    }

    function test_bindWallet_revertsWhenBureauRemoved() public {
        vm.prank(operator);
        participants.removeParticipant(bureau);
        vm.expectRevert(
            abi.encodeWithSelector(IConsentRegistry.ConsentRegistryNotBureau.selector, bureau)
        );
        vm.prank(bureau);
        consents.bindWallet(OTHER_PSEUDONYM, newWallet);
    }

    function test_bindWallet_revertsWhenWalletZero() public {
        vm.expectRevert(
            abi.encodeWithSelector(
                IConsentRegistry.ConsentRegistryZeroWallet.selector, OTHER_PSEUDONYM
            )
        );
        vm.prank(bureau);
        consents.bindWallet(OTHER_PSEUDONYM, address(0));
    }

    function test_bindWallet_rebindsAfterKeyLoss_onlyNewWalletSigns() public {
        vm.expectEmit(true, true, true, true, address(consents));
        emit WalletBound(PSEUDONYM, newWallet, bureau, patient);
        vm.prank(bureau);
        consents.bindWallet(PSEUDONYM, newWallet);

        IConsentRegistry.ConsentTerms memory terms = _claimTerms(PSEUDONYM, insurerA);
        uint256 deadline = _deadline();
        bytes32 digest = consents.grantDigest(terms, 0, deadline);

        // The lost wallet can neither sign nor act directly any more.
        bytes memory oldSignature = _sign(patientKey, digest);
        vm.expectRevert(
            abi.encodeWithSelector(
                IConsentRegistry.ConsentRegistryInvalidSignature.selector,
                PSEUDONYM,
                newWallet,
                patient
            )
        );
        consents.grantBySig(terms, 0, deadline, oldSignature);
        vm.expectRevert(
            abi.encodeWithSelector(
                IConsentRegistry.ConsentRegistryNotWallet.selector, PSEUDONYM, patient, newWallet
            )
        );
        vm.prank(patient);
        consents.grant(terms);

        // The new wallet can.
        vm.prank(relayer);
        bytes32 consentId = consents.grantBySig(terms, 0, deadline, _sign(newKey, digest));
        vm.assertEq(consents.consentOf(PSEUDONYM, insurerA).id, consentId, "granted");
    }

    function test_bindWallet_revertsWhenOtherBureauRebindsWhileBindingBureauActive() public {
        vm.expectRevert(
            abi.encodeWithSelector(
                IConsentRegistry.ConsentRegistryBoundByOtherBureau.selector,
                PSEUDONYM,
                bureau,
                otherBureau
            )
        );
        vm.prank(otherBureau);
        consents.bindWallet(PSEUDONYM, newWallet);
        (address wallet,) = consents.bindingOf(PSEUDONYM);
        vm.assertEq(wallet, patient, "binding unchanged");
    }

    function test_bindWallet_otherBureauTakesOverAfterBindingBureauRemoved() public {
        _removeBureauWithSuccessor(otherBureau);
        vm.expectEmit(true, true, true, true, address(consents));
        emit WalletBound(PSEUDONYM, newWallet, otherBureau, patient);
        vm.prank(otherBureau);
        consents.bindWallet(PSEUDONYM, newWallet);
        (address wallet, address boundBy) = consents.bindingOf(PSEUDONYM);
        vm.assertEq(wallet, newWallet, "wallet");
        vm.assertEq(boundBy, otherBureau, "the taking-over bureau is now the binding bureau");

        // Only the new wallet acts for the pseudonym.
        IConsentRegistry.ConsentTerms memory terms = _claimTerms(PSEUDONYM, insurerA);
        vm.expectRevert(
            abi.encodeWithSelector(
                IConsentRegistry.ConsentRegistryNotWallet.selector, PSEUDONYM, patient, newWallet
            )
        );
        vm.prank(patient);
        consents.grant(terms);
        _grantAs(newWallet, terms);
        vm.assertTrue(consents.isPermitted(PSEUDONYM, insurerA, SUMMARY, CLAIM), "granted");
    }

    function test_bindWallet_removedBureauCannotActAfterTakeover() public {
        _removeBureauWithSuccessor(otherBureau);
        vm.prank(otherBureau);
        consents.bindWallet(PSEUDONYM, newWallet);
        vm.expectRevert(
            abi.encodeWithSelector(IConsentRegistry.ConsentRegistryNotBureau.selector, bureau)
        );
        vm.prank(bureau);
        consents.bindWallet(PSEUDONYM, patient);
        (address wallet,) = consents.bindingOf(PSEUDONYM);
        vm.assertEq(wallet, newWallet, "binding unchanged");
    }

    function test_bindWallet_takenOverPseudonymIsGuardedForTheNewBindingBureau() public {
        _removeBureauWithSuccessor(otherBureau);
        vm.prank(otherBureau);
        consents.bindWallet(PSEUDONYM, newWallet);
        (, address thirdBureau) = _account("thirdBureau");
        vm.prank(operator);
        participants.registerBureau(thirdBureau, "Third bureau", "https://third.example");

        // While the new binding bureau is active, nobody else rebinds...
        vm.expectRevert(
            abi.encodeWithSelector(
                IConsentRegistry.ConsentRegistryBoundByOtherBureau.selector,
                PSEUDONYM,
                otherBureau,
                thirdBureau
            )
        );
        vm.prank(thirdBureau);
        consents.bindWallet(PSEUDONYM, stranger);
        // ...and it rebinds after key loss like the first binding bureau could.
        vm.prank(otherBureau);
        consents.bindWallet(PSEUDONYM, relayer);
        (address wallet, address boundBy) = consents.bindingOf(PSEUDONYM);
        vm.assertEq(wallet, relayer, "rebound");
        vm.assertEq(boundBy, otherBureau, "still the binding bureau");
    }

    function test_bindWallet_takeoverKeepsConsentsAndNonce() public {
        bytes32 consentId = _grantAs(patient, _claimTerms(PSEUDONYM, insurerA));
        _removeBureauWithSuccessor(otherBureau);
        vm.prank(otherBureau);
        consents.bindWallet(PSEUDONYM, newWallet);
        vm.assertTrue(consents.isPermitted(PSEUDONYM, insurerA, SUMMARY, CLAIM), "still in force");
        vm.assertEq(consents.nonceOf(PSEUDONYM), 1, "nonce carries on");
        vm.prank(newWallet);
        consents.revoke(PSEUDONYM, insurerA, consentId);
        vm.assertFalse(consents.isPermitted(PSEUDONYM, insurerA, SUMMARY, CLAIM), "revoked");
    }

    function testFuzz_bindWallet_designatedSuccessorTakesOverFromRemovedOne(
        uint256 bureauSeed,
        uint256 walletSeed
    ) public {
        address taker = _freshAddress("taking-over bureau", bureauSeed);
        address wallet = _freshAddress("taken-over wallet", walletSeed);
        vm.startPrank(operator);
        participants.registerBureau(taker, "Taker", "https://taker.example");
        participants.removeParticipant(bureau);
        participants.designateSuccessor(bureau, taker);
        vm.stopPrank();
        vm.prank(taker);
        consents.bindWallet(PSEUDONYM, wallet);
        (address bound, address boundBy) = consents.bindingOf(PSEUDONYM);
        vm.assertEq(bound, wallet, "wallet");
        vm.assertEq(boundBy, taker, "bureau");
    }

    function test_bindWallet_revertsWhenRemovedBureausPseudonymTakenByNonSuccessor() public {
        (, address thirdBureau) = _account("thirdBureau");
        vm.startPrank(operator);
        participants.registerBureau(thirdBureau, "Third bureau", "https://third.example");
        participants.removeParticipant(bureau);
        vm.stopPrank();
        // No successor designated yet: nobody takes over.
        vm.expectRevert(
            abi.encodeWithSelector(
                IConsentRegistry.ConsentRegistryBoundByOtherBureau.selector,
                PSEUDONYM,
                bureau,
                otherBureau
            )
        );
        vm.prank(otherBureau);
        consents.bindWallet(PSEUDONYM, newWallet);
        // Once the operator names a successor, only that bureau takes over.
        vm.prank(operator);
        participants.designateSuccessor(bureau, thirdBureau);
        vm.expectRevert(
            abi.encodeWithSelector(
                IConsentRegistry.ConsentRegistryBoundByOtherBureau.selector,
                PSEUDONYM,
                bureau,
                otherBureau
            )
        );
        vm.prank(otherBureau);
        consents.bindWallet(PSEUDONYM, newWallet);
        vm.prank(thirdBureau);
        consents.bindWallet(PSEUDONYM, newWallet);
        (, address boundBy) = consents.bindingOf(PSEUDONYM);
        vm.assertEq(boundBy, thirdBureau, "successor");
    }

    function _removeBureauWithSuccessor(address successor) internal {
        vm.startPrank(operator);
        participants.removeParticipant(bureau);
        participants.designateSuccessor(bureau, successor);
        vm.stopPrank();
    }

    function test_grant_revertsWhenPseudonymUnbound() public {
        vm.expectRevert(
            abi.encodeWithSelector(
                IConsentRegistry.ConsentRegistryUnboundPseudonym.selector, OTHER_PSEUDONYM
            )
        );
        vm.prank(patient);
        consents.grant(_claimTerms(OTHER_PSEUDONYM, insurerA));
    }

    /*//////////////////////////////////////////////////////////////
                             DIRECT GRANT
    //////////////////////////////////////////////////////////////*/

    function test_grant_recordsConsentUnderDeterministicId() public {
        IConsentRegistry.ConsentTerms memory terms = _claimTerms(PSEUDONYM, insurerA);
        bytes32 expectedId = _expectedId(terms, 0);
        vm.expectEmit(true, true, true, true, address(consents));
        emit ConsentGranted(expectedId, PSEUDONYM, insurerA, SUMMARY, CLAIM, T0, T0 + YEAR, 0);
        bytes32 consentId = _grantAs(patient, terms);

        vm.assertEq(consentId, expectedId, "id = keccak256(abi.encode(terms, nonce))");
        vm.assertEq(consents.consentIdOf(terms, 0), expectedId, "consentIdOf");
        IConsentRegistry.ConsentState memory state = consents.consentOf(PSEUDONYM, insurerA);
        vm.assertEq(state.id, expectedId, "state.id");
        vm.assertEq(state.scopes, SUMMARY, "scopes");
        vm.assertEq(state.purposes, CLAIM, "purposes");
        vm.assertEq(state.notBefore, T0, "notBefore");
        vm.assertEq(state.notAfter, T0 + YEAR, "notAfter");
        vm.assertEq(state.grantedAt, T0, "grantedAt");
        vm.assertEq(state.revokedAt, 0, "revokedAt");
        vm.assertEq(consents.nonceOf(PSEUDONYM), 1, "nonce used");
        vm.assertTrue(consents.isPermitted(PSEUDONYM, insurerA, SUMMARY, CLAIM), "permitted");
    }

    function testFuzz_grant_idMatchesOffChainRecomputation(
        uint32 scopes,
        uint32 purposes,
        uint256 notBefore,
        uint256 length
    ) public {
        IConsentRegistry.ConsentTerms memory terms = _claimTerms(PSEUDONYM, insurerB);
        terms.scopes = uint32(bound(scopes, 1, ConsentVocabulary.ALL_SCOPES));
        terms.purposes = uint32(bound(purposes, 1, ConsentVocabulary.ALL_PURPOSES));
        terms.notBefore = uint48(bound(notBefore, 0, T0 + 10 * YEAR));
        uint256 earliestEnd = terms.notBefore > T0 ? terms.notBefore : T0;
        terms.notAfter = uint48(bound(length, earliestEnd, type(uint48).max));
        _grantAs(patient, _claimTerms(PSEUDONYM, insurerA)); // nonce 0 goes elsewhere

        bytes32 consentId = _grantAs(patient, terms);
        vm.assertEq(consentId, _expectedId(terms, 1), "id");
        vm.assertEq(consents.consentOf(PSEUDONYM, insurerB).id, consentId, "stored");
        vm.assertEq(consents.nonceOf(PSEUDONYM), 2, "nonce");
    }

    function test_grant_revertsWhenCallerNotWallet() public {
        vm.expectRevert(
            abi.encodeWithSelector(
                IConsentRegistry.ConsentRegistryNotWallet.selector, PSEUDONYM, insurerA, patient
            )
        );
        vm.prank(insurerA);
        consents.grant(_claimTerms(PSEUDONYM, insurerA));
    }

    function test_grant_revertsWhenInsurerUnknown() public {
        vm.expectRevert(
            abi.encodeWithSelector(
                IConsentRegistry.ConsentRegistryInsurerInactive.selector, stranger
            )
        );
        vm.prank(patient);
        consents.grant(_claimTerms(PSEUDONYM, stranger));
    }

    function test_grant_revertsWhenInsurerRemoved() public {
        vm.prank(operator);
        participants.removeParticipant(insurerA);
        vm.expectRevert(
            abi.encodeWithSelector(
                IConsentRegistry.ConsentRegistryInsurerInactive.selector, insurerA
            )
        );
        vm.prank(patient);
        consents.grant(_claimTerms(PSEUDONYM, insurerA));
    }

    function test_grant_revertsWhenGranteeIsBureau() public {
        vm.expectRevert(
            abi.encodeWithSelector(IConsentRegistry.ConsentRegistryInsurerInactive.selector, bureau)
        );
        vm.prank(patient);
        consents.grant(_claimTerms(PSEUDONYM, bureau));
    }

    function test_grant_revertsWhenNoScope() public {
        IConsentRegistry.ConsentTerms memory terms = _claimTerms(PSEUDONYM, insurerA);
        terms.scopes = 0;
        vm.expectRevert(
            abi.encodeWithSelector(
                IConsentRegistry.ConsentRegistryInvalidScopesOrPurposes.selector, 0, CLAIM
            )
        );
        vm.prank(patient);
        consents.grant(terms);
    }

    function test_grant_revertsWhenPurposeBitUndefined() public {
        IConsentRegistry.ConsentTerms memory terms = _claimTerms(PSEUDONYM, insurerA);
        terms.purposes = CLAIM | (ConsentVocabulary.ALL_PURPOSES + 1);
        vm.expectRevert(
            abi.encodeWithSelector(
                IConsentRegistry.ConsentRegistryInvalidScopesOrPurposes.selector,
                SUMMARY,
                terms.purposes
            )
        );
        vm.prank(patient);
        consents.grant(terms);
    }

    function testFuzz_grant_revertsWhenScopeBitUndefined(uint32 scopes) public {
        IConsentRegistry.ConsentTerms memory terms = _claimTerms(PSEUDONYM, insurerA);
        // Any value with at least one bit above the vocabulary.
        terms.scopes = uint32(bound(scopes, ConsentVocabulary.ALL_SCOPES + 1, type(uint32).max));
        vm.expectRevert(
            abi.encodeWithSelector(
                IConsentRegistry.ConsentRegistryInvalidScopesOrPurposes.selector,
                terms.scopes,
                CLAIM
            )
        );
        vm.prank(patient);
        consents.grant(terms);
    }

    function test_grant_revertsWhenWindowEmpty() public {
        IConsentRegistry.ConsentTerms memory terms = _claimTerms(PSEUDONYM, insurerA);
        terms.notBefore = T0 + 10 days;
        terms.notAfter = T0 + 10 days - 1;
        vm.expectRevert(
            abi.encodeWithSelector(
                IConsentRegistry.ConsentRegistryInvalidWindow.selector,
                terms.notBefore,
                terms.notAfter,
                T0
            )
        );
        vm.prank(patient);
        consents.grant(terms);
    }

    function test_grant_revertsWhenWindowAlreadyEnded() public {
        IConsentRegistry.ConsentTerms memory terms = _claimTerms(PSEUDONYM, insurerA);
        terms.notBefore = T0 - 10 days;
        terms.notAfter = T0 - 1;
        vm.expectRevert(
            abi.encodeWithSelector(
                IConsentRegistry.ConsentRegistryInvalidWindow.selector,
                terms.notBefore,
                terms.notAfter,
                T0
            )
        );
        vm.prank(patient);
        consents.grant(terms);
    }

    function test_grant_replacesCurrentConsent_oldReportedRevokedWithReplacedBy() public {
        bytes32 oldId = _grantAs(patient, _claimTerms(PSEUDONYM, insurerA));
        IConsentRegistry.ConsentTerms memory wider = _claimTerms(PSEUDONYM, insurerA);
        wider.scopes = ConsentVocabulary.ALL_SCOPES;
        bytes32 newId = _expectedId(wider, 1);

        vm.expectEmit(true, true, true, true, address(consents));
        emit ConsentRevoked(oldId, PSEUDONYM, insurerA, newId);
        vm.expectEmit(true, true, true, true, address(consents));
        emit ConsentGranted(
            newId, PSEUDONYM, insurerA, ConsentVocabulary.ALL_SCOPES, CLAIM, T0, T0 + YEAR, 1
        );
        vm.prank(patient);
        consents.grant(wider);

        IConsentRegistry.ConsentState memory state = consents.consentOf(PSEUDONYM, insurerA);
        vm.assertEq(state.id, newId, "new consent is current");
        vm.assertEq(state.scopes, ConsentVocabulary.ALL_SCOPES, "new scopes");
        vm.assertTrue(
            consents.isPermitted(PSEUDONYM, insurerA, ConsentVocabulary.SCOPE_DIAGNOSIS, CLAIM),
            "widened"
        );
        // The replaced consent can no longer be acted on.
        vm.expectRevert(
            abi.encodeWithSelector(
                IConsentRegistry.ConsentRegistryConsentNotCurrent.selector, oldId, newId
            )
        );
        vm.prank(patient);
        consents.revoke(PSEUDONYM, insurerA, oldId);
    }

    function test_grant_consentsForDifferentInsurersAreIndependent() public {
        bytes32 idA = _grantAs(patient, _claimTerms(PSEUDONYM, insurerA));
        _grantAs(patient, _claimTerms(PSEUDONYM, insurerB));
        vm.assertEq(consents.consentOf(PSEUDONYM, insurerA).id, idA, "A untouched");
        vm.prank(patient);
        consents.revoke(PSEUDONYM, insurerA, idA);
        vm.assertTrue(consents.isPermitted(PSEUDONYM, insurerB, SUMMARY, CLAIM), "B still");
    }

    /*//////////////////////////////////////////////////////////////
                             SIGNED GRANT
    //////////////////////////////////////////////////////////////*/

    function test_grantDigest_matchesIndependentEip712Encoding() public view {
        IConsentRegistry.ConsentTerms memory terms = _claimTerms(PSEUDONYM, insurerA);
        bytes32 expected =
            _typedDataDigest(block.chainid, address(consents), _consentStructHash(terms, 7, 99));
        vm.assertEq(consents.grantDigest(terms, 7, 99), expected, "grant digest");

        bytes32 revocationStruct = keccak256(
            abi.encode(
                keccak256(
                    "Revocation(bytes32 pseudonym,address insurer,bytes32 consentId,uint256 deadline)"
                ),
                PSEUDONYM,
                insurerA,
                bytes32(uint256(42)),
                uint256(99)
            )
        );
        vm.assertEq(
            consents.revocationDigest(PSEUDONYM, insurerA, bytes32(uint256(42)), 99),
            _typedDataDigest(block.chainid, address(consents), revocationStruct),
            "revocation digest"
        );
    }

    function test_grantBySig_recordsConsentRelayedByAnyone() public {
        IConsentRegistry.ConsentTerms memory terms = _claimTerms(PSEUDONYM, insurerA);
        uint256 deadline = _deadline();
        bytes memory signature = _signGrant(patientKey, terms, 0, deadline);
        vm.expectEmit(true, true, true, true, address(consents));
        emit ConsentGranted(
            _expectedId(terms, 0), PSEUDONYM, insurerA, SUMMARY, CLAIM, T0, T0 + YEAR, 0
        );
        vm.prank(relayer);
        bytes32 consentId = consents.grantBySig(terms, 0, deadline, signature);
        vm.assertEq(consentId, _expectedId(terms, 0), "id");
        vm.assertEq(consents.nonceOf(PSEUDONYM), 1, "nonce");
        vm.assertTrue(consents.isPermitted(PSEUDONYM, insurerA, SUMMARY, CLAIM), "permitted");
    }

    function test_grantBySig_revertsWhenNonceReplayed() public {
        IConsentRegistry.ConsentTerms memory terms = _claimTerms(PSEUDONYM, insurerA);
        uint256 deadline = _deadline();
        bytes memory signature = _signGrant(patientKey, terms, 0, deadline);
        consents.grantBySig(terms, 0, deadline, signature);

        vm.expectRevert(
            abi.encodeWithSelector(
                IConsentRegistry.ConsentRegistryInvalidNonce.selector, PSEUDONYM, 1, 0
            )
        );
        consents.grantBySig(terms, 0, deadline, signature);
    }

    function test_grantBySig_revertsWhenReplayedAfterRevocation() public {
        IConsentRegistry.ConsentTerms memory terms = _claimTerms(PSEUDONYM, insurerA);
        uint256 deadline = _deadline();
        bytes memory signature = _signGrant(patientKey, terms, 0, deadline);
        bytes32 consentId = consents.grantBySig(terms, 0, deadline, signature);
        vm.prank(patient);
        consents.revoke(PSEUDONYM, insurerA, consentId);

        // The insurer cannot bring the revoked consent back by relaying the old signature.
        vm.expectRevert(
            abi.encodeWithSelector(
                IConsentRegistry.ConsentRegistryInvalidNonce.selector, PSEUDONYM, 1, 0
            )
        );
        vm.prank(insurerA);
        consents.grantBySig(terms, 0, deadline, signature);
        vm.assertFalse(consents.isPermitted(PSEUDONYM, insurerA, SUMMARY, CLAIM), "revoked");
    }

    function test_grantBySig_revertsWhenNonceAhead() public {
        IConsentRegistry.ConsentTerms memory terms = _claimTerms(PSEUDONYM, insurerA);
        uint256 deadline = _deadline();
        bytes memory signature = _signGrant(patientKey, terms, 1, deadline);
        vm.expectRevert(
            abi.encodeWithSelector(
                IConsentRegistry.ConsentRegistryInvalidNonce.selector, PSEUDONYM, 0, 1
            )
        );
        consents.grantBySig(terms, 1, deadline, signature);
    }

    function test_grantBySig_nonceSharedWithDirectGrant() public {
        IConsentRegistry.ConsentTerms memory terms = _claimTerms(PSEUDONYM, insurerA);
        uint256 deadline = _deadline();
        bytes memory signature = _signGrant(patientKey, terms, 0, deadline);
        _grantAs(patient, _claimTerms(PSEUDONYM, insurerB)); // uses nonce 0
        vm.expectRevert(
            abi.encodeWithSelector(
                IConsentRegistry.ConsentRegistryInvalidNonce.selector, PSEUDONYM, 1, 0
            )
        );
        consents.grantBySig(terms, 0, deadline, signature);
    }

    function test_grantBySig_revertsWhenSignedForOtherChainId() public {
        IConsentRegistry.ConsentTerms memory terms = _claimTerms(PSEUDONYM, insurerA);
        uint256 deadline = _deadline();
        bytes32 foreignDigest = _typedDataDigest(
            block.chainid + 1, address(consents), _consentStructHash(terms, 0, deadline)
        );
        bytes memory signature = _sign(patientKey, foreignDigest);
        address recovered = _recover(consents.grantDigest(terms, 0, deadline), signature);
        vm.assertTrue(recovered != patient, "a foreign domain recovers someone else");

        vm.expectRevert(
            abi.encodeWithSelector(
                IConsentRegistry.ConsentRegistryInvalidSignature.selector,
                PSEUDONYM,
                patient,
                recovered
            )
        );
        consents.grantBySig(terms, 0, deadline, signature);
    }

    function test_grantBySig_revertsOnForkedChainWithOtherChainId() public {
        IConsentRegistry.ConsentTerms memory terms = _claimTerms(PSEUDONYM, insurerA);
        uint256 deadline = _deadline();
        bytes32 digest = consents.grantDigest(terms, 0, deadline);
        bytes memory signature = _sign(patientKey, digest);

        vm.chainId(block.chainid + 1000); // the registry must rebuild its domain separator
        bytes32 forkDigest = consents.grantDigest(terms, 0, deadline);
        vm.assertNotEq(forkDigest, digest, "domain follows the chain id");
        address recovered = _recover(forkDigest, signature);
        vm.expectRevert(
            abi.encodeWithSelector(
                IConsentRegistry.ConsentRegistryInvalidSignature.selector,
                PSEUDONYM,
                patient,
                recovered
            )
        );
        consents.grantBySig(terms, 0, deadline, signature);
    }

    function test_grantBySig_revertsWhenSignedForOtherVerifyingContract() public {
        ConsentRegistry twin = new ConsentRegistry(participants);
        IConsentRegistry.ConsentTerms memory terms = _claimTerms(PSEUDONYM, insurerA);
        uint256 deadline = _deadline();
        bytes memory signature = _sign(patientKey, twin.grantDigest(terms, 0, deadline));
        address recovered = _recover(consents.grantDigest(terms, 0, deadline), signature);

        vm.expectRevert(
            abi.encodeWithSelector(
                IConsentRegistry.ConsentRegistryInvalidSignature.selector,
                PSEUDONYM,
                patient,
                recovered
            )
        );
        consents.grantBySig(terms, 0, deadline, signature);
    }

    function test_grantBySig_revertsWhenHighSTwinOfValidSignature() public {
        IConsentRegistry.ConsentTerms memory terms = _claimTerms(PSEUDONYM, insurerA);
        uint256 deadline = _deadline();
        bytes32 digest = consents.grantDigest(terms, 0, deadline);
        (uint8 v, bytes32 r, bytes32 s) = vm.sign(patientKey, digest);
        bytes32 highS = bytes32(SECP256K1_N - uint256(s));
        uint8 flippedV = v == 27 ? 28 : 27;
        bytes memory twin = abi.encodePacked(r, highS, flippedV);
        vm.assertEq(ecrecover(digest, flippedV, r, highS), patient, "twin is a valid ECDSA sig");

        vm.expectRevert(
            abi.encodeWithSelector(
                IConsentRegistry.ConsentRegistryMalleableSignature.selector, highS
            )
        );
        consents.grantBySig(terms, 0, deadline, twin);

        // The low-s original still works: the refusal was about the form, not the signer.
        consents.grantBySig(terms, 0, deadline, abi.encodePacked(r, s, v));
        vm.assertEq(consents.nonceOf(PSEUDONYM), 1, "low-s accepted");
    }

    function test_grantBySig_revertsWhenDeadlinePassed() public {
        IConsentRegistry.ConsentTerms memory terms = _claimTerms(PSEUDONYM, insurerA);
        uint256 deadline = T0 + 1 hours;
        bytes memory signature = _signGrant(patientKey, terms, 0, deadline);
        vm.warp(deadline + 1);
        vm.expectRevert(
            abi.encodeWithSelector(
                IConsentRegistry.ConsentRegistryExpiredSignature.selector, deadline, deadline + 1
            )
        );
        consents.grantBySig(terms, 0, deadline, signature);
    }

    function test_grantBySig_acceptedAtDeadline() public {
        IConsentRegistry.ConsentTerms memory terms = _claimTerms(PSEUDONYM, insurerA);
        uint256 deadline = T0 + 1 hours;
        bytes memory signature = _signGrant(patientKey, terms, 0, deadline);
        vm.warp(deadline);
        consents.grantBySig(terms, 0, deadline, signature);
        vm.assertEq(consents.nonceOf(PSEUDONYM), 1, "accepted at the deadline itself");
    }

    function testFuzz_grantBySig_revertsWhenDeadlinePassed(uint256 deadline, uint256 lateness)
        public
    {
        deadline = bound(deadline, T0, T0 + YEAR);
        lateness = bound(lateness, 1, YEAR);
        IConsentRegistry.ConsentTerms memory terms = _claimTerms(PSEUDONYM, insurerA);
        terms.notAfter = uint48(T0 + 3 * YEAR);
        bytes memory signature = _signGrant(patientKey, terms, 0, deadline);
        vm.warp(deadline + lateness);
        vm.expectRevert(
            abi.encodeWithSelector(
                IConsentRegistry.ConsentRegistryExpiredSignature.selector,
                deadline,
                deadline + lateness
            )
        );
        consents.grantBySig(terms, 0, deadline, signature);
    }

    function test_grantBySig_revertsWhenSignatureNot65Bytes() public {
        IConsentRegistry.ConsentTerms memory terms = _claimTerms(PSEUDONYM, insurerA);
        uint256 deadline = _deadline();
        (uint8 v, bytes32 r, bytes32 s) =
            vm.sign(patientKey, consents.grantDigest(terms, 0, deadline));
        // The 64-byte compact (EIP-2098) form is not accepted for EOA wallets.
        bytes32 vs = bytes32(uint256(s) | (uint256(v - 27) << 255));
        vm.expectRevert(
            abi.encodeWithSelector(IConsentRegistry.ConsentRegistryMalformedSignature.selector, 64)
        );
        consents.grantBySig(terms, 0, deadline, abi.encodePacked(r, vs));
    }

    function test_grantBySig_revertsWhenTermsAlteredByRelayer() public {
        IConsentRegistry.ConsentTerms memory terms = _claimTerms(PSEUDONYM, insurerA);
        uint256 deadline = _deadline();
        bytes memory signature = _signGrant(patientKey, terms, 0, deadline);
        IConsentRegistry.ConsentTerms memory altered = terms;
        altered.scopes = ConsentVocabulary.ALL_SCOPES;
        address recovered = _recover(consents.grantDigest(altered, 0, deadline), signature);
        vm.expectRevert(
            abi.encodeWithSelector(
                IConsentRegistry.ConsentRegistryInvalidSignature.selector,
                PSEUDONYM,
                patient,
                recovered
            )
        );
        vm.prank(insurerA);
        consents.grantBySig(altered, 0, deadline, signature);
    }

    function test_grantBySig_revertsWhenSignedByStranger() public {
        (uint256 strangerKey, address strangerAccount) = _account("stranger signer");
        IConsentRegistry.ConsentTerms memory terms = _claimTerms(PSEUDONYM, insurerA);
        uint256 deadline = _deadline();
        bytes memory signature = _signGrant(strangerKey, terms, 0, deadline);
        vm.expectRevert(
            abi.encodeWithSelector(
                IConsentRegistry.ConsentRegistryInvalidSignature.selector,
                PSEUDONYM,
                patient,
                strangerAccount
            )
        );
        consents.grantBySig(terms, 0, deadline, signature);
    }

    function testFuzz_grantBySig_revertsWhenSignedByAnyOtherKey(uint256 key) public {
        key = bound(key, 1, SECP256K1_N - 1);
        address signer = vm.addr(key);
        if (signer == patient) key = key == 1 ? 2 : key - 1; // clamp away from the one valid key
        signer = vm.addr(key);
        IConsentRegistry.ConsentTerms memory terms = _claimTerms(PSEUDONYM, insurerA);
        uint256 deadline = _deadline();
        bytes memory signature = _signGrant(key, terms, 0, deadline);
        vm.expectRevert(
            abi.encodeWithSelector(
                IConsentRegistry.ConsentRegistryInvalidSignature.selector,
                PSEUDONYM,
                patient,
                signer
            )
        );
        consents.grantBySig(terms, 0, deadline, signature);
    }

    function test_grantBySig_acceptsErc1271ContractWallet() public {
        (uint256 ownerKey, address owner) = _account("smart wallet owner");
        MockSmartWallet wallet = new MockSmartWallet(owner);
        vm.prank(bureau);
        consents.bindWallet(OTHER_PSEUDONYM, address(wallet));

        IConsentRegistry.ConsentTerms memory terms = _claimTerms(OTHER_PSEUDONYM, insurerA);
        uint256 deadline = _deadline();
        vm.prank(relayer);
        bytes32 consentId =
            consents.grantBySig(terms, 0, deadline, _signGrant(ownerKey, terms, 0, deadline));
        vm.assertEq(consents.consentOf(OTHER_PSEUDONYM, insurerA).id, consentId, "granted");
        vm.assertTrue(consents.isPermitted(OTHER_PSEUDONYM, insurerA, SUMMARY, CLAIM), "ok");
    }

    function test_grantBySig_revertsWhenErc1271WalletRejects() public {
        (, address owner) = _account("smart wallet owner");
        MockSmartWallet wallet = new MockSmartWallet(owner);
        vm.prank(bureau);
        consents.bindWallet(OTHER_PSEUDONYM, address(wallet));

        IConsentRegistry.ConsentTerms memory terms = _claimTerms(OTHER_PSEUDONYM, insurerA);
        uint256 deadline = _deadline();
        bytes memory signature = _signGrant(patientKey, terms, 0, deadline); // not the owner
        vm.expectRevert(
            abi.encodeWithSelector(
                IConsentRegistry.ConsentRegistryInvalidSignature.selector,
                OTHER_PSEUDONYM,
                address(wallet),
                address(0)
            )
        );
        consents.grantBySig(terms, 0, deadline, signature);
    }

    function test_grant_directlyByContractWallet() public {
        (, address owner) = _account("smart wallet owner");
        MockSmartWallet wallet = new MockSmartWallet(owner);
        vm.prank(bureau);
        consents.bindWallet(OTHER_PSEUDONYM, address(wallet));
        IConsentRegistry.ConsentTerms memory terms = _claimTerms(OTHER_PSEUDONYM, insurerB);
        vm.prank(owner);
        wallet.execute(address(consents), abi.encodeCall(consents.grant, (terms)));
        vm.assertTrue(consents.isPermitted(OTHER_PSEUDONYM, insurerB, SUMMARY, CLAIM), "granted");
    }

    /*//////////////////////////////////////////////////////////////
                                REVOKE
    //////////////////////////////////////////////////////////////*/

    function test_revoke_stopsPermissionAtOnce() public {
        bytes32 consentId = _grantAs(patient, _claimTerms(PSEUDONYM, insurerA));
        vm.warp(T0 + 5 days);
        vm.expectEmit(true, true, true, true, address(consents));
        emit ConsentRevoked(consentId, PSEUDONYM, insurerA, bytes32(0));
        vm.prank(patient);
        consents.revoke(PSEUDONYM, insurerA, consentId);

        IConsentRegistry.ConsentState memory state = consents.consentOf(PSEUDONYM, insurerA);
        vm.assertEq(state.id, consentId, "id kept for the record");
        vm.assertEq(state.revokedAt, T0 + 5 days, "revokedAt");
        vm.assertFalse(consents.isPermitted(PSEUDONYM, insurerA, SUMMARY, CLAIM), "refused");
        vm.assertEq(
            uint256(consents.permissionOf(PSEUDONYM, insurerA, SUMMARY, CLAIM)),
            uint256(IConsentRegistry.PermissionStatus.Revoked),
            "status Revoked"
        );
    }

    function test_revoke_revertsWhenCallerNotWallet() public {
        bytes32 consentId = _grantAs(patient, _claimTerms(PSEUDONYM, insurerA));
        vm.expectRevert(
            abi.encodeWithSelector(
                IConsentRegistry.ConsentRegistryNotWallet.selector, PSEUDONYM, bureau, patient
            )
        );
        vm.prank(bureau);
        consents.revoke(PSEUDONYM, insurerA, consentId);
    }

    function test_revoke_revertsWhenNoConsentGranted() public {
        bytes32 bogus = keccak256("no such consent");
        vm.expectRevert(
            abi.encodeWithSelector(
                IConsentRegistry.ConsentRegistryConsentNotCurrent.selector, bogus, bytes32(0)
            )
        );
        vm.prank(patient);
        consents.revoke(PSEUDONYM, insurerA, bogus);
    }

    function test_revoke_revertsWhenZeroIdAndNoConsent() public {
        vm.expectRevert(
            abi.encodeWithSelector(
                IConsentRegistry.ConsentRegistryConsentNotCurrent.selector, bytes32(0), bytes32(0)
            )
        );
        vm.prank(patient);
        consents.revoke(PSEUDONYM, insurerA, bytes32(0));
    }

    function test_revoke_revertsWhenAlreadyRevoked() public {
        bytes32 consentId = _grantAs(patient, _claimTerms(PSEUDONYM, insurerA));
        vm.warp(T0 + 1 days);
        vm.startPrank(patient);
        consents.revoke(PSEUDONYM, insurerA, consentId);
        vm.expectRevert(
            abi.encodeWithSelector(
                IConsentRegistry.ConsentRegistryAlreadyRevoked.selector, consentId, T0 + 1 days
            )
        );
        consents.revoke(PSEUDONYM, insurerA, consentId);
        vm.stopPrank();
    }

    function test_revokedConsent_isNeverRevived() public {
        IConsentRegistry.ConsentTerms memory terms = _claimTerms(PSEUDONYM, insurerA);
        bytes32 firstId = _grantAs(patient, terms);
        vm.prank(patient);
        consents.revoke(PSEUDONYM, insurerA, firstId);

        // Granting the very same terms again is a new consent with a new id...
        bytes32 secondId = _grantAs(patient, terms);
        vm.assertNotEq(secondId, firstId, "fresh id");
        IConsentRegistry.ConsentState memory state = consents.consentOf(PSEUDONYM, insurerA);
        vm.assertEq(state.id, secondId, "current");
        vm.assertEq(state.revokedAt, 0, "new consent in force");
        // ...and the revoked one stays dead: nothing can act on it any more.
        vm.expectRevert(
            abi.encodeWithSelector(
                IConsentRegistry.ConsentRegistryConsentNotCurrent.selector, firstId, secondId
            )
        );
        vm.prank(patient);
        consents.revoke(PSEUDONYM, insurerA, firstId);
    }

    function test_revokeBySig_relayedByAnyone() public {
        bytes32 consentId = _grantAs(patient, _claimTerms(PSEUDONYM, insurerA));
        uint256 deadline = _deadline();
        bytes memory signature =
            _signRevocation(patientKey, PSEUDONYM, insurerA, consentId, deadline);
        vm.expectEmit(true, true, true, true, address(consents));
        emit ConsentRevoked(consentId, PSEUDONYM, insurerA, bytes32(0));
        vm.prank(relayer);
        consents.revokeBySig(PSEUDONYM, insurerA, consentId, deadline, signature);
        vm.assertFalse(consents.isPermitted(PSEUDONYM, insurerA, SUMMARY, CLAIM), "revoked");
    }

    function test_revokeBySig_revertsWhenReplayed() public {
        bytes32 consentId = _grantAs(patient, _claimTerms(PSEUDONYM, insurerA));
        uint256 deadline = _deadline();
        bytes memory signature =
            _signRevocation(patientKey, PSEUDONYM, insurerA, consentId, deadline);
        consents.revokeBySig(PSEUDONYM, insurerA, consentId, deadline, signature);
        vm.expectRevert(
            abi.encodeWithSelector(
                IConsentRegistry.ConsentRegistryAlreadyRevoked.selector, consentId, T0
            )
        );
        consents.revokeBySig(PSEUDONYM, insurerA, consentId, deadline, signature);
    }

    function test_revokeBySig_cannotTouchLaterConsent() public {
        bytes32 firstId = _grantAs(patient, _claimTerms(PSEUDONYM, insurerA));
        uint256 deadline = _deadline();
        bytes memory signature = _signRevocation(patientKey, PSEUDONYM, insurerA, firstId, deadline);
        consents.revokeBySig(PSEUDONYM, insurerA, firstId, deadline, signature);
        bytes32 secondId = _grantAs(patient, _claimTerms(PSEUDONYM, insurerA));

        vm.expectRevert(
            abi.encodeWithSelector(
                IConsentRegistry.ConsentRegistryConsentNotCurrent.selector, firstId, secondId
            )
        );
        consents.revokeBySig(PSEUDONYM, insurerA, firstId, deadline, signature);
        vm.assertTrue(consents.isPermitted(PSEUDONYM, insurerA, SUMMARY, CLAIM), "second stands");
    }

    function test_revokeBySig_revertsWhenSignedByInsurer() public {
        (uint256 insurerKey,) = _account("insurerA");
        bytes32 consentId = _grantAs(patient, _claimTerms(PSEUDONYM, insurerA));
        uint256 deadline = _deadline();
        bytes memory signature =
            _signRevocation(insurerKey, PSEUDONYM, insurerA, consentId, deadline);
        vm.expectRevert(
            abi.encodeWithSelector(
                IConsentRegistry.ConsentRegistryInvalidSignature.selector,
                PSEUDONYM,
                patient,
                insurerA
            )
        );
        consents.revokeBySig(PSEUDONYM, insurerA, consentId, deadline, signature);
    }

    function test_revokeBySig_revertsWhenDeadlinePassed() public {
        bytes32 consentId = _grantAs(patient, _claimTerms(PSEUDONYM, insurerA));
        uint256 deadline = T0 + 1 hours;
        bytes memory signature =
            _signRevocation(patientKey, PSEUDONYM, insurerA, consentId, deadline);
        vm.warp(deadline + 1);
        vm.expectRevert(
            abi.encodeWithSelector(
                IConsentRegistry.ConsentRegistryExpiredSignature.selector, deadline, deadline + 1
            )
        );
        consents.revokeBySig(PSEUDONYM, insurerA, consentId, deadline, signature);
    }

    function test_revokeBySig_acceptsErc1271ContractWallet() public {
        (uint256 ownerKey, address owner) = _account("smart wallet owner");
        MockSmartWallet wallet = new MockSmartWallet(owner);
        vm.prank(bureau);
        consents.bindWallet(OTHER_PSEUDONYM, address(wallet));
        IConsentRegistry.ConsentTerms memory terms = _claimTerms(OTHER_PSEUDONYM, insurerA);
        uint256 deadline = _deadline();
        bytes32 consentId =
            consents.grantBySig(terms, 0, deadline, _signGrant(ownerKey, terms, 0, deadline));

        consents.revokeBySig(
            OTHER_PSEUDONYM,
            insurerA,
            consentId,
            deadline,
            _signRevocation(ownerKey, OTHER_PSEUDONYM, insurerA, consentId, deadline)
        );
        vm.assertFalse(consents.isPermitted(OTHER_PSEUDONYM, insurerA, SUMMARY, CLAIM), "revoked");
    }

    /*//////////////////////////////////////////////////////////////
                              PERMISSION
    //////////////////////////////////////////////////////////////*/

    function _windowed() internal returns (IConsentRegistry.ConsentTerms memory terms) {
        terms = _claimTerms(PSEUDONYM, insurerA);
        terms.notBefore = T0 + 10 days;
        terms.notAfter = T0 + 40 days;
        _grantAs(patient, terms);
    }

    function _status() internal view returns (IConsentRegistry.PermissionStatus) {
        return consents.permissionOf(PSEUDONYM, insurerA, SUMMARY, CLAIM);
    }

    function test_isPermitted_falseBeforeNotBefore() public {
        _windowed();
        vm.warp(T0 + 10 days - 1);
        vm.assertFalse(consents.isPermitted(PSEUDONYM, insurerA, SUMMARY, CLAIM), "too early");
        vm.assertEq(
            uint256(_status()), uint256(IConsentRegistry.PermissionStatus.NotYetValid), "status"
        );
    }

    function test_isPermitted_trueOnWindowEdges() public {
        _windowed();
        vm.warp(T0 + 10 days);
        vm.assertTrue(consents.isPermitted(PSEUDONYM, insurerA, SUMMARY, CLAIM), "notBefore");
        vm.warp(T0 + 40 days);
        vm.assertTrue(consents.isPermitted(PSEUDONYM, insurerA, SUMMARY, CLAIM), "notAfter");
    }

    function test_isPermitted_falseAfterNotAfter() public {
        _windowed();
        vm.warp(T0 + 40 days + 1);
        vm.assertFalse(consents.isPermitted(PSEUDONYM, insurerA, SUMMARY, CLAIM), "too late");
        vm.assertEq(
            uint256(_status()), uint256(IConsentRegistry.PermissionStatus.Expired), "status"
        );
    }

    function testFuzz_isPermitted_onlyInsideWindow(uint256 when) public {
        _windowed();
        when = bound(when, T0, T0 + 100 days);
        vm.warp(when);
        bool inside = when >= T0 + 10 days && when <= T0 + 40 days;
        vm.assertEq(consents.isPermitted(PSEUDONYM, insurerA, SUMMARY, CLAIM), inside, "window");
        IConsentRegistry.PermissionStatus expected = inside
            ? IConsentRegistry.PermissionStatus.Permitted
            : when < T0 + 10 days
                ? IConsentRegistry.PermissionStatus.NotYetValid
                : IConsentRegistry.PermissionStatus.Expired;
        vm.assertEq(uint256(_status()), uint256(expected), "status");
    }

    function test_permissionOf_noConsent() public view {
        vm.assertEq(
            uint256(_status()), uint256(IConsentRegistry.PermissionStatus.NoConsent), "status"
        );
    }

    function test_permissionOf_insurerInactiveAfterRemoval() public {
        _grantAs(patient, _claimTerms(PSEUDONYM, insurerA));
        vm.prank(operator);
        participants.removeParticipant(insurerA);
        vm.assertEq(
            uint256(_status()),
            uint256(IConsentRegistry.PermissionStatus.InsurerInactive),
            "removed insurer"
        );
        vm.assertEq(
            uint256(consents.permissionOf(PSEUDONYM, stranger, SUMMARY, CLAIM)),
            uint256(IConsentRegistry.PermissionStatus.InsurerInactive),
            "unknown insurer"
        );
    }

    function test_permissionOf_scopeAndPurposeMustBeCovered() public {
        _grantAs(patient, _claimTerms(PSEUDONYM, insurerA));
        vm.assertEq(
            uint256(
                consents.permissionOf(
                    PSEUDONYM, insurerA, SUMMARY | ConsentVocabulary.SCOPE_LINE_ITEMS, CLAIM
                )
            ),
            uint256(IConsentRegistry.PermissionStatus.ScopeNotCovered),
            "extra scope"
        );
        vm.assertEq(
            uint256(
                consents.permissionOf(
                    PSEUDONYM, insurerA, SUMMARY, ConsentVocabulary.PURPOSE_UNDERWRITING
                )
            ),
            uint256(IConsentRegistry.PermissionStatus.PurposeNotCovered),
            "other purpose"
        );
    }

    function testFuzz_permissionOf_permitsExactlySubsets(
        uint32 grantedScopes,
        uint32 askedScopes,
        uint32 askedPurposes
    ) public {
        IConsentRegistry.ConsentTerms memory terms = _claimTerms(PSEUDONYM, insurerA);
        terms.scopes = uint32(bound(grantedScopes, 1, ConsentVocabulary.ALL_SCOPES));
        terms.purposes = ConsentVocabulary.PURPOSE_CLAIM | ConsentVocabulary.PURPOSE_UNDERWRITING;
        _grantAs(patient, terms);
        uint32 scope = uint32(bound(askedScopes, 0, ConsentVocabulary.ALL_SCOPES));
        uint32 purpose = uint32(bound(askedPurposes, 0, ConsentVocabulary.ALL_PURPOSES));

        IConsentRegistry.PermissionStatus expected = scope == 0 || scope & terms.scopes != scope
            ? IConsentRegistry.PermissionStatus.ScopeNotCovered
            : purpose == 0 || purpose & terms.purposes != purpose
                ? IConsentRegistry.PermissionStatus.PurposeNotCovered
                : IConsentRegistry.PermissionStatus.Permitted;
        vm.assertEq(
            uint256(consents.permissionOf(PSEUDONYM, insurerA, scope, purpose)),
            uint256(expected),
            "status"
        );
    }

    function test_permissionOf_emptyScopeOrPurposeNeverPermitted() public {
        _grantAs(patient, _claimTerms(PSEUDONYM, insurerA));
        vm.assertEq(
            uint256(consents.permissionOf(PSEUDONYM, insurerA, 0, CLAIM)),
            uint256(IConsentRegistry.PermissionStatus.ScopeNotCovered),
            "empty scope"
        );
        vm.assertEq(
            uint256(consents.permissionOf(PSEUDONYM, insurerA, SUMMARY, 0)),
            uint256(IConsentRegistry.PermissionStatus.PurposeNotCovered),
            "empty purpose"
        );
        vm.assertEq(
            uint256(consents.permissionOf(PSEUDONYM, insurerA, 0, 0)),
            uint256(IConsentRegistry.PermissionStatus.ScopeNotCovered),
            "both empty: scope reported first"
        );
        vm.assertFalse(consents.isPermitted(PSEUDONYM, insurerA, 0, CLAIM), "isPermitted scope");
        vm.assertFalse(consents.isPermitted(PSEUDONYM, insurerA, SUMMARY, 0), "isPermitted purp");
        vm.assertTrue(consents.isPermitted(PSEUDONYM, insurerA, SUMMARY, CLAIM), "the real ask");
    }

    function test_permissionOf_emptyAskWithoutConsentIsNoConsent() public view {
        vm.assertEq(
            uint256(consents.permissionOf(PSEUDONYM, insurerA, 0, 0)),
            uint256(IConsentRegistry.PermissionStatus.NoConsent),
            "the consent is looked at first"
        );
    }

    function testFuzz_permissionOf_emptyScopeOrPurposeNeverPermitted(
        uint32 grantedScopes,
        uint32 grantedPurposes,
        uint32 askedScopes,
        uint32 askedPurposes
    ) public {
        IConsentRegistry.ConsentTerms memory terms = _claimTerms(PSEUDONYM, insurerA);
        terms.scopes = uint32(bound(grantedScopes, 1, ConsentVocabulary.ALL_SCOPES));
        terms.purposes = uint32(bound(grantedPurposes, 1, ConsentVocabulary.ALL_PURPOSES));
        _grantAs(patient, terms);
        // An empty scope is refused whatever purpose comes with it...
        vm.assertEq(
            uint256(consents.permissionOf(PSEUDONYM, insurerA, 0, askedPurposes)),
            uint256(IConsentRegistry.PermissionStatus.ScopeNotCovered),
            "empty scope"
        );
        // ...and an empty purpose even with a covered scope (any non-empty subset of the grant).
        uint32 scope = askedScopes & terms.scopes;
        if (scope == 0) scope = terms.scopes;
        vm.assertEq(
            uint256(consents.permissionOf(PSEUDONYM, insurerA, scope, 0)),
            uint256(IConsentRegistry.PermissionStatus.PurposeNotCovered),
            "empty purpose"
        );
        vm.assertFalse(consents.isPermitted(PSEUDONYM, insurerA, 0, askedPurposes), "scope 0");
        vm.assertFalse(consents.isPermitted(PSEUDONYM, insurerA, scope, 0), "purpose 0");
        vm.assertTrue(
            consents.isPermitted(PSEUDONYM, insurerA, terms.scopes, terms.purposes), "the grant"
        );
    }

    function test_nonceOf_growsByOnePerGrant() public {
        vm.assertEq(consents.nonceOf(PSEUDONYM), 0, "fresh");
        _grantAs(patient, _claimTerms(PSEUDONYM, insurerA));
        _grantAs(patient, _claimTerms(PSEUDONYM, insurerA));
        IConsentRegistry.ConsentTerms memory terms = _claimTerms(PSEUDONYM, insurerB);
        uint256 deadline = _deadline();
        consents.grantBySig(terms, 2, deadline, _signGrant(patientKey, terms, 2, deadline));
        vm.assertEq(consents.nonceOf(PSEUDONYM), 3, "three grants");
        vm.assertEq(consents.nonceOf(OTHER_PSEUDONYM), 0, "per subject");
    }
}
