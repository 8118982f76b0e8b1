// SPDX-License-Identifier: UNLICENSED
pragma solidity 0.8.28;

import {ConsentVocabulary} from "../../src/ConsentVocabulary.sol";
import {IConsentRegistry} from "../../src/interfaces/IConsentRegistry.sol";

import {Fixture} from "../utils/Fixture.sol";
import {ConsentHandler} from "./ConsentHandler.sol";

/// @dev What forge reads from `targetSelectors()`.
struct FuzzSelector {
    address addr;
    bytes4[] selectors;
}

/// @title A revoked consent never permits; nonces only grow; a used signature never works again;
/// an empty ask is never permitted; a pseudonym is bound by its bureau until that one leaves.
contract ConsentRegistryInvariantTest is Fixture {
    ConsentHandler internal handler;

    function setUp() public override {
        super.setUp();
        bytes32[] memory pseudonyms = new bytes32[](3);
        uint256[] memory keys = new uint256[](3);
        pseudonyms[0] = PSEUDONYM;
        keys[0] = patientKey;
        for (uint256 i = 1; i < pseudonyms.length; ++i) {
            pseudonyms[i] = keccak256(abi.encode("invariant pseudonym", i));
            address wallet;
            (keys[i], wallet) = _account(string(abi.encode("invariant wallet", i)));
            vm.prank(bureau);
            consents.bindWallet(pseudonyms[i], wallet);
        }
        address[] memory insurers = new address[](3);
        insurers[0] = insurerA;
        insurers[1] = insurerB;
        insurers[2] = _freshAddress("removable insurer", 0);
        vm.prank(operator);
        participants.registerInsurer(insurers[2], "Removable", KEY_B, "https://r.example");

        handler = new ConsentHandler(
            consents, participants, [bureau, otherBureau], operator, pseudonyms, keys, insurers
        );
    }

    function targetContracts() public view returns (address[] memory targets) {
        targets = new address[](1);
        targets[0] = address(handler);
    }

    function targetSelectors() public view returns (FuzzSelector[] memory targets) {
        bytes4[] memory selectors = new bytes4[](9);
        selectors[0] = ConsentHandler.grant.selector;
        selectors[1] = ConsentHandler.grantBySig.selector;
        selectors[2] = ConsentHandler.replayLastSignedGrant.selector;
        selectors[3] = ConsentHandler.revoke.selector;
        selectors[4] = ConsentHandler.revokeBySig.selector;
        selectors[5] = ConsentHandler.rebind.selector;
        selectors[6] = ConsentHandler.removeLastInsurer.selector;
        selectors[7] = ConsentHandler.warp.selector;
        selectors[8] = ConsentHandler.removeFirstBureau.selector;
        targets = new FuzzSelector[](1);
        targets[0] = FuzzSelector({addr: address(handler), selectors: selectors});
    }

    /// @notice (b) A pair revoked and not granted again since never permits, whatever is asked.
    function invariant_revokedConsentNeverPermits() public view {
        for (uint256 p = 0; p < handler.pseudonymCount(); ++p) {
            bytes32 pseudonym = handler.pseudonymAt(p);
            for (uint256 i = 0; i < handler.insurerCount(); ++i) {
                address insurer = handler.insurerAt(i);
                if (!handler.ghostRevoked(pseudonym, insurer)) continue;
                IConsentRegistry.ConsentState memory state = consents.consentOf(pseudonym, insurer);
                vm.assertTrue(state.revokedAt != 0, "revocation recorded");
                vm.assertFalse(
                    consents.isPermitted(pseudonym, insurer, state.scopes, state.purposes),
                    "revoked consent permits its own terms"
                );
                vm.assertFalse(
                    consents.isPermitted(
                        pseudonym,
                        insurer,
                        ConsentVocabulary.SCOPE_ENROLLMENT,
                        ConsentVocabulary.PURPOSE_UNDERWRITING
                    ),
                    "revoked consent permits"
                );
                IConsentRegistry.PermissionStatus status =
                    consents.permissionOf(pseudonym, insurer, state.scopes, state.purposes);
                vm.assertTrue(
                    status == IConsentRegistry.PermissionStatus.Revoked
                        || status == IConsentRegistry.PermissionStatus.InsurerInactive,
                    "status of a revoked consent"
                );
            }
        }
    }

    /// @notice (c) Nonces only grow: each equals the grants made, never below the last seen.
    function invariant_noncesOnlyGrow() public view {
        vm.assertFalse(handler.nonceDecreased(), "a nonce went down");
        for (uint256 p = 0; p < handler.pseudonymCount(); ++p) {
            bytes32 pseudonym = handler.pseudonymAt(p);
            uint256 nonce = consents.nonceOf(pseudonym);
            vm.assertGe(nonce, handler.ghostLastNonce(pseudonym), "below the last seen nonce");
            vm.assertEq(nonce, handler.ghostGrants(pseudonym), "nonce != successful grants");
        }
    }

    /// @notice A grant signature, once used, is never accepted again.
    function invariant_usedSignatureNeverAcceptedAgain() public view {
        vm.assertFalse(handler.replayAccepted(), "replayed signature accepted");
    }

    /// @notice An empty scope or purpose is never permitted, whatever was granted.
    function invariant_emptyScopeOrPurposeNeverPermits() public view {
        for (uint256 p = 0; p < handler.pseudonymCount(); ++p) {
            bytes32 pseudonym = handler.pseudonymAt(p);
            for (uint256 i = 0; i < handler.insurerCount(); ++i) {
                address insurer = handler.insurerAt(i);
                IConsentRegistry.ConsentState memory state = consents.consentOf(pseudonym, insurer);
                vm.assertFalse(
                    consents.isPermitted(pseudonym, insurer, 0, state.purposes), "empty scope"
                );
                vm.assertFalse(
                    consents.isPermitted(pseudonym, insurer, state.scopes, 0), "empty purpose"
                );
            }
        }
    }

    /// @notice Each pseudonym is bound to the ghost's wallet by the ghost's bureau: only the
    /// binding bureau rebinds, and another active bureau takes over once it has been removed.
    function invariant_bindingsFollowTheBindingBureau() public view {
        vm.assertFalse(handler.rebindWronglyAccepted(), "rebound over an active bureau");
        vm.assertFalse(handler.rebindWronglyRefused(), "allowed rebinding refused");
        for (uint256 p = 0; p < handler.pseudonymCount(); ++p) {
            bytes32 pseudonym = handler.pseudonymAt(p);
            (address wallet, address boundBy) = consents.bindingOf(pseudonym);
            vm.assertEq(wallet, handler.walletOf(pseudonym), "wallet != ghost");
            vm.assertEq(boundBy, handler.ghostBindingBureau(pseudonym), "bureau != ghost");
        }
    }

    /// @notice Every handler action can take effect, takeover included.
    function test_handler_everyActionTakesEffect() public {
        bytes32 pseudonym = handler.pseudonymAt(1);
        address insurer = handler.insurerAt(2);
        handler.grant(1, 2, 0);
        handler.revoke(1, 2);
        handler.grantBySig(1, 2, 0, false);
        vm.assertEq(handler.grants(), 2, "grants");
        handler.revokeBySig(1, 2);
        vm.assertEq(handler.revocations(), 2, "revocations");
        handler.replayLastSignedGrant();
        vm.assertFalse(handler.replayAccepted(), "replay refused");
        handler.rebind(1, 7, false); // the binding bureau rebinds
        handler.rebind(1, 8, true); // the other bureau is refused while it is active
        handler.removeFirstBureau(0);
        vm.assertFalse(participants.isActiveBureau(bureau), "first bureau removed");
        handler.rebind(1, 9, true); // ...and takes over once it is gone
        vm.assertEq(handler.rebinds(), 2, "rebinds");
        vm.assertEq(handler.takeovers(), 1, "takeover");
        vm.assertEq(handler.ghostBindingBureau(pseudonym), otherBureau, "new binding bureau");
        handler.removeLastInsurer();
        vm.assertFalse(participants.isActiveInsurer(insurer), "insurer removed");
        uint256 before = block.timestamp;
        handler.warp(0);
        vm.assertEq(block.timestamp, before + 1, "time passes");
        invariant_revokedConsentNeverPermits();
        invariant_noncesOnlyGrow();
        invariant_usedSignatureNeverAcceptedAgain();
        invariant_emptyScopeOrPurposeNeverPermits();
        invariant_bindingsFollowTheBindingBureau();
    }
}
