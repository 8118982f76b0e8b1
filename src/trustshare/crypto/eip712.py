"""EIP-712 typed data of signed consents, identical to `ConsentRegistry`.

Digests are computed directly (every field is a static 32-byte ABI word) for speed; the tests
check them against eth-account's generic encoder on the typed-data dicts below, which are also
what a browser wallet signs (`eth_signTypedData_v4`, ethers `signTypedData`, viem).
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from typing import Any

from eth_account.messages import encode_typed_data
from eth_utils.address import to_checksum_address

from trustshare.crypto.hashing import keccak256
from trustshare.crypto.signatures import PrivateKeyLike, recover_typed_signer, sign_typed
from trustshare.crypto.typed_data import DOMAIN_FIELDS as _DOMAIN_FIELDS
from trustshare.crypto.typed_data import address_word as _address_word
from trustshare.crypto.typed_data import bytes32_value as _bytes32
from trustshare.crypto.typed_data import checksum_address as _address
from trustshare.crypto.typed_data import domain_document, domain_separator
from trustshare.crypto.typed_data import uint_word as _uint

DOMAIN_NAME = "TrustShare ConsentRegistry"
DOMAIN_VERSION = "1"
CONSENT_TYPE = (
    "Consent(bytes32 pseudonym,address insurer,uint32 scopes,uint32 purposes,"
    "uint48 notBefore,uint48 notAfter,uint256 nonce,uint256 deadline)"
)
REVOCATION_TYPE = "Revocation(bytes32 pseudonym,address insurer,bytes32 consentId,uint256 deadline)"
CONSENT_TYPEHASH = keccak256(CONSENT_TYPE.encode())
REVOCATION_TYPEHASH = keccak256(REVOCATION_TYPE.encode())

_CONSENT_FIELDS = [
    {"name": "pseudonym", "type": "bytes32"},
    {"name": "insurer", "type": "address"},
    {"name": "scopes", "type": "uint32"},
    {"name": "purposes", "type": "uint32"},
    {"name": "notBefore", "type": "uint48"},
    {"name": "notAfter", "type": "uint48"},
    {"name": "nonce", "type": "uint256"},
    {"name": "deadline", "type": "uint256"},
]
_REVOCATION_FIELDS = [
    {"name": "pseudonym", "type": "bytes32"},
    {"name": "insurer", "type": "address"},
    {"name": "consentId", "type": "bytes32"},
    {"name": "deadline", "type": "uint256"},
]


@dataclass(frozen=True)
class ConsentDomain:
    """The EIP-712 domain of one deployed ConsentRegistry."""

    chain_id: int
    verifying_contract: str

    def __post_init__(self) -> None:
        """Validate the chain id and checksum the contract address."""
        _uint(self.chain_id, 256, "chain_id")
        contract = _address(self.verifying_contract, "verifying_contract")
        object.__setattr__(self, "verifying_contract", contract)

    @functools.cached_property
    def separator(self) -> bytes:
        """The 32-byte domain separator (`_domainSeparatorV4()` of the contract)."""
        return domain_separator(DOMAIN_NAME, DOMAIN_VERSION, self.chain_id, self.verifying_contract)

    def as_typed_data(self) -> dict[str, Any]:
        """Return the `domain` member of a typed-data document."""
        return domain_document(DOMAIN_NAME, DOMAIN_VERSION, self.chain_id, self.verifying_contract)


@dataclass(frozen=True)
class ConsentTerms:
    """What a consent says (`IConsentRegistry.ConsentTerms`); the window is inclusive."""

    pseudonym: bytes
    insurer: str
    scopes: int
    purposes: int
    not_before: int
    not_after: int

    def __post_init__(self) -> None:
        """Check ABI ranges and checksum the insurer; vocabulary is the contract's to judge."""
        object.__setattr__(self, "pseudonym", _bytes32(self.pseudonym, "pseudonym"))
        object.__setattr__(self, "insurer", _address(self.insurer, "insurer"))
        _uint(self.scopes, 32, "scopes")
        _uint(self.purposes, 32, "purposes")
        # Scope / Purpose flags are ints; store plain ints so equality and JSON stay simple.
        object.__setattr__(self, "scopes", int(self.scopes))
        object.__setattr__(self, "purposes", int(self.purposes))
        self._words()

    def _words(self) -> bytes:
        return (
            self.pseudonym
            + _address_word(self.insurer)
            + _uint(self.scopes, 32, "scopes")
            + _uint(self.purposes, 32, "purposes")
            + _uint(self.not_before, 48, "not_before")
            + _uint(self.not_after, 48, "not_after")
        )

    def as_abi_tuple(self) -> tuple[bytes, str, int, int, int, int]:
        """Return the terms as a contract call argument (struct tuple)."""
        return (
            self.pseudonym,
            self.insurer,
            self.scopes,
            self.purposes,
            self.not_before,
            self.not_after,
        )


def consent_id(terms: ConsentTerms, nonce: int) -> bytes:
    """Return the consent id `keccak256(abi.encode(terms, nonce))` (`consentIdOf`)."""
    return keccak256(terms._words() + _uint(nonce, 256, "nonce"))


