"""Premiums paid from the personal medical-insurance account (个人账户): EIP-712 typed data.

Two messages share one domain, ``{name: "TrustShare PersonalAccount", version: "1", chainId,
verifyingContract}``, where ``verifyingContract`` is the network's **ConsentRegistry**: the
registry that says which wallet speaks for a pseudonym. No contract verifies these messages; the
address binds them to one network, so an authorisation signed on a test network is worthless on
another. Each type is one line::

    PremiumDebit(bytes32 pseudonym,address bureau,address insurer,string policyReference,
                 uint64 amountFen,bytes32 debitId,uint64 deadline)

is signed by the **patient's wallet** (the one bound to ``pseudonym``): "``bureau``, debit
``amountFen`` fen from the personal account you keep for ``pseudonym`` and pay it to
``insurer`` for ``policyReference``, once — ``debitId`` names this debit —, if you book it
before ``deadline`` (unix seconds)". ::

    PremiumReceipt(bytes32 debitId,bytes32 pseudonym,address bureau,address insurer,
                   string policyReference,uint64 amountFen,uint64 entryId,uint64 paidAt)

is signed by the **bureau's chain key**: "I booked debit ``debitId`` as entry ``entryId`` of my
personal-account ledger at ``paidAt``". The insurer keeps it as proof of payment. Neither message
carries personal data beyond the keyed pseudonym; the receipt does not reveal the balance.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from typing import Any

from trustshare.crypto.errors import SignatureError, TypedDataError
from trustshare.crypto.hashing import keccak256
from trustshare.crypto.signatures import PrivateKeyLike, recover_typed_signer, sign_typed
from trustshare.crypto.typed_data import (
    DOMAIN_FIELDS,
    address_word,
    bytes32_value,
    checksum_address,
    domain_document,
    domain_separator,
    uint_word,
)

DOMAIN_NAME = "TrustShare PersonalAccount"
DOMAIN_VERSION = "1"
MAX_POLICY_REFERENCE_CHARS = 64

PREMIUM_DEBIT_TYPE = (
    "PremiumDebit(bytes32 pseudonym,address bureau,address insurer,string policyReference,"
    "uint64 amountFen,bytes32 debitId,uint64 deadline)"
)
PREMIUM_RECEIPT_TYPE = (
    "PremiumReceipt(bytes32 debitId,bytes32 pseudonym,address bureau,address insurer,"
    "string policyReference,uint64 amountFen,uint64 entryId,uint64 paidAt)"
)
PREMIUM_DEBIT_TYPEHASH = keccak256(PREMIUM_DEBIT_TYPE.encode())
PREMIUM_RECEIPT_TYPEHASH = keccak256(PREMIUM_RECEIPT_TYPE.encode())

_DEBIT_FIELDS = [
    {"name": "pseudonym", "type": "bytes32"},
    {"name": "bureau", "type": "address"},
    {"name": "insurer", "type": "address"},
    {"name": "policyReference", "type": "string"},
    {"name": "amountFen", "type": "uint64"},
    {"name": "debitId", "type": "bytes32"},
    {"name": "deadline", "type": "uint64"},
]
_RECEIPT_FIELDS = [
    {"name": "debitId", "type": "bytes32"},
    {"name": "pseudonym", "type": "bytes32"},
    {"name": "bureau", "type": "address"},
    {"name": "insurer", "type": "address"},
    {"name": "policyReference", "type": "string"},
    {"name": "amountFen", "type": "uint64"},
    {"name": "entryId", "type": "uint64"},
    {"name": "paidAt", "type": "uint64"},
]


@dataclass(frozen=True)
class PremiumDomain:
    """The EIP-712 domain of personal-account messages on one network."""

    chain_id: int
    consent_registry: str
    """Address of the network's ConsentRegistry (the domain's ``verifyingContract``)."""

    def __post_init__(self) -> None:
        """Validate the chain id and checksum the registry address."""
        uint_word(self.chain_id, 256, "chain_id")
        registry = checksum_address(self.consent_registry, "consent_registry")
        object.__setattr__(self, "consent_registry", registry)

    @functools.cached_property
    def separator(self) -> bytes:
        """The 32-byte domain separator."""
        return domain_separator(DOMAIN_NAME, DOMAIN_VERSION, self.chain_id, self.consent_registry)

    def as_typed_data(self) -> dict[str, Any]:
        """The ``domain`` member of a typed-data document."""
        return domain_document(DOMAIN_NAME, DOMAIN_VERSION, self.chain_id, self.consent_registry)

    def digest(self, struct_hash: bytes) -> bytes:
        """``keccak256(0x19 0x01 ‖ separator ‖ struct_hash)``: what is signed."""
        return keccak256(b"\x19\x01" + self.separator + struct_hash)


def _policy_reference(value: str) -> bytes:
    """The reference's word (keccak of its UTF-8 bytes), once it is 1..64 characters."""
    if not isinstance(value, str) or not 0 < len(value) <= MAX_POLICY_REFERENCE_CHARS:
        raise TypedDataError(
            f"policy_reference must be 1..{MAX_POLICY_REFERENCE_CHARS} characters, got {value!r}"
        )
    return keccak256(value.encode("utf-8"))


