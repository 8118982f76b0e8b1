// SPDX-License-Identifier: UNLICENSED
pragma solidity ^0.8.24;

/// @title Patients' consent to share their insurance data with a named insurer.
/// @notice A bureau binds a keyed pseudonym (never an ID number or its plain hash) to the wallet
/// that speaks for the patient. The wallet grants an insurer access to some disclosure scopes for
/// some purposes within a time window, directly or by an EIP-712 signature that anyone may relay.
///
/// There is one consent per (pseudonym, insurer): a new grant replaces the current one, which is
/// how a patient narrows or widens what an insurer may see. Every grant has a fresh id (the
/// subject's nonce is part of it), so a revoked or replaced consent is never revived.
interface IConsentRegistry {
    /// @notice What a consent says. Scopes and purposes are bitmasks (see the SCOPE_* and
    /// PURPOSE_* constants of the implementation); the window is inclusive, in unix seconds.
    struct ConsentTerms {
        bytes32 pseudonym;
        address insurer;
        uint32 scopes;
        uint32 purposes;
        uint48 notBefore;
        uint48 notAfter;
    }

    /// @notice The consent currently in force (or last revoked) for a (pseudonym, insurer) pair.
    /// `id` is zero when none was ever granted; `revokedAt` is non-zero once revoked.
    struct ConsentState {
        bytes32 id;
        uint32 scopes;
        uint32 purposes;
        uint48 notBefore;
        uint48 notAfter;
        uint48 grantedAt;
        uint48 revokedAt;
    }

    /// @notice Why a permission check passed or failed, in the order the checks run.
    enum PermissionStatus {
        Permitted,
        InsurerInactive,
        NoConsent,
        Revoked,
        NotYetValid,
        Expired,
        ScopeNotCovered,
        PurposeNotCovered
    }

    /// @notice Ensure that only an active bureau binds wallets.
    error ConsentRegistryNotBureau(address caller);
    /// @notice Ensure that a wallet is never the zero address.
    error ConsentRegistryZeroWallet(bytes32 pseudonym);
    /// @notice Ensure that only the bureau that first bound a pseudonym rebinds it.
    error ConsentRegistryBoundByOtherBureau(bytes32 pseudonym, address bureau, address caller);
    /// @notice Ensure that the pseudonym acted on has a bound wallet.
    error ConsentRegistryUnboundPseudonym(bytes32 pseudonym);
    /// @notice Ensure that only the bound wallet grants or revokes directly.
    error ConsentRegistryNotWallet(bytes32 pseudonym, address caller, address wallet);
    /// @notice Ensure that consent is only ever granted to an active insurer.
    error ConsentRegistryInsurerInactive(address insurer);
    /// @notice Ensure that a consent names at least one scope and one purpose, and no bit that
    /// the vocabulary (ConsentVocabulary) does not define.
    error ConsentRegistryInvalidScopesOrPurposes(uint32 scopes, uint32 purposes);
    /// @notice Ensure that the window is not empty and has not already ended.
    error ConsentRegistryInvalidWindow(uint48 notBefore, uint48 notAfter, uint256 timestamp);
    /// @notice Ensure that a signed grant uses the subject's next nonce (replays fail here).
    error ConsentRegistryInvalidNonce(bytes32 pseudonym, uint256 expected, uint256 given);
    /// @notice Ensure that a signature is used before its deadline.
    error ConsentRegistryExpiredSignature(uint256 deadline, uint256 timestamp);
    /// @notice Ensure that a signature is 65 bytes (r, s, v) for an EOA wallet.
    error ConsentRegistryMalformedSignature(uint256 length);
    /// @notice Ensure that only the lower-s form of an ECDSA signature is accepted.
    error ConsentRegistryMalleableSignature(bytes32 s);
    /// @notice Ensure that the signature was made by the pseudonym's wallet, for this chain and
    /// this contract (a wrong domain recovers some other address, shown as `recovered`).
    error ConsentRegistryInvalidSignature(bytes32 pseudonym, address wallet, address recovered);
    /// @notice Ensure that a revocation names the consent currently recorded for the pair.
    error ConsentRegistryConsentNotCurrent(bytes32 consentId, bytes32 currentId);
    /// @notice Ensure that a consent is revoked once.
    error ConsentRegistryAlreadyRevoked(bytes32 consentId, uint48 revokedAt);

