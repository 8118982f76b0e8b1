// SPDX-License-Identifier: UNLICENSED
pragma solidity 0.8.28;

import {ConsentRegistry} from "../../src/ConsentRegistry.sol";
import {ConsentVocabulary} from "../../src/ConsentVocabulary.sol";
import {Participants} from "../../src/Participants.sol";
import {IConsentRegistry} from "../../src/interfaces/IConsentRegistry.sol";

import {BaseTest} from "../utils/BaseTest.sol";

/// @title Drives ConsentRegistry with grants, signed grants, revocations, replays, rebinding
/// (by either of two bureaus), removal of an insurer and of a bureau, and the passing of time,
/// keeping ghost records of what must hold.
contract ConsentHandler is BaseTest {
    ConsentRegistry internal immutable consents;
    Participants internal immutable participants;
    address internal immutable operator;
    /// @dev Two bureaus: `_bureaus[0]` bound every pseudonym and may be removed; `_bureaus[1]`
    /// stays, so it can take over what the removed one bound.
    address[2] internal _bureaus;

    bytes32[] internal _pseudonyms;
    address[] internal _insurers;
    mapping(bytes32 pseudonym => uint256 key) internal _walletKey;

    /// @notice Pairs revoked and not granted again since (they must never permit).
    mapping(bytes32 pseudonym => mapping(address insurer => bool)) public ghostRevoked;
    /// @notice Successful grants per pseudonym: the nonce must equal it.
    mapping(bytes32 pseudonym => uint256) public ghostGrants;
    /// @notice The highest nonce seen per pseudonym after any action.
    mapping(bytes32 pseudonym => uint256) public ghostLastNonce;
    /// @notice Set if a nonce was ever seen going down.
    bool public nonceDecreased;
    /// @notice Set if a used grant signature was ever accepted again.
    bool public replayAccepted;
    /// @notice The bureau each pseudonym must be bound by.
    mapping(bytes32 pseudonym => address bureau) public ghostBindingBureau;
    /// @notice Set if a bureau rebound a pseudonym that another, active bureau holds.
    bool public rebindWronglyAccepted;
    /// @notice Set if an active bureau was refused a pseudonym it holds or that a removed bureau
    /// held.
    bool public rebindWronglyRefused;

    /// @dev The last accepted signed grant, replayed by `replayLastSignedGrant`.
    IConsentRegistry.ConsentTerms internal _lastTerms;
    uint256 internal _lastNonce;
    uint256 internal _lastDeadline;
    bytes internal _lastSignature;

    uint256 public grants;
    uint256 public revocations;
    uint256 public rebinds;
    uint256 public takeovers;

    constructor(
        ConsentRegistry consents_,
        Participants participants_,
        address[2] memory bureaus_,
        address operator_,
        bytes32[] memory pseudonyms_,
        uint256[] memory walletKeys_,
        address[] memory insurers_
    ) {
        consents = consents_;
        participants = participants_;
        _bureaus = bureaus_;
        operator = operator_;
        _pseudonyms = pseudonyms_;
        _insurers = insurers_;
        for (uint256 i = 0; i < pseudonyms_.length; ++i) {
            _walletKey[pseudonyms_[i]] = walletKeys_[i];
            ghostBindingBureau[pseudonyms_[i]] = bureaus_[0];
        }
    }

    function pseudonymCount() external view returns (uint256) {
        return _pseudonyms.length;
    }

    function pseudonymAt(uint256 index) external view returns (bytes32) {
        return _pseudonyms[index];
    }

    /// @notice The wallet each pseudonym must be bound to.
    function walletOf(bytes32 pseudonym) external view returns (address) {
        return vm.addr(_walletKey[pseudonym]);
    }

    function bureauAt(uint256 index) external view returns (address) {
        return _bureaus[index];
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

    function grant(uint256 pSeed, uint256 iSeed, uint256 termsSeed) external {
        (bytes32 pseudonym, address insurer) = _pick(pSeed, iSeed);
        IConsentRegistry.ConsentTerms memory terms = _terms(pseudonym, insurer, termsSeed);
        vm.prank(vm.addr(_walletKey[pseudonym]));
        try consents.grant(terms) {
            _granted(pseudonym, insurer);
        } catch {}
        _observeNonces();
    }

    function grantBySig(uint256 pSeed, uint256 iSeed, uint256 termsSeed, bool staleNonce) external {
        (bytes32 pseudonym, address insurer) = _pick(pSeed, iSeed);
        IConsentRegistry.ConsentTerms memory terms = _terms(pseudonym, insurer, termsSeed);
        uint256 nonce = consents.nonceOf(pseudonym);
        if (staleNonce && nonce > 0) --nonce;
        uint256 deadline = block.timestamp + 1 hours;
        bytes memory signature =
            _sign(_walletKey[pseudonym], consents.grantDigest(terms, nonce, deadline));
        try consents.grantBySig(terms, nonce, deadline, signature) {
            if (staleNonce && nonce + 1 != consents.nonceOf(pseudonym)) replayAccepted = true;
            _granted(pseudonym, insurer);
            _lastTerms = terms;
            _lastNonce = nonce;
            _lastDeadline = deadline;
            _lastSignature = signature;
        } catch {}
        _observeNonces();
    }

    function replayLastSignedGrant() external {
        if (_lastSignature.length == 0) return;
        try consents.grantBySig(_lastTerms, _lastNonce, _lastDeadline, _lastSignature) {
            replayAccepted = true;
        } catch {}
        _observeNonces();
    }

    function revoke(uint256 pSeed, uint256 iSeed) external {
        (bytes32 pseudonym, address insurer) = _pick(pSeed, iSeed);
        bytes32 consentId = consents.consentOf(pseudonym, insurer).id;
        vm.prank(vm.addr(_walletKey[pseudonym]));
        try consents.revoke(pseudonym, insurer, consentId) {
            _revoked(pseudonym, insurer);
        } catch {}
        _observeNonces();
    }

    function revokeBySig(uint256 pSeed, uint256 iSeed) external {
        (bytes32 pseudonym, address insurer) = _pick(pSeed, iSeed);
        bytes32 consentId = consents.consentOf(pseudonym, insurer).id;
        uint256 deadline = block.timestamp + 1 hours;
        bytes memory signature = _sign(
            _walletKey[pseudonym],
            consents.revocationDigest(pseudonym, insurer, consentId, deadline)
        );
        try consents.revokeBySig(pseudonym, insurer, consentId, deadline, signature) {
            _revoked(pseudonym, insurer);
        } catch {}
        _observeNonces();
    }

    /// @notice A bureau rebinds a pseudonym to a new wallet (key loss): allowed for an active
    /// bureau if it holds the pseudonym, or if the bureau holding it has been removed and the
    /// operator designated this bureau as its successor (takeover).
    function rebind(uint256 pSeed, uint256 keySeed, bool byOther) external {
        bytes32 pseudonym = _pseudonyms[bound(pSeed, 0, _pseudonyms.length - 1)];
        uint256 key = bound(keySeed, 1, 1_000_000);
        address by = _bureaus[byOther ? 1 : 0];
        address holder = ghostBindingBureau[pseudonym];
        bool allowed = participants.isActiveBureau(by)
            && (holder == by
                || (!participants.isActiveBureau(holder) && participants.successorOf(holder) == by));
        vm.prank(by);
        try consents.bindWallet(pseudonym, vm.addr(key)) {
            if (!allowed) rebindWronglyAccepted = true;
            if (holder != by) ++takeovers;
            ghostBindingBureau[pseudonym] = by;
            _walletKey[pseudonym] = key;
            ++rebinds;
        } catch {
            if (allowed) rebindWronglyRefused = true;
        }
        _observeNonces();
    }

    /// @notice The operator removes the first bureau (about one call in four asks for it).
    function removeFirstBureau(uint256 seed) external {
        if (seed % 4 != 0 || !participants.isActiveBureau(_bureaus[0])) return;
        vm.startPrank(operator);
        participants.removeParticipant(_bureaus[0]);
        participants.designateSuccessor(_bureaus[0], _bureaus[1]);
        vm.stopPrank();
    }

    function removeLastInsurer() external {
        address insurer = _insurers[_insurers.length - 1];
        if (!participants.isActiveInsurer(insurer)) return;
        vm.prank(operator);
        participants.removeParticipant(insurer);
    }

    function warp(uint256 secondsSeed) external {
        vm.warp(block.timestamp + bound(secondsSeed, 1, 60 days));
    }

    /*//////////////////////////////////////////////////////////////
                               INTERNALS
    //////////////////////////////////////////////////////////////*/

    function _pick(uint256 pSeed, uint256 iSeed) internal view returns (bytes32, address) {
        return (
            _pseudonyms[bound(pSeed, 0, _pseudonyms.length - 1)],
            _insurers[bound(iSeed, 0, _insurers.length - 1)]
        );
    }

    /// @dev Valid-looking terms with a window around now (sometimes in the future).
    function _terms(bytes32 pseudonym, address insurer, uint256 seed)
        internal
        view
        returns (IConsentRegistry.ConsentTerms memory terms)
    {
        uint48 start = uint48(block.timestamp + bound(seed >> 64, 0, 30 days));
        terms = IConsentRegistry.ConsentTerms({
            pseudonym: pseudonym,
            insurer: insurer,
            scopes: uint32(bound(seed, 1, ConsentVocabulary.ALL_SCOPES)),
            purposes: uint32(bound(seed >> 32, 1, ConsentVocabulary.ALL_PURPOSES)),
            notBefore: start,
            notAfter: start + uint48(bound(seed >> 128, 1 hours, 120 days))
        });
    }

    function _granted(bytes32 pseudonym, address insurer) internal {
        ghostRevoked[pseudonym][insurer] = false;
        ++ghostGrants[pseudonym];
        ++grants;
    }

    function _revoked(bytes32 pseudonym, address insurer) internal {
        ghostRevoked[pseudonym][insurer] = true;
        ++revocations;
    }

    function _observeNonces() internal {
        for (uint256 i = 0; i < _pseudonyms.length; ++i) {
            uint256 nonce = consents.nonceOf(_pseudonyms[i]);
            if (nonce < ghostLastNonce[_pseudonyms[i]]) nonceDecreased = true;
            ghostLastNonce[_pseudonyms[i]] = nonce;
        }
    }
}