def _hex(value: bytes) -> str:
    return "0x" + value.hex()


def _parse_bytes(data: dict[str, Any], name: str) -> bytes:
    text = data[name]
    if not isinstance(text, str) or not text.startswith("0x"):
        raise TypedDataError(f"{name} must be 0x-hex")
    return bytes.fromhex(text[2:])


@dataclass(frozen=True)
class PremiumDebit:
    """What a patient authorises: one debit of the personal account to pay one premium."""

    pseudonym: bytes
    bureau: str
    insurer: str
    policy_reference: str
    amount_fen: int
    debit_id: bytes
    deadline: int

    def __post_init__(self) -> None:
        """Check ABI ranges, the reference's length; checksum the addresses."""
        object.__setattr__(self, "pseudonym", bytes32_value(self.pseudonym, "pseudonym"))
        object.__setattr__(self, "debit_id", bytes32_value(self.debit_id, "debit_id"))
        object.__setattr__(self, "bureau", checksum_address(self.bureau, "bureau"))
        object.__setattr__(self, "insurer", checksum_address(self.insurer, "insurer"))
        self.struct_hash()

    def struct_hash(self) -> bytes:
        """``hashStruct(PremiumDebit)``."""
        return keccak256(
            PREMIUM_DEBIT_TYPEHASH
            + self.pseudonym
            + address_word(self.bureau)
            + address_word(self.insurer)
            + _policy_reference(self.policy_reference)
            + uint_word(self.amount_fen, 64, "amount_fen")
            + self.debit_id
            + uint_word(self.deadline, 64, "deadline")
        )

    def digest(self, domain: PremiumDomain) -> bytes:
        """The EIP-712 digest the patient's wallet signs."""
        return domain.digest(self.struct_hash())

    def typed_data(self, domain: PremiumDomain) -> dict[str, Any]:
        """The typed-data document a browser wallet signs (``eth_signTypedData_v4``)."""
        return {
            "types": {"EIP712Domain": DOMAIN_FIELDS, "PremiumDebit": _DEBIT_FIELDS},
            "primaryType": "PremiumDebit",
            "domain": domain.as_typed_data(),
            "message": {
                "pseudonym": _hex(self.pseudonym),
                "bureau": self.bureau,
                "insurer": self.insurer,
                "policyReference": self.policy_reference,
                "amountFen": self.amount_fen,
                "debitId": _hex(self.debit_id),
                "deadline": self.deadline,
            },
        }

    def to_json_dict(self) -> dict[str, Any]:
        """The JSON form (snake_case, bytes as 0x-hex) the node APIs exchange."""
        return {
            "pseudonym": _hex(self.pseudonym),
            "bureau": self.bureau,
            "insurer": self.insurer,
            "policy_reference": self.policy_reference,
            "amount_fen": self.amount_fen,
            "debit_id": _hex(self.debit_id),
            "deadline": self.deadline,
        }

    @classmethod
    def from_json_dict(cls, data: dict[str, Any]) -> PremiumDebit:
        """Parse the JSON form; raises :class:`TypedDataError` when malformed."""
        try:
            return cls(
                pseudonym=_parse_bytes(data, "pseudonym"),
                bureau=data["bureau"],
                insurer=data["insurer"],
                policy_reference=data["policy_reference"],
                amount_fen=data["amount_fen"],
                debit_id=_parse_bytes(data, "debit_id"),
                deadline=data["deadline"],
            )
        except (KeyError, ValueError, TypeError) as error:
            if isinstance(error, TypedDataError):
                raise
            raise TypedDataError(f"malformed premium debit: {error!r}") from error


