"""商保码: the short-lived policy code a patient presents at the hospital window.

An insurer signs, with its chain key, EIP-712 typed data (one line in the type string)::

    PolicyCode(bytes32 pseudonym,address insurer,string product,string policyNumber,
               uint64 expiresAt)

under the domain ``{name: "TrustShare PolicyCode", version: "1", chainId, verifyingContract}``
where ``verifyingContract`` is the network's **Participants** registry. No contract verifies the
code; the address only binds a code to one network (one deployment on one chain), so a code
signed for a test network is worthless on another, and a wallet shows whose network it is.

The code says: "the holder of ``pseudonym`` holds policy ``policyNumber`` of ``product`` with
me, ``insurer``, until ``expiresAt`` (unix seconds)". It carries no personal data beyond the
keyed pseudonym. The bureau checks the signature recovers ``insurer``, that ``insurer`` is an
active insurer on chain, that the code has not expired and is not valid for more than
:data:`MAX_LIFETIME_SECONDS` ahead, and that the pseudonym is the bill's person.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from typing import Any

from trustshare.crypto.errors import CryptoError, SignatureError, TypedDataError
from trustshare.crypto.hashing import keccak256
from trustshare.crypto.signatures import PrivateKeyLike, recover_typed_signer, sign_typed
from trustshare.crypto.typed_data import DOMAIN_FIELDS as _DOMAIN_FIELDS
from trustshare.crypto.typed_data import address_word as _address_word
from trustshare.crypto.typed_data import checksum_address as _address
from trustshare.crypto.typed_data import domain_document, domain_separator

DOMAIN_NAME = "TrustShare PolicyCode"
DOMAIN_VERSION = "1"
MAX_LIFETIME_SECONDS = 24 * 3600
"""A code still valid for longer than this when checked is refused: codes are short-lived."""

POLICY_CODE_TYPE = (
    "PolicyCode(bytes32 pseudonym,address insurer,string product,string policyNumber,"
    "uint64 expiresAt)"
)
POLICY_CODE_TYPEHASH = keccak256(POLICY_CODE_TYPE.encode())

_POLICY_CODE_FIELDS = [
    {"name": "pseudonym", "type": "bytes32"},
    {"name": "insurer", "type": "address"},
    {"name": "product", "type": "string"},
    {"name": "policyNumber", "type": "string"},
    {"name": "expiresAt", "type": "uint64"},
]


class PolicyCodeRejected(CryptoError, ValueError):
    """A presented policy code does not hold: bad signature, expired, or someone else's."""


@dataclass(frozen=True)
class PolicyCodeDomain:
    """The EIP-712 domain of policy codes on one network."""

    chain_id: int
    participants: str
    """Address of the network's Participants registry (the domain's ``verifyingContract``)."""

    def __post_init__(self) -> None:
        """Validate the chain id and checksum the registry address."""
        if isinstance(self.chain_id, bool) or not isinstance(self.chain_id, int):
            raise TypedDataError("chain_id must be an integer")
        if not 0 <= self.chain_id < 1 << 256:
            raise TypedDataError("chain_id must fit in uint256")
        object.__setattr__(self, "participants", _address(self.participants, "participants"))

    @functools.cached_property
    def separator(self) -> bytes:
        """The 32-byte domain separator."""
        return domain_separator(DOMAIN_NAME, DOMAIN_VERSION, self.chain_id, self.participants)

    def as_typed_data(self) -> dict[str, Any]:
        """The ``domain`` member of a typed-data document."""
        return domain_document(DOMAIN_NAME, DOMAIN_VERSION, self.chain_id, self.participants)


