// SPDX-License-Identifier: UNLICENSED
pragma solidity 0.8.28;

import {EIP712} from "@openzeppelin/contracts/utils/cryptography/EIP712.sol";
import {ECDSA} from "@openzeppelin/contracts/utils/cryptography/ECDSA.sol";
import {SignatureChecker} from "@openzeppelin/contracts/utils/cryptography/SignatureChecker.sol";

import {ConsentVocabulary} from "./ConsentVocabulary.sol";
import {IConsentRegistry} from "./interfaces/IConsentRegistry.sol";
import {IParticipants} from "./interfaces/IParticipants.sol";

/// @title ConsentRegistry
/// @notice Wallet bindings and patients' consents. See IConsentRegistry.
contract ConsentRegistry is IConsentRegistry, EIP712 {
    /*//////////////////////////////////////////////////////////////
                               CONSTANTS
    //////////////////////////////////////////////////////////////*/

    /// @notice EIP-712 type of a signed grant.
    bytes32 public constant CONSENT_TYPEHASH = keccak256(
        "Consent(bytes32 pseudonym,address insurer,uint32 scopes,uint32 purposes,"
        "uint48 notBefore,uint48 notAfter,uint256 nonce,uint256 deadline)"
    );

    /// @notice EIP-712 type of a signed revocation.
    bytes32 public constant REVOCATION_TYPEHASH = keccak256(
        "Revocation(bytes32 pseudonym,address insurer,bytes32 consentId,uint256 deadline)"
    );

    /*//////////////////////////////////////////////////////////////
                                STORAGE
    //////////////////////////////////////////////////////////////*/

    struct Binding {
        address wallet;
        address bureau;
    }

    /// @notice The participants registry consulted for bureaus and insurers.
    IParticipants public immutable participants;

    mapping(bytes32 pseudonym => Binding) private _bindings;
    mapping(bytes32 pseudonym => uint256) private _nonces;
    mapping(bytes32 pseudonym => mapping(address insurer => ConsentState)) private _consents;

    /*//////////////////////////////////////////////////////////////
                              CONSTRUCTOR
    //////////////////////////////////////////////////////////////*/

    constructor(IParticipants participants_) EIP712("TrustShare ConsentRegistry", "1") {
        participants = participants_;
    }

    /*//////////////////////////////////////////////////////////////
                                BINDING
    //////////////////////////////////////////////////////////////*/

    /// @inheritdoc IConsentRegistry
    function bindWallet(bytes32 pseudonym, address wallet) external {
        if (!participants.isActiveBureau(msg.sender)) revert ConsentRegistryNotBureau(msg.sender);
        if (wallet == address(0)) revert ConsentRegistryZeroWallet(pseudonym);
        Binding storage binding = _bindings[pseudonym];
        address previousWallet = binding.wallet;
        if (previousWallet == address(0)) {
            binding.bureau = msg.sender;
        } else if (binding.bureau != msg.sender) {
            // Ensure that only the binding bureau rebinds, or, once it has left the network, the
            // successor the operator designated for it.
            address holder = binding.bureau;
            if (
                participants.isActiveBureau(holder)
                    || participants.successorOf(holder) != msg.sender
            ) {
                revert ConsentRegistryBoundByOtherBureau(pseudonym, holder, msg.sender);
            }
            binding.bureau = msg.sender;
        }
        binding.wallet = wallet;
        emit WalletBound(pseudonym, wallet, msg.sender, previousWallet);
    }

    /*//////////////////////////////////////////////////////////////
                                 GRANT
    //////////////////////////////////////////////////////////////*/

    /// @inheritdoc IConsentRegistry
    function grant(ConsentTerms calldata terms) external returns (bytes32 consentId) {
        address wallet = _walletOf(terms.pseudonym);
        if (msg.sender != wallet) {
            revert ConsentRegistryNotWallet(terms.pseudonym, msg.sender, wallet);
        }
        return _grant(terms, _nonces[terms.pseudonym]);
    }

    /// @inheritdoc IConsentRegistry
    function grantBySig(
        ConsentTerms calldata terms,
        uint256 nonce,
        uint256 deadline,
        bytes calldata signature
    ) external returns (bytes32 consentId) {
        address wallet = _walletOf(terms.pseudonym);
        _checkDeadline(deadline);
        uint256 expected = _nonces[terms.pseudonym];
        // Ensure that a signed grant uses the subject's next nonce: a replay fails here.
        if (nonce != expected) {
            revert ConsentRegistryInvalidNonce(terms.pseudonym, expected, nonce);
        }
        _checkSignature(terms.pseudonym, wallet, _grantDigest(terms, nonce, deadline), signature);
        return _grant(terms, nonce);
    }

    /*//////////////////////////////////////////////////////////////
                                REVOKE
    //////////////////////////////////////////////////////////////*/

    /// @inheritdoc IConsentRegistry
    function revoke(bytes32 pseudonym, address insurer, bytes32 consentId) external {
        address wallet = _walletOf(pseudonym);
        if (msg.sender != wallet) revert ConsentRegistryNotWallet(pseudonym, msg.sender, wallet);
        _revoke(pseudonym, insurer, consentId);
    }

    /// @inheritdoc IConsentRegistry
    function revokeBySig(
        bytes32 pseudonym,
        address insurer,
        bytes32 consentId,
        uint256 deadline,
        bytes calldata signature
    ) external {
        address wallet = _walletOf(pseudonym);
        _checkDeadline(deadline);
        bytes32 digest = _revocationDigest(pseudonym, insurer, consentId, deadline);
        _checkSignature(pseudonym, wallet, digest, signature);
        _revoke(pseudonym, insurer, consentId);
    }

    /*//////////////////////////////////////////////////////////////
                                 VIEWS
    //////////////////////////////////////////////////////////////*/

    /// @inheritdoc IConsentRegistry
    function bindingOf(bytes32 pseudonym) external view returns (address wallet, address bureau) {
        Binding storage binding = _bindings[pseudonym];
        return (binding.wallet, binding.bureau);
    }

    /// @inheritdoc IConsentRegistry
    function nonceOf(bytes32 pseudonym) external view returns (uint256) {
        return _nonces[pseudonym];
    }

    /// @inheritdoc IConsentRegistry
    function consentOf(bytes32 pseudonym, address insurer)
        external
        view
        returns (ConsentState memory)
    {
        return _consents[pseudonym][insurer];
    }

    /// @inheritdoc IConsentRegistry
    function permissionOf(bytes32 pseudonym, address insurer, uint32 scope, uint32 purpose)
        public
        view
        returns (PermissionStatus)
    {
        if (!participants.isActiveInsurer(insurer)) return PermissionStatus.InsurerInactive;
        ConsentState storage consent = _consents[pseudonym][insurer];
        if (consent.grantedAt == 0) return PermissionStatus.NoConsent;
        if (consent.revokedAt != 0) return PermissionStatus.Revoked;
        if (block.timestamp < consent.notBefore) return PermissionStatus.NotYetValid;
        if (block.timestamp > consent.notAfter) return PermissionStatus.Expired;
        if (scope == 0 || consent.scopes & scope != scope) return PermissionStatus.ScopeNotCovered;
        if (purpose == 0 || consent.purposes & purpose != purpose) {
            return PermissionStatus.PurposeNotCovered;
        }
        return PermissionStatus.Permitted;
    }

    /// @inheritdoc IConsentRegistry
    function isPermitted(bytes32 pseudonym, address insurer, uint32 scope, uint32 purpose)
        external
        view
        returns (bool)
    {
        return permissionOf(pseudonym, insurer, scope, purpose) == PermissionStatus.Permitted;
    }

    /// @inheritdoc IConsentRegistry
    function consentIdOf(ConsentTerms calldata terms, uint256 nonce) public pure returns (bytes32) {
        return keccak256(abi.encode(terms, nonce));
    }

    /// @inheritdoc IConsentRegistry
    function grantDigest(ConsentTerms calldata terms, uint256 nonce, uint256 deadline)
        external
        view
        returns (bytes32)
    {
        return _grantDigest(terms, nonce, deadline);
    }

    /// @inheritdoc IConsentRegistry
    function revocationDigest(
        bytes32 pseudonym,
        address insurer,
        bytes32 consentId,
        uint256 deadline
    ) external view returns (bytes32) {
        return _revocationDigest(pseudonym, insurer, consentId, deadline);
    }

    /*//////////////////////////////////////////////////////////////
                               INTERNALS
    //////////////////////////////////////////////////////////////*/

    function _grant(ConsentTerms calldata terms, uint256 nonce)
        private
        returns (bytes32 consentId)
    {
        // Ensure that consent is only ever granted to an active insurer.
        if (!participants.isActiveInsurer(terms.insurer)) {
            revert ConsentRegistryInsurerInactive(terms.insurer);
        }
        // Ensure that the consent names known scopes and purposes, at least one of each.
        if (
            terms.scopes == 0 || terms.purposes == 0
                || terms.scopes & ~ConsentVocabulary.ALL_SCOPES != 0
                || terms.purposes & ~ConsentVocabulary.ALL_PURPOSES != 0
        ) revert ConsentRegistryInvalidScopesOrPurposes(terms.scopes, terms.purposes);
        // Ensure that the window is not empty and has not already ended.
        if (terms.notAfter < terms.notBefore || terms.notAfter < block.timestamp) {
            revert ConsentRegistryInvalidWindow(terms.notBefore, terms.notAfter, block.timestamp);
        }

        consentId = consentIdOf(terms, nonce);
        _nonces[terms.pseudonym] = nonce + 1;
        ConsentState storage consent = _consents[terms.pseudonym][terms.insurer];
        bytes32 replacedId = consent.id;
        bool replacesActive = replacedId != bytes32(0) && consent.revokedAt == 0;
        consent.id = consentId;
        consent.scopes = terms.scopes;
        consent.purposes = terms.purposes;
        consent.notBefore = terms.notBefore;
        consent.notAfter = terms.notAfter;
        consent.grantedAt = uint48(block.timestamp);
        consent.revokedAt = 0;
        if (replacesActive) {
            emit ConsentRevoked(replacedId, terms.pseudonym, terms.insurer, consentId);
        }
        emit ConsentGranted(
            consentId,
            terms.pseudonym,
            terms.insurer,
            terms.scopes,
            terms.purposes,
            terms.notBefore,
            terms.notAfter,
            nonce
        );
    }

    function _revoke(bytes32 pseudonym, address insurer, bytes32 consentId) private {
        ConsentState storage consent = _consents[pseudonym][insurer];
        bytes32 currentId = consent.id;
        // Ensure that a revocation names the consent currently recorded for the pair.
        if (consentId != currentId || currentId == bytes32(0)) {
            revert ConsentRegistryConsentNotCurrent(consentId, currentId);
        }
        uint48 revokedAt = consent.revokedAt;
        if (revokedAt != 0) revert ConsentRegistryAlreadyRevoked(consentId, revokedAt);
        consent.revokedAt = uint48(block.timestamp);
        emit ConsentRevoked(consentId, pseudonym, insurer, bytes32(0));
    }

    function _walletOf(bytes32 pseudonym) private view returns (address wallet) {
        wallet = _bindings[pseudonym].wallet;
        if (wallet == address(0)) revert ConsentRegistryUnboundPseudonym(pseudonym);
    }

    function _checkDeadline(uint256 deadline) private view {
        // Ensure that a signature is used before its deadline.
        if (block.timestamp > deadline) {
            revert ConsentRegistryExpiredSignature(deadline, block.timestamp);
        }
    }

    function _checkSignature(
        bytes32 pseudonym,
        address wallet,
        bytes32 digest,
        bytes calldata signature
    ) private view {
        if (wallet.code.length != 0) {
            // Contract wallets (ERC-1271) decide for themselves.
            if (!SignatureChecker.isValidERC1271SignatureNow(wallet, digest, signature)) {
                revert ConsentRegistryInvalidSignature(pseudonym, wallet, address(0));
            }
            return;
        }
        if (signature.length != 65) revert ConsentRegistryMalformedSignature(signature.length);
        (address recovered, ECDSA.RecoverError error, bytes32 errorArg) =
            ECDSA.tryRecover(digest, signature);
        // Ensure that only the lower-s twin of a signature is accepted.
        if (error == ECDSA.RecoverError.InvalidSignatureS) {
            revert ConsentRegistryMalleableSignature(errorArg);
        }
        if (error != ECDSA.RecoverError.NoError || recovered != wallet) {
            revert ConsentRegistryInvalidSignature(pseudonym, wallet, recovered);
        }
    }

    function _grantDigest(ConsentTerms calldata terms, uint256 nonce, uint256 deadline)
        private
        view
        returns (bytes32)
    {
        return _hashTypedDataV4(
            keccak256(
                abi.encode(
                    CONSENT_TYPEHASH,
                    terms.pseudonym,
                    terms.insurer,
                    terms.scopes,
                    terms.purposes,
                    terms.notBefore,
                    terms.notAfter,
                    nonce,
                    deadline
                )
            )
        );
    }

    function _revocationDigest(
        bytes32 pseudonym,
        address insurer,
        bytes32 consentId,
        uint256 deadline
    ) private view returns (bytes32) {
        return _hashTypedDataV4(
            keccak256(abi.encode(REVOCATION_TYPEHASH, pseudonym, insurer, consentId, deadline))
        );
    }
}