@dataclass(frozen=True)
class SignedPremiumDebit:
    """A premium debit and the patient wallet's 65-byte signature: what the insurer forwards."""

    debit: PremiumDebit
    signature: bytes

    def signer(self, domain: PremiumDomain) -> str:
        """The checksum address that signed (high-s twins refused); :class:`SignatureError`."""
        return recover_typed_signer(domain.separator, self.debit.struct_hash(), self.signature)

    def to_json_dict(self) -> dict[str, Any]:
        """``{"authorisation": {...}, "signature": "0x…"}``."""
        return {"authorisation": self.debit.to_json_dict(), "signature": _hex(self.signature)}

    @classmethod
    def from_json_dict(cls, data: dict[str, Any]) -> SignedPremiumDebit:
        """Parse the JSON form; raises :class:`TypedDataError` when malformed."""
        try:
            debit = PremiumDebit.from_json_dict(data["authorisation"])
            signature = _parse_bytes(data, "signature")
        except (KeyError, ValueError, TypeError) as error:
            if isinstance(error, TypedDataError):
                raise
            raise TypedDataError(f"malformed signed premium debit: {error!r}") from error
        return cls(debit, signature)


def sign_premium_debit(
    private_key: PrivateKeyLike, domain: PremiumDomain, debit: PremiumDebit
) -> SignedPremiumDebit:
    """Sign ``debit`` as the patient's wallet."""
    return SignedPremiumDebit(debit, sign_typed(private_key, domain.separator, debit.struct_hash()))


@dataclass(frozen=True)
class PremiumReceipt:
    """What the bureau attests: the debit, booked as one entry of its ledger, at ``paid_at``."""

    debit_id: bytes
    pseudonym: bytes
    bureau: str
    insurer: str
    policy_reference: str
    amount_fen: int
    entry_id: int
    paid_at: int

    def __post_init__(self) -> None:
        """Check ABI ranges, the reference's length; checksum the addresses."""
        object.__setattr__(self, "debit_id", bytes32_value(self.debit_id, "debit_id"))
        object.__setattr__(self, "pseudonym", bytes32_value(self.pseudonym, "pseudonym"))
        object.__setattr__(self, "bureau", checksum_address(self.bureau, "bureau"))
        object.__setattr__(self, "insurer", checksum_address(self.insurer, "insurer"))
        self.struct_hash()

    @classmethod
    def of(cls, debit: PremiumDebit, *, entry_id: int, paid_at: int) -> PremiumReceipt:
        """The receipt of ``debit`` booked as ``entry_id`` at ``paid_at``."""
        return cls(
            debit.debit_id,
            debit.pseudonym,
            debit.bureau,
            debit.insurer,
            debit.policy_reference,
            debit.amount_fen,
            entry_id,
            paid_at,
        )

    def pays(self, debit: PremiumDebit) -> bool:
        """Whether this receipt is for exactly ``debit`` (every field of it)."""
        return self == PremiumReceipt.of(debit, entry_id=self.entry_id, paid_at=self.paid_at)

    def struct_hash(self) -> bytes:
        """``hashStruct(PremiumReceipt)``."""
        return keccak256(
            PREMIUM_RECEIPT_TYPEHASH
            + self.debit_id
            + self.pseudonym
            + address_word(self.bureau)
            + address_word(self.insurer)
            + _policy_reference(self.policy_reference)
            + uint_word(self.amount_fen, 64, "amount_fen")
            + uint_word(self.entry_id, 64, "entry_id")
            + uint_word(self.paid_at, 64, "paid_at")
        )

    def typed_data(self, domain: PremiumDomain) -> dict[str, Any]:
        """The typed-data document of the receipt."""
        return {
            "types": {"EIP712Domain": DOMAIN_FIELDS, "PremiumReceipt": _RECEIPT_FIELDS},
            "primaryType": "PremiumReceipt",
            "domain": domain.as_typed_data(),
            "message": {
                "debitId": _hex(self.debit_id),
                "pseudonym": _hex(self.pseudonym),
                "bureau": self.bureau,
                "insurer": self.insurer,
                "policyReference": self.policy_reference,
                "amountFen": self.amount_fen,
                "entryId": self.entry_id,
                "paidAt": self.paid_at,
            },
        }