    /// @notice A bureau bound `wallet` to `pseudonym` (`previousWallet` is zero on first binding).
    event WalletBound(
        bytes32 indexed pseudonym,
        address indexed wallet,
        address indexed bureau,
        address previousWallet
    );
    /// @notice A consent came into force (possibly replacing the pair's previous one).
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
    /// @notice A consent stopped: revoked by the patient, or replaced by `replacedBy`.
    event ConsentRevoked(
        bytes32 indexed consentId,
        bytes32 indexed pseudonym,
        address indexed insurer,
        bytes32 replacedBy
    );

    /// @notice Bind (or, after key loss, rebind) `pseudonym` to `wallet`. Active bureau only;
    /// a rebinding must come from the bureau that made the binding, unless that bureau has been
    /// removed from the network and the operator designated the caller as its successor, who
    /// then takes the pseudonym over (`IParticipants.designateSuccessor`).
    function bindWallet(bytes32 pseudonym, address wallet) external;

    /// @notice Grant consent as the pseudonym's wallet. Uses the subject's next nonce.
    /// @return consentId the new consent's id, `consentIdOf(terms, nonce)`
    function grant(ConsentTerms calldata terms) external returns (bytes32 consentId);

    /// @notice Grant consent with the wallet's EIP-712 `Consent` signature; anyone may relay.
    /// EOA wallets sign (r, s, v) with low s; contract wallets answer ERC-1271.
    function grantBySig(
        ConsentTerms calldata terms,
        uint256 nonce,
        uint256 deadline,
        bytes calldata signature
    ) external returns (bytes32 consentId);

    /// @notice Revoke the pair's current consent as the pseudonym's wallet. Effective at once.
    function revoke(bytes32 pseudonym, address insurer, bytes32 consentId) external;

    /// @notice Revoke with the wallet's EIP-712 `Revocation` signature; anyone may relay.
    /// A revocation can take effect only once and never be undone, so it needs no nonce.
    function revokeBySig(
        bytes32 pseudonym,
        address insurer,
        bytes32 consentId,
        uint256 deadline,
        bytes calldata signature
    ) external;

    /// @notice The wallet bound to `pseudonym` and the bureau that bound it.
    function bindingOf(bytes32 pseudonym) external view returns (address wallet, address bureau);

    /// @notice The subject's next grant nonce; it only ever grows.
    function nonceOf(bytes32 pseudonym) external view returns (uint256);

    /// @notice The pair's current (or last revoked) consent.
    function consentOf(bytes32 pseudonym, address insurer)
        external
        view
        returns (ConsentState memory);

    /// @notice Why `insurer` may or may not see `scope` of the subject's data for `purpose` now.
    /// Every bit of `scope` and of `purpose` must be covered; an empty scope or purpose is never
    /// permitted.
    function permissionOf(bytes32 pseudonym, address insurer, uint32 scope, uint32 purpose)
        external
        view
        returns (PermissionStatus);

    /// @notice `permissionOf(...) == Permitted`.
    function isPermitted(bytes32 pseudonym, address insurer, uint32 scope, uint32 purpose)
        external
        view
        returns (bool);

    /// @notice The deterministic id of a consent: keccak256(abi.encode(terms..., nonce)).
    function consentIdOf(ConsentTerms calldata terms, uint256 nonce) external pure returns (bytes32);

    /// @notice The EIP-712 digest a wallet signs to grant `terms`.
    function grantDigest(ConsentTerms calldata terms, uint256 nonce, uint256 deadline)
        external
        view
        returns (bytes32);

    /// @notice The EIP-712 digest a wallet signs to revoke `consentId`.
    function revocationDigest(
        bytes32 pseudonym,
        address insurer,
        bytes32 consentId,
        uint256 deadline
    ) external view returns (bytes32);
}
