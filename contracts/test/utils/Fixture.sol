// SPDX-License-Identifier: UNLICENSED
pragma solidity 0.8.28;

import {AttestationRegistry} from "../../src/AttestationRegistry.sol";
import {ClaimRegistry} from "../../src/ClaimRegistry.sol";
import {ConsentRegistry} from "../../src/ConsentRegistry.sol";
import {ConsentVocabulary} from "../../src/ConsentVocabulary.sol";
import {Participants} from "../../src/Participants.sol";
import {IAttestationRegistry} from "../../src/interfaces/IAttestationRegistry.sol";
import {IConsentRegistry} from "../../src/interfaces/IConsentRegistry.sol";

import {BaseTest} from "./BaseTest.sol";
import {Merkle} from "./Merkle.sol";

/// @title The deployed network every contract test starts from.
/// @notice One operator, two bureaus, two registered insurers, one patient wallet bound to
/// PSEUDONYM by `bureau`. Nothing is granted or committed yet.
abstract contract Fixture is BaseTest {
    uint48 internal constant T0 = 1_750_000_000;
    uint48 internal constant YEAR = 365 days;

    bytes32 internal constant PSEUDONYM = keccak256("test pseudonym: alice");
    bytes32 internal constant OTHER_PSEUDONYM = keccak256("test pseudonym: bob");
    bytes32 internal constant KEY_A = bytes32(uint256(0xA11CE));
    bytes32 internal constant KEY_B = bytes32(uint256(0xB0B));
    bytes32 internal constant RULES_V1 = keccak256("rules 2025.1");
    /// @dev The low 12 bytes of a settlement id: the bureau's own numbering.
    bytes32 internal constant LOCAL_ID_MASK = bytes32(uint256(type(uint96).max));

    bytes32 internal constant EIP712_DOMAIN_TYPEHASH = keccak256(
        "EIP712Domain(string name,string version,uint256 chainId,address verifyingContract)"
    );

    Participants internal participants;
    ConsentRegistry internal consents;
    AttestationRegistry internal attestations;
    ClaimRegistry internal claims;

    address internal operator;
    address internal bureau;
    address internal otherBureau;
    address internal insurerA;
    address internal insurerB;
    address internal stranger;
    address internal relayer;
    uint256 internal patientKey;
    address internal patient;

    function setUp() public virtual {
        vm.warp(T0);
        (, operator) = _account("operator");
        (, bureau) = _account("bureau");
        (, otherBureau) = _account("otherBureau");
        (, insurerA) = _account("insurerA");
        (, insurerB) = _account("insurerB");
        (, stranger) = _account("stranger");
        (, relayer) = _account("relayer");
        (patientKey, patient) = _account("patient");

        participants = new Participants(operator);
        consents = new ConsentRegistry(participants);
        attestations = new AttestationRegistry(participants);
        claims = new ClaimRegistry(attestations, consents);

        vm.startPrank(operator);
        participants.registerBureau(bureau, "Bureau", "https://bureau.example");
        participants.registerBureau(otherBureau, "Other bureau", "https://other.example");
        participants.registerInsurer(insurerA, "Insurer A", KEY_A, "https://a.example");
        participants.registerInsurer(insurerB, "Insurer B", KEY_B, "https://b.example");
        vm.stopPrank();

        vm.prank(bureau);
        consents.bindWallet(PSEUDONYM, patient);
    }

    /*//////////////////////////////////////////////////////////////
                                CONSENT
    //////////////////////////////////////////////////////////////*/

    /// @dev A CLAIM consent on the settlement summary, valid for a year from now.
    function _claimTerms(bytes32 pseudonym, address insurer)
        internal
        view
        returns (IConsentRegistry.ConsentTerms memory)
    {
        return IConsentRegistry.ConsentTerms({
            pseudonym: pseudonym,
            insurer: insurer,
            scopes: ConsentVocabulary.SCOPE_SETTLEMENT_SUMMARY,
            purposes: ConsentVocabulary.PURPOSE_CLAIM,
            notBefore: uint48(block.timestamp),
            notAfter: uint48(block.timestamp) + YEAR
        });
    }

    function _grantAs(address wallet, IConsentRegistry.ConsentTerms memory terms)
        internal
        returns (bytes32 consentId)
    {
        vm.prank(wallet);
        consentId = consents.grant(terms);
    }

    function _signGrant(
        uint256 key,
        IConsentRegistry.ConsentTerms memory terms,
        uint256 nonce,
        uint256 deadline
    ) internal view returns (bytes memory) {
        return _sign(key, consents.grantDigest(terms, nonce, deadline));
    }

    function _signRevocation(
        uint256 key,
        bytes32 pseudonym,
        address insurer,
        bytes32 consentId,
        uint256 deadline
    ) internal view returns (bytes memory) {
        return _sign(key, consents.revocationDigest(pseudonym, insurer, consentId, deadline));
    }

    /// @dev The `Consent` struct hash, written out from the EIP-712 type string.
    function _consentStructHash(
        IConsentRegistry.ConsentTerms memory terms,
        uint256 nonce,
        uint256 deadline
    ) internal pure returns (bytes32) {
        return keccak256(
            abi.encode(
                keccak256(
                    "Consent(bytes32 pseudonym,address insurer,uint32 scopes,uint32 purposes,"
                    "uint48 notBefore,uint48 notAfter,uint256 nonce,uint256 deadline)"
                ),
                terms.pseudonym,
                terms.insurer,
                terms.scopes,
                terms.purposes,
                terms.notBefore,
                terms.notAfter,
                nonce,
                deadline
            )
        );
    }

    /// @dev An EIP-712 digest for any chain and verifying contract, built without the registry.
    function _typedDataDigest(uint256 chainId, address verifyingContract, bytes32 structHash)
        internal
        pure
        returns (bytes32)
    {
        bytes32 domainSeparator = keccak256(
            abi.encode(
                EIP712_DOMAIN_TYPEHASH,
                keccak256("TrustShare ConsentRegistry"),
                keccak256("1"),
                chainId,
                verifyingContract
            )
        );
        return keccak256(abi.encodePacked("\x19\x01", domainSeparator, structHash));
    }

    /// @dev The address a 65-byte (r, s, v) signature recovers to for `digest`.
    function _recover(bytes32 digest, bytes memory signature) internal pure returns (address) {
        bytes32 r;
        bytes32 s;
        uint8 v;
        assembly ("memory-safe") {
            r := mload(add(signature, 0x20))
            s := mload(add(signature, 0x40))
            v := byte(0, mload(add(signature, 0x60)))
        }
        return ecrecover(digest, v, r, s);
    }

    /*//////////////////////////////////////////////////////////////
                              SETTLEMENTS
    //////////////////////////////////////////////////////////////*/

    /// @dev A settlement id of `bureau_`: its address in the first 20 bytes, then the low 12
    /// bytes of `raw` as the bureau's own number. Only such ids can be claimed or superseded.
    function _scoped(address bureau_, bytes32 raw) internal pure returns (bytes32) {
        return bytes32(bytes20(bureau_)) | (raw & LOCAL_ID_MASK);
    }

    function _leaf(bytes32 settlementId, bytes32 pseudonym, uint256 ceilingFen)
        internal
        pure
        returns (IAttestationRegistry.SettlementLeaf memory)
    {
        return IAttestationRegistry.SettlementLeaf({
            settlementId: settlementId,
            pseudonym: pseudonym,
            recordCommitment: keccak256(abi.encode("record", settlementId)),
            claimCeilingFen: ceilingFen
        });
    }

    function _tree(IAttestationRegistry.SettlementLeaf[] memory leaves)
        internal
        pure
        returns (bytes32[] memory)
    {
        bytes32[] memory hashes = new bytes32[](leaves.length);
        for (uint256 i = 0; i < leaves.length; ++i) {
            hashes[i] = Merkle.settlementLeafHash(leaves[i]);
        }
        return Merkle.build(hashes);
    }

    function _proof(bytes32[] memory tree, IAttestationRegistry.SettlementLeaf memory leaf)
        internal
        pure
        returns (bytes32[] memory)
    {
        return Merkle.proof(tree, Merkle.settlementLeafHash(leaf));
    }

    function _commitSettlements(address by, bytes32[] memory tree) internal {
        vm.prank(by);
        attestations.commitBatch(
            uint8(IAttestationRegistry.BatchKind.Settlement),
            tree[0],
            uint32((tree.length + 1) / 2),
            RULES_V1
        );
    }
}