@dataclass(frozen=True)
class SignedPremiumReceipt:
    """A receipt and the bureau's 65-byte signature: the insurer's proof of payment."""

    receipt: PremiumReceipt
    signature: bytes

    def signer(self, domain: PremiumDomain) -> str:
        """The checksum address that signed (high-s twins refused); :class:`SignatureError`."""
        return recover_typed_signer(domain.separator, self.receipt.struct_hash(), self.signature)

    def to_json_dict(self) -> dict[str, Any]:
        """The JSON form: the receipt's fields (snake_case, 0x-hex) and ``signature``."""
        receipt = self.receipt
        return {
            "debit_id": _hex(receipt.debit_id),
            "pseudonym": _hex(receipt.pseudonym),
            "bureau": receipt.bureau,
            "insurer": receipt.insurer,
            "policy_reference": receipt.policy_reference,
            "amount_fen": receipt.amount_fen,
            "entry_id": receipt.entry_id,
            "paid_at": receipt.paid_at,
            "signature": _hex(self.signature),
        }

    @classmethod
    def from_json_dict(cls, data: dict[str, Any]) -> SignedPremiumReceipt:
        """Parse the JSON form; raises :class:`TypedDataError` when malformed."""
        try:
            receipt = PremiumReceipt(
                debit_id=_parse_bytes(data, "debit_id"),
                pseudonym=_parse_bytes(data, "pseudonym"),
                bureau=data["bureau"],
                insurer=data["insurer"],
                policy_reference=data["policy_reference"],
                amount_fen=data["amount_fen"],
                entry_id=data["entry_id"],
                paid_at=data["paid_at"],
            )
            signature = _parse_bytes(data, "signature")
        except (KeyError, ValueError, TypeError) as error:
            if isinstance(error, TypedDataError):
                raise
            raise TypedDataError(f"malformed premium receipt: {error!r}") from error
        return cls(receipt, signature)

    def verify(self, domain: PremiumDomain, debit: PremiumDebit) -> None:
        """Raise :class:`SignatureError` unless the bureau named in ``debit`` signed its receipt."""
        if not self.receipt.pays(debit):
            raise SignatureError("the receipt is not for this debit")
        signer = self.signer(domain)
        if signer != debit.bureau:
            raise SignatureError(f"the receipt is signed by {signer}, not bureau {debit.bureau}")


def sign_premium_receipt(
    private_key: PrivateKeyLike, domain: PremiumDomain, receipt: PremiumReceipt
) -> SignedPremiumReceipt:
    """Sign ``receipt`` as the bureau."""
    signature = sign_typed(private_key, domain.separator, receipt.struct_hash())
    return SignedPremiumReceipt(receipt, signature)