@dataclass(frozen=True)
class PolicyCode:
    """What a policy code says (unsigned)."""

    pseudonym: bytes
    insurer: str
    product: str
    policy_number: str
    expires_at: int

    def __post_init__(self) -> None:
        """Check ABI ranges and checksum the insurer."""
        if not isinstance(self.pseudonym, bytes | bytearray) or len(self.pseudonym) != 32:
            raise TypedDataError("pseudonym must be 32 bytes")
        object.__setattr__(self, "pseudonym", bytes(self.pseudonym))
        object.__setattr__(self, "insurer", _address(self.insurer, "insurer"))
        for name in ("product", "policy_number"):
            value = getattr(self, name)
            if not isinstance(value, str) or not value:
                raise TypedDataError(f"{name} must be a non-empty string")
        expires = self.expires_at
        if isinstance(expires, bool) or not isinstance(expires, int) or not 0 <= expires < 1 << 64:
            raise TypedDataError(f"expires_at must be an integer in 0..2^64-1, got {expires!r}")

    def struct_hash(self) -> bytes:
        """``hashStruct(PolicyCode)``: strings enter as the keccak of their UTF-8 bytes."""
        return keccak256(
            POLICY_CODE_TYPEHASH
            + self.pseudonym
            + _address_word(self.insurer)
            + keccak256(self.product.encode("utf-8"))
            + keccak256(self.policy_number.encode("utf-8"))
            + self.expires_at.to_bytes(32, "big")
        )

    def typed_data(self, domain: PolicyCodeDomain) -> dict[str, Any]:
        """The typed-data document an insurer's wallet or HSM signs (``eth_signTypedData_v4``)."""
        return {
            "types": {"EIP712Domain": _DOMAIN_FIELDS, "PolicyCode": _POLICY_CODE_FIELDS},
            "primaryType": "PolicyCode",
            "domain": domain.as_typed_data(),
            "message": {
                "pseudonym": "0x" + self.pseudonym.hex(),
                "insurer": self.insurer,
                "product": self.product,
                "policyNumber": self.policy_number,
                "expiresAt": self.expires_at,
            },
        }


@dataclass(frozen=True)
class SignedPolicyCode:
    """A policy code and the insurer's 65-byte signature: what the patient presents."""

    code: PolicyCode
    signature: bytes

    def signer(self, domain: PolicyCodeDomain) -> str:
        """The checksum address that signed the code (high-s twins refused).

        Raises :class:`~trustshare.crypto.errors.SignatureError` if nothing can be recovered.
        """
        return recover_typed_signer(domain.separator, self.code.struct_hash(), self.signature)

    def to_json_dict(self) -> dict[str, Any]:
        """The JSON form presented at the window (bytes as 0x-hex)."""
        code = self.code
        return {
            "pseudonym": "0x" + code.pseudonym.hex(),
            "insurer": code.insurer,
            "product": code.product,
            "policy_number": code.policy_number,
            "expires_at": code.expires_at,
            "signature": "0x" + self.signature.hex(),
        }

    @classmethod
    def from_json_dict(cls, data: dict[str, Any]) -> SignedPolicyCode:
        """Parse the JSON form; raises :class:`TypedDataError` when malformed."""
        try:
            code = PolicyCode(
                pseudonym=bytes.fromhex(str(data["pseudonym"]).removeprefix("0x")),
                insurer=str(data["insurer"]),
                product=data["product"],
                policy_number=data["policy_number"],
                expires_at=data["expires_at"],
            )
            signature = bytes.fromhex(str(data["signature"]).removeprefix("0x"))
        except (KeyError, ValueError, TypeError) as error:
            if isinstance(error, TypedDataError):
                raise
            raise TypedDataError(f"malformed policy code: {error!r}") from error
        return cls(code, signature)


def sign_policy_code(
    private_key: PrivateKeyLike, domain: PolicyCodeDomain, code: PolicyCode
) -> SignedPolicyCode:
    """Sign ``code`` as its insurer; the signer must be ``code.insurer`` for the code to hold."""
    return SignedPolicyCode(code, sign_typed(private_key, domain.separator, code.struct_hash()))


def verify_policy_code(
    signed: SignedPolicyCode, domain: PolicyCodeDomain, *, pseudonym: bytes, now: float
) -> PolicyCode:
    """Check a presented code offline; return it, or raise :class:`PolicyCodeRejected`.

    Checks that the signature recovers ``code.insurer``, that the code is for ``pseudonym``,
    that ``now < expiresAt`` and that it expires within :data:`MAX_LIFETIME_SECONDS`. Whether
    the insurer is an active participant is the caller's (on-chain) check.
    """
    code = signed.code
    try:
        signer = signed.signer(domain)
    except SignatureError as error:
        raise PolicyCodeRejected(f"the signature is not valid: {error}") from error
    if signer != code.insurer:
        raise PolicyCodeRejected(f"the code names insurer {code.insurer} but {signer} signed it")
    if code.pseudonym != pseudonym:
        raise PolicyCodeRejected("the code was issued to another person")
    if code.expires_at <= now:
        raise PolicyCodeRejected(f"the code expired at {code.expires_at} (unix seconds)")
    if code.expires_at > now + MAX_LIFETIME_SECONDS:
        raise PolicyCodeRejected(
            f"the code is valid for more than {MAX_LIFETIME_SECONDS} s; codes are short-lived"
        )
    return code
