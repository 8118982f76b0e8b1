// SPDX-License-Identifier: UNLICENSED
pragma solidity 0.8.28;

import {Ownable} from "@openzeppelin/contracts/access/Ownable.sol";

import {IParticipants} from "../src/interfaces/IParticipants.sol";

import {Fixture} from "./utils/Fixture.sol";

contract ParticipantsTest is Fixture {
    event BureauRegistered(address indexed bureau, string name, string endpoint);
    event InsurerRegistered(
        address indexed insurer, string name, bytes32 encryptionKey, string endpoint
    );
    event ParticipantRemoved(address indexed account, IParticipants.Role role);
    event EncryptionKeyRotated(address indexed insurer, bytes32 previousKey, bytes32 newKey);
    event EndpointUpdated(address indexed account, string endpoint);

    bytes32 internal constant NEW_KEY = bytes32(uint256(0xC0FFEE));

    /*//////////////////////////////////////////////////////////////
                               REGISTER
    //////////////////////////////////////////////////////////////*/

    function test_registerBureau_recordsActiveBureau() public {
        address newBureau = _freshAddress("bureau", 1);
        vm.expectEmit(true, false, false, true, address(participants));
        emit BureauRegistered(newBureau, "New bureau", "https://new.example");
        vm.prank(operator);
        participants.registerBureau(newBureau, "New bureau", "https://new.example");

        IParticipants.Participant memory entry = participants.participant(newBureau);
        vm.assertEq(uint256(entry.role), uint256(IParticipants.Role.Bureau), "role");
        vm.assertTrue(entry.active, "active");
        vm.assertEq(entry.registeredAt, T0, "registeredAt");
        vm.assertEq(entry.removedAt, 0, "removedAt");
        vm.assertEq(entry.encryptionKey, bytes32(0), "bureaus have no key");
        vm.assertEq(entry.name, "New bureau", "name");
        vm.assertEq(entry.endpoint, "https://new.example", "endpoint");
        vm.assertTrue(participants.isActiveBureau(newBureau), "isActiveBureau");
        vm.assertFalse(participants.isActiveInsurer(newBureau), "a bureau is not an insurer");
    }

    function test_registerInsurer_recordsKeyAndEndpoint() public {
        address newInsurer = _freshAddress("insurer", 1);
        vm.expectEmit(true, false, false, true, address(participants));
        emit InsurerRegistered(newInsurer, "New insurer", NEW_KEY, "https://ins.example");
        vm.prank(operator);
        participants.registerInsurer(newInsurer, "New insurer", NEW_KEY, "https://ins.example");

        IParticipants.Participant memory entry = participants.participant(newInsurer);
        vm.assertEq(uint256(entry.role), uint256(IParticipants.Role.Insurer), "role");
        vm.assertEq(entry.encryptionKey, NEW_KEY, "encryption key");
        vm.assertEq(entry.endpoint, "https://ins.example", "endpoint");
        vm.assertTrue(participants.isActiveInsurer(newInsurer), "isActiveInsurer");
        vm.assertFalse(participants.isActiveBureau(newInsurer), "an insurer is not a bureau");
    }

    function test_participant_isEmptyForUnknownAddress() public view {
        IParticipants.Participant memory entry = participants.participant(stranger);
        vm.assertEq(uint256(entry.role), uint256(IParticipants.Role.None), "role");
        vm.assertFalse(entry.active, "active");
        vm.assertFalse(participants.isActiveBureau(stranger), "bureau");
        vm.assertFalse(participants.isActiveInsurer(stranger), "insurer");
    }

    function test_registerBureau_revertsWhenCallerNotOperator() public {
        vm.expectRevert(abi.encodeWithSelector(Ownable.OwnableUnauthorizedAccount.selector, bureau));
        vm.prank(bureau);
        participants.registerBureau(stranger, "Rogue", "https://rogue.example");
    }

    function test_registerInsurer_revertsWhenCallerNotOperator() public {
        vm.expectRevert(
            abi.encodeWithSelector(Ownable.OwnableUnauthorizedAccount.selector, insurerA)
        );
        vm.prank(insurerA);
        participants.registerInsurer(stranger, "Rogue", NEW_KEY, "https://rogue.example");
    }

    function test_registerInsurer_revertsWhenKeyZero() public {
        vm.expectRevert(
            abi.encodeWithSelector(
                IParticipants.ParticipantsInvalidEncryptionKey.selector, stranger, bytes32(0)
            )
        );
        vm.prank(operator);
        participants.registerInsurer(stranger, "No key", bytes32(0), "https://x.example");
    }

    function test_registerBureau_revertsWhenZeroAddress() public {
        vm.expectRevert(abi.encodeWithSelector(IParticipants.ParticipantsZeroAddress.selector));
        vm.prank(operator);
        participants.registerBureau(address(0), "Zero", "https://zero.example");
    }

    function test_registerInsurer_revertsWhenAlreadyRegisteredAsBureau() public {
        vm.expectRevert(
            abi.encodeWithSelector(
                IParticipants.ParticipantsAlreadyRegistered.selector,
                bureau,
                IParticipants.Role.Bureau
            )
        );
        vm.prank(operator);
        participants.registerInsurer(bureau, "Twice", NEW_KEY, "https://twice.example");
    }

    function test_registerInsurer_revertsWhenRemovedInsurerRegisteredAgain() public {
        vm.startPrank(operator);
        participants.removeParticipant(insurerA);
        vm.expectRevert(
            abi.encodeWithSelector(
                IParticipants.ParticipantsAlreadyRegistered.selector,
                insurerA,
                IParticipants.Role.Insurer
            )
        );
        participants.registerInsurer(insurerA, "Back again", NEW_KEY, "https://a.example");
        vm.stopPrank();
    }

    function testFuzz_registerInsurer_storesAnyNonZeroKey(uint256 accountSeed, bytes32 key) public {
        address newInsurer = _freshAddress("fuzz insurer", accountSeed);
        key = bytes32(bound(uint256(key), 1, type(uint256).max));
        vm.prank(operator);
        participants.registerInsurer(newInsurer, "Fuzzed", key, "https://fuzz.example");
        vm.assertEq(participants.participant(newInsurer).encryptionKey, key, "key stored");
        vm.assertTrue(participants.isActiveInsurer(newInsurer), "active");
    }

    /*//////////////////////////////////////////////////////////////
                                REMOVE
    //////////////////////////////////////////////////////////////*/

    event SuccessorDesignated(address indexed removedBureau, address indexed successor);

    function test_designateSuccessor_namesTheBureauThatTakesOver() public {
        vm.startPrank(operator);
        participants.removeParticipant(bureau);
        vm.expectEmit(true, true, true, true, address(participants));
        emit SuccessorDesignated(bureau, otherBureau);
        participants.designateSuccessor(bureau, otherBureau);
        vm.stopPrank();
        vm.assertEq(participants.successorOf(bureau), otherBureau, "successor");
    }

    function test_designateSuccessor_revertsWhenBureauStillActive() public {
        vm.expectRevert(
            abi.encodeWithSelector(
                IParticipants.ParticipantsInvalidSuccession.selector, bureau, otherBureau
            )
        );
        vm.prank(operator);
        participants.designateSuccessor(bureau, otherBureau);
    }

    function test_designateSuccessor_revertsWhenSuccessorNotAnActiveBureau() public {
        vm.startPrank(operator);
        participants.removeParticipant(bureau);
        vm.expectRevert(
            abi.encodeWithSelector(
                IParticipants.ParticipantsInvalidSuccession.selector, bureau, insurerA
            )
        );
        participants.designateSuccessor(bureau, insurerA);
        vm.stopPrank();
    }

    function test_designateSuccessor_revertsWhenCallerNotOperator() public {
        vm.prank(operator);
        participants.removeParticipant(bureau);
        vm.expectRevert(
            abi.encodeWithSelector(Ownable.OwnableUnauthorizedAccount.selector, otherBureau)
        );
        vm.prank(otherBureau);
        participants.designateSuccessor(bureau, otherBureau);
    }

    function test_removeParticipant_deactivatesInsurer() public {
        vm.warp(T0 + 10 days);
        vm.expectEmit(true, false, false, true, address(participants));
        emit ParticipantRemoved(insurerA, IParticipants.Role.Insurer);
        vm.prank(operator);
        participants.removeParticipant(insurerA);

        IParticipants.Participant memory entry = participants.participant(insurerA);
        vm.assertFalse(entry.active, "inactive");
        vm.assertEq(entry.removedAt, T0 + 10 days, "removedAt");
        vm.assertEq(uint256(entry.role), uint256(IParticipants.Role.Insurer), "role kept");
        vm.assertFalse(participants.isActiveInsurer(insurerA), "isActiveInsurer");
    }

    function test_removeParticipant_deactivatesBureau() public {
        vm.prank(operator);
        participants.removeParticipant(bureau);
        vm.assertFalse(participants.isActiveBureau(bureau), "isActiveBureau");
    }

    function test_removeParticipant_revertsWhenCallerNotOperator() public {
        vm.expectRevert(
            abi.encodeWithSelector(Ownable.OwnableUnauthorizedAccount.selector, insurerB)
        );
        vm.prank(insurerB);
        participants.removeParticipant(insurerA);
    }

    function test_removeParticipant_revertsWhenUnknown() public {
        vm.expectRevert(
            abi.encodeWithSelector(IParticipants.ParticipantsNotActive.selector, stranger)
        );
        vm.prank(operator);
        participants.removeParticipant(stranger);
    }

    function test_removeParticipant_revertsWhenAlreadyRemoved() public {
        vm.startPrank(operator);
        participants.removeParticipant(insurerA);
        vm.expectRevert(
            abi.encodeWithSelector(IParticipants.ParticipantsNotActive.selector, insurerA)
        );
        participants.removeParticipant(insurerA);
        vm.stopPrank();
    }

    /*//////////////////////////////////////////////////////////////
                              KEY ROTATION
    //////////////////////////////////////////////////////////////*/

    function test_rotateEncryptionKey_byInsurerItself() public {
        vm.expectEmit(true, false, false, true, address(participants));
        emit EncryptionKeyRotated(insurerA, KEY_A, NEW_KEY);
        vm.prank(insurerA);
        participants.rotateEncryptionKey(insurerA, NEW_KEY);
        vm.assertEq(participants.participant(insurerA).encryptionKey, NEW_KEY, "rotated");
    }

    function test_rotateEncryptionKey_byOperator() public {
        vm.prank(operator);
        participants.rotateEncryptionKey(insurerA, NEW_KEY);
        vm.assertEq(participants.participant(insurerA).encryptionKey, NEW_KEY, "rotated");
    }

    function test_rotateEncryptionKey_revertsWhenCallerIsAnotherInsurer() public {
        vm.expectRevert(
            abi.encodeWithSelector(
                IParticipants.ParticipantsUnauthorized.selector, insurerB, insurerA
            )
        );
        vm.prank(insurerB);
        participants.rotateEncryptionKey(insurerA, NEW_KEY);
    }

    function testFuzz_rotateEncryptionKey_revertsWhenCallerUnauthorized(uint256 callerSeed) public {
        address caller = _freshAddress("caller", callerSeed);
        vm.expectRevert(
            abi.encodeWithSelector(
                IParticipants.ParticipantsUnauthorized.selector, caller, insurerA
            )
        );
        vm.prank(caller);
        participants.rotateEncryptionKey(insurerA, NEW_KEY);
        vm.assertEq(participants.participant(insurerA).encryptionKey, KEY_A, "key unchanged");
    }

    function test_rotateEncryptionKey_revertsForBureau() public {
        vm.expectRevert(
            abi.encodeWithSelector(
                IParticipants.ParticipantsNotInsurer.selector, bureau, IParticipants.Role.Bureau
            )
        );
        vm.prank(bureau);
        participants.rotateEncryptionKey(bureau, NEW_KEY);
    }

    function test_rotateEncryptionKey_revertsWhenInsurerRemoved() public {
        vm.prank(operator);
        participants.removeParticipant(insurerA);
        vm.expectRevert(
            abi.encodeWithSelector(IParticipants.ParticipantsNotActive.selector, insurerA)
        );
        vm.prank(insurerA);
        participants.rotateEncryptionKey(insurerA, NEW_KEY);
    }

    function test_rotateEncryptionKey_revertsWhenKeyZero() public {
        vm.expectRevert(
            abi.encodeWithSelector(
                IParticipants.ParticipantsInvalidEncryptionKey.selector, insurerA, bytes32(0)
            )
        );
        vm.prank(insurerA);
        participants.rotateEncryptionKey(insurerA, bytes32(0));
    }

    /*//////////////////////////////////////////////////////////////
                               ENDPOINT
    //////////////////////////////////////////////////////////////*/

    function test_updateEndpoint_byParticipantItself() public {
        vm.expectEmit(true, false, false, true, address(participants));
        emit EndpointUpdated(bureau, "https://moved.example");
        vm.prank(bureau);
        participants.updateEndpoint(bureau, "https://moved.example");
        vm.assertEq(participants.participant(bureau).endpoint, "https://moved.example", "moved");
    }

    function test_updateEndpoint_byOperator() public {
        vm.prank(operator);
        participants.updateEndpoint(insurerB, "https://b2.example");
        vm.assertEq(participants.participant(insurerB).endpoint, "https://b2.example", "moved");
    }

    function test_updateEndpoint_revertsWhenCallerUnauthorized() public {
        vm.expectRevert(
            abi.encodeWithSelector(
                IParticipants.ParticipantsUnauthorized.selector, insurerA, bureau
            )
        );
        vm.prank(insurerA);
        participants.updateEndpoint(bureau, "https://hijack.example");
    }

    function test_updateEndpoint_revertsWhenParticipantRemoved() public {
        vm.prank(operator);
        participants.removeParticipant(bureau);
        vm.expectRevert(
            abi.encodeWithSelector(IParticipants.ParticipantsNotActive.selector, bureau)
        );
        vm.prank(bureau);
        participants.updateEndpoint(bureau, "https://late.example");
    }

    /*//////////////////////////////////////////////////////////////
                               OPERATOR
    //////////////////////////////////////////////////////////////*/

    function test_transferOwnership_takesEffectOnlyOnAcceptance() public {
        vm.prank(operator);
        participants.transferOwnership(stranger);
        vm.assertEq(participants.owner(), operator, "still the operator until accepted");
        vm.prank(stranger);
        participants.acceptOwnership();
        vm.assertEq(participants.owner(), stranger, "new operator");
    }
}