def grant_struct_hash(terms: ConsentTerms, nonce: int, deadline: int) -> bytes:
    """`hashStruct(Consent)` for the terms, the subject's nonce and the signature deadline."""
    return keccak256(
        CONSENT_TYPEHASH
        + terms._words()
        + _uint(nonce, 256, "nonce")
        + _uint(deadline, 256, "deadline")
    )


def revocation_struct_hash(
    pseudonym: bytes, insurer: str, consent_id: bytes, deadline: int
) -> bytes:
    """`hashStruct(Revocation)`."""
    return keccak256(
        REVOCATION_TYPEHASH
        + _bytes32(pseudonym, "pseudonym")
        + _address_word(_address(insurer, "insurer"))
        + _bytes32(consent_id, "consent_id")
        + _uint(deadline, 256, "deadline")
    )


def grant_digest(domain: ConsentDomain, terms: ConsentTerms, nonce: int, deadline: int) -> bytes:
    """Return the digest a patient signs to grant consent (the contract's `grantDigest`)."""
    return _digest(domain, grant_struct_hash(terms, nonce, deadline))


def revocation_digest(
    domain: ConsentDomain, pseudonym: bytes, insurer: str, consent_id: bytes, deadline: int
) -> bytes:
    """Return the digest a patient signs to revoke consent (`revocationDigest`)."""
    return _digest(domain, revocation_struct_hash(pseudonym, insurer, consent_id, deadline))


def grant_typed_data(
    domain: ConsentDomain, terms: ConsentTerms, nonce: int, deadline: int
) -> dict[str, Any]:
    """Return the typed-data document of a grant, for eth-account or a browser wallet."""
    grant_struct_hash(terms, nonce, deadline)  # validates the ranges
    return {
        "types": {"EIP712Domain": _DOMAIN_FIELDS, "Consent": _CONSENT_FIELDS},
        "primaryType": "Consent",
        "domain": domain.as_typed_data(),
        "message": {
            "pseudonym": "0x" + terms.pseudonym.hex(),
            "insurer": terms.insurer,
            "scopes": terms.scopes,
            "purposes": terms.purposes,
            "notBefore": terms.not_before,
            "notAfter": terms.not_after,
            "nonce": nonce,
            "deadline": deadline,
        },
    }


def revocation_typed_data(
    domain: ConsentDomain, pseudonym: bytes, insurer: str, consent_id: bytes, deadline: int
) -> dict[str, Any]:
    """Return the typed-data document of a revocation."""
    revocation_struct_hash(pseudonym, insurer, consent_id, deadline)  # validates the ranges
    return {
        "types": {"EIP712Domain": _DOMAIN_FIELDS, "Revocation": _REVOCATION_FIELDS},
        "primaryType": "Revocation",
        "domain": domain.as_typed_data(),
        "message": {
            "pseudonym": "0x" + pseudonym.hex(),
            "insurer": to_checksum_address(insurer),
            "consentId": "0x" + consent_id.hex(),
            "deadline": deadline,
        },
    }


def typed_data_digest(typed_data: dict[str, Any]) -> bytes:
    """Return the EIP-712 digest of any typed-data document (eth-account's encoder)."""
    message = encode_typed_data(full_message=typed_data)
    return keccak256(b"\x19" + message.version + message.header + message.body)


def sign_grant(
    private_key: PrivateKeyLike,
    domain: ConsentDomain,
    terms: ConsentTerms,
    nonce: int,
    deadline: int,
) -> bytes:
    """Sign a grant as the patient's wallet; returns the 65-byte `r ‖ s ‖ v` signature."""
    return sign_typed(private_key, domain.separator, grant_struct_hash(terms, nonce, deadline))


def sign_revocation(
    private_key: PrivateKeyLike,
    domain: ConsentDomain,
    pseudonym: bytes,
    insurer: str,
    consent_id: bytes,
    deadline: int,
) -> bytes:
    """Sign a revocation as the patient's wallet; returns the 65-byte signature."""
    struct_hash = revocation_struct_hash(pseudonym, insurer, consent_id, deadline)
    return sign_typed(private_key, domain.separator, struct_hash)


def recover_grant_signer(
    domain: ConsentDomain, terms: ConsentTerms, nonce: int, deadline: int, signature: bytes
) -> str:
    """Return the checksum address that signed this grant (high-s twins refused)."""
    struct_hash = grant_struct_hash(terms, nonce, deadline)
    return recover_typed_signer(domain.separator, struct_hash, signature)


def recover_revocation_signer(
    domain: ConsentDomain,
    pseudonym: bytes,
    insurer: str,
    consent_id: bytes,
    deadline: int,
    signature: bytes,
) -> str:
    """Return the checksum address that signed this revocation (high-s twins refused)."""
    struct_hash = revocation_struct_hash(pseudonym, insurer, consent_id, deadline)
    return recover_typed_signer(domain.separator, struct_hash, signature)


def _digest(domain: ConsentDomain, struct_hash: bytes) -> bytes:
    return keccak256(b"\x19\x01" + domain.separator + struct_hash)
