// SPDX-License-Identifier: UNLICENSED
pragma solidity 0.8.28;

import {Ownable} from "@openzeppelin/contracts/access/Ownable.sol";
import {Ownable2Step} from "@openzeppelin/contracts/access/Ownable2Step.sol";

import {IParticipants} from "./interfaces/IParticipants.sol";

/// @title Participants
/// @notice Operator-administered registry of bureaus and insurers. The operator is the owner
/// (two-step transfer so the role is never handed to a mistyped address).
contract Participants is IParticipants, Ownable2Step {
    /*//////////////////////////////////////////////////////////////
                                STORAGE
    //////////////////////////////////////////////////////////////*/

    mapping(address account => Participant) private _participants;
    mapping(address removedBureau => address successor) private _successors;

    /*//////////////////////////////////////////////////////////////
                              CONSTRUCTOR
    //////////////////////////////////////////////////////////////*/

    constructor(address operator) Ownable(operator) {}

    /*//////////////////////////////////////////////////////////////
                          OPERATOR FUNCTIONS
    //////////////////////////////////////////////////////////////*/

    /// @inheritdoc IParticipants
    function registerBureau(address bureau, string calldata name, string calldata endpoint)
        external
        onlyOwner
    {
        Participant storage entry = _register(bureau, Role.Bureau);
        entry.name = name;
        entry.endpoint = endpoint;
        emit BureauRegistered(bureau, name, endpoint);
    }

    /// @inheritdoc IParticipants
    function registerInsurer(
        address insurer,
        string calldata name,
        bytes32 encryptionKey,
        string calldata endpoint
    ) external onlyOwner {
        if (encryptionKey == bytes32(0)) {
            revert ParticipantsInvalidEncryptionKey(insurer, encryptionKey);
        }
        Participant storage entry = _register(insurer, Role.Insurer);
        entry.encryptionKey = encryptionKey;
        entry.name = name;
        entry.endpoint = endpoint;
        emit InsurerRegistered(insurer, name, encryptionKey, endpoint);
    }

    /// @inheritdoc IParticipants
    function removeParticipant(address account) external onlyOwner {
        Participant storage entry = _participants[account];
        if (!entry.active) revert ParticipantsNotActive(account);
        entry.active = false;
        entry.removedAt = uint48(block.timestamp);
        emit ParticipantRemoved(account, entry.role);
    }

    /// @inheritdoc IParticipants
    function designateSuccessor(address removedBureau, address successor) external onlyOwner {
        Participant storage removed = _participants[removedBureau];
        Participant storage next = _participants[successor];
        // Ensure that a successor is named only for a removed bureau, and is an active bureau.
        if (
            removed.role != Role.Bureau || removed.active || next.role != Role.Bureau
                || !next.active
        ) revert ParticipantsInvalidSuccession(removedBureau, successor);
        _successors[removedBureau] = successor;
        emit SuccessorDesignated(removedBureau, successor);
    }

    /*//////////////////////////////////////////////////////////////
                       SELF-SERVICE (OR OPERATOR)
    //////////////////////////////////////////////////////////////*/

    /// @inheritdoc IParticipants
    function rotateEncryptionKey(address insurer, bytes32 newKey) external {
        Participant storage entry = _activeEntry(insurer);
        if (entry.role != Role.Insurer) revert ParticipantsNotInsurer(insurer, entry.role);
        if (newKey == bytes32(0)) revert ParticipantsInvalidEncryptionKey(insurer, newKey);
        bytes32 previousKey = entry.encryptionKey;
        entry.encryptionKey = newKey;
        emit EncryptionKeyRotated(insurer, previousKey, newKey);
    }

    /// @inheritdoc IParticipants
    function updateEndpoint(address account, string calldata endpoint) external {
        Participant storage entry = _activeEntry(account);
        entry.endpoint = endpoint;
        emit EndpointUpdated(account, endpoint);
    }

    /*//////////////////////////////////////////////////////////////
                                 VIEWS
    //////////////////////////////////////////////////////////////*/

    /// @inheritdoc IParticipants
    function isActiveBureau(address account) external view returns (bool) {
        Participant storage entry = _participants[account];
        return entry.active && entry.role == Role.Bureau;
    }

    /// @inheritdoc IParticipants
    function isActiveInsurer(address account) external view returns (bool) {
        Participant storage entry = _participants[account];
        return entry.active && entry.role == Role.Insurer;
    }

    /// @inheritdoc IParticipants
    function successorOf(address removedBureau) external view returns (address) {
        return _successors[removedBureau];
    }

    /// @inheritdoc IParticipants
    function participant(address account) external view returns (Participant memory) {
        return _participants[account];
    }

    /*//////////////////////////////////////////////////////////////
                               INTERNALS
    //////////////////////////////////////////////////////////////*/

    function _register(address account, Role role) private returns (Participant storage entry) {
        // Ensure that the zero address is never registered.
        if (account == address(0)) revert ParticipantsZeroAddress();
        entry = _participants[account];
        // Ensure that an address is registered at most once, removed ones included.
        if (entry.role != Role.None) revert ParticipantsAlreadyRegistered(account, entry.role);
        entry.role = role;
        entry.active = true;
        entry.registeredAt = uint48(block.timestamp);
    }

    function _activeEntry(address account) private view returns (Participant storage entry) {
        // Ensure that only the participant itself or the operator changes its details.
        if (msg.sender != account && msg.sender != owner()) {
            revert ParticipantsUnauthorized(msg.sender, account);
        }
        entry = _participants[account];
        if (!entry.active) revert ParticipantsNotActive(account);
    }
}
