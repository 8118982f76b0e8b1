// SPDX-License-Identifier: UNLICENSED
pragma solidity ^0.8.24;

/// @title The network's participants: insurance bureaus and commercial insurers.
/// @notice The network operator registers and removes participants. Each insurer publishes the
/// X25519 public key that bureaus encrypt settlement records to, and the endpoint of its node.
/// An address is registered at most once: a removed participant stays removed, so a leaked key
/// cannot be brought back into the network by mistake.
interface IParticipants {
    /// @notice What a registered address is.
    enum Role {
        None,
        Bureau,
        Insurer
    }

    /// @notice Everything the network knows about a participant.
    /// @param role bureau or insurer (None for an address never registered)
    /// @param active false once removed
    /// @param registeredAt block timestamp of registration
    /// @param removedAt block timestamp of removal, 0 while active
    /// @param encryptionKey X25519 public key records are sealed to (insurers; zero for bureaus)
    /// @param name organisation name shown to patients
    /// @param endpoint base URL of the participant's node
    struct Participant {
        Role role;
        bool active;
        uint48 registeredAt;
        uint48 removedAt;
        bytes32 encryptionKey;
        string name;
        string endpoint;
    }

    /// @notice Ensure that an address is registered at most once (`role` is what it already is).
    error ParticipantsAlreadyRegistered(address account, Role role);
    /// @notice Ensure that the zero address is never registered.
    error ParticipantsZeroAddress();
    /// @notice Ensure that an insurer's encryption key is a non-zero X25519 public key.
    error ParticipantsInvalidEncryptionKey(address insurer, bytes32 encryptionKey);
    /// @notice Ensure that the participant acted on is registered and active.
    error ParticipantsNotActive(address account);
    /// @notice Ensure that only an active insurer has an encryption key rotated.
    error ParticipantsNotInsurer(address account, Role role);
    /// @notice Ensure that a successor is named only for a removed bureau, and is an active bureau.
    error ParticipantsInvalidSuccession(address removedBureau, address successor);
    /// @notice Ensure that only the participant itself or the operator changes its details.
    error ParticipantsUnauthorized(address caller, address account);

    /// @notice A bureau joined the network.
    event BureauRegistered(address indexed bureau, string name, string endpoint);
    /// @notice An insurer joined the network.
    event InsurerRegistered(
        address indexed insurer, string name, bytes32 encryptionKey, string endpoint
    );
    /// @notice A participant was removed; its consents and claims stop being honoured.
    event ParticipantRemoved(address indexed account, Role role);
    /// @notice An insurer's encryption key was replaced.
    event EncryptionKeyRotated(address indexed insurer, bytes32 previousKey, bytes32 newKey);
    /// @notice The operator named the bureau that takes over a removed bureau's pseudonyms.
    event SuccessorDesignated(address indexed removedBureau, address indexed successor);
    /// @notice A participant's node moved to a new endpoint.
    event EndpointUpdated(address indexed account, string endpoint);

    /// @notice Register an insurance bureau. Operator only.
    function registerBureau(address bureau, string calldata name, string calldata endpoint) external;

    /// @notice Register a commercial insurer with its X25519 key and node endpoint. Operator only.
    function registerInsurer(
        address insurer,
        string calldata name,
        bytes32 encryptionKey,
        string calldata endpoint
    ) external;

    /// @notice Remove a participant for good. Operator only.
    function removeParticipant(address account) external;

    /// @notice Name the active bureau that may take over a removed bureau's wallet bindings
    /// (its patients stay reachable). Operator only; may be changed while no takeover happened.
    function designateSuccessor(address removedBureau, address successor) external;

    /// @notice Replace an insurer's encryption key. The insurer itself or the operator.
    function rotateEncryptionKey(address insurer, bytes32 newKey) external;

    /// @notice Move a participant's node. The participant itself or the operator.
    function updateEndpoint(address account, string calldata endpoint) external;

    /// @notice Whether `account` is a registered, active bureau.
    function isActiveBureau(address account) external view returns (bool);

    /// @notice Whether `account` is a registered, active insurer.
    function isActiveInsurer(address account) external view returns (bool);

    /// @notice The bureau designated to take over `removedBureau`'s bindings (zero if none).
    function successorOf(address removedBureau) external view returns (address);

    /// @notice The full record of `account` (role None if never registered).
    function participant(address account) external view returns (Participant memory);
}
