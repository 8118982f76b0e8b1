"""EIP-712 building blocks shared by every typed message of the network.

Consents, policy codes and personal-account debits each have their own domain name; the
separator and the ``domain`` document are built here for all of them.

Each value is encoded as the 32-byte word EIP-712's ``encodeData`` uses, with a clear
:class:`TypedDataError` naming the field when it is out of range.
"""

from __future__ import annotations

from typing import Any

from eth_utils.address import is_address, to_canonical_address, to_checksum_address

from trustshare.crypto.errors import TypedDataError
from trustshare.crypto.hashing import keccak256

EIP712_DOMAIN_TYPE = (
    "EIP712Domain(string name,string version,uint256 chainId,address verifyingContract)"
)
EIP712_DOMAIN_TYPEHASH = keccak256(EIP712_DOMAIN_TYPE.encode())
DOMAIN_FIELDS = [
    {"name": "name", "type": "string"},
    {"name": "version", "type": "string"},
    {"name": "chainId", "type": "uint256"},
    {"name": "verifyingContract", "type": "address"},
]


def uint_word(value: int, bits: int, name: str) -> bytes:
    """``value`` as a uintN word; refuses bools, non-integers and out-of-range values."""
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value < 1 << bits:
        raise TypedDataError(f"{name} must be an integer in 0..2^{bits}-1, got {value!r}")
    return value.to_bytes(32, "big")


def bytes32_value(value: bytes, name: str) -> bytes:
    """``value`` checked to be exactly 32 bytes."""
    if not isinstance(value, bytes | bytearray) or len(value) != 32:
        raise TypedDataError(f"{name} must be 32 bytes")
    return bytes(value)


def checksum_address(value: str, name: str) -> str:
    """``value`` as a checksum address; refuses anything that is not a 20-byte hex address."""
    if not isinstance(value, str) or not is_address(value):
        raise TypedDataError(f"{name} must be a 20-byte hex address, got {value!r}")
    return str(to_checksum_address(value))


def address_word(address: str) -> bytes:
    """An address as its left-padded 32-byte word."""
    return bytes(12) + bytes(to_canonical_address(address))


def domain_separator(name: str, version: str, chain_id: int, verifying_contract: str) -> bytes:
    """The 32-byte EIP-712 domain separator of ``(name, version, chainId, verifyingContract)``."""
    return keccak256(
        EIP712_DOMAIN_TYPEHASH
        + keccak256(name.encode())
        + keccak256(version.encode())
        + uint_word(chain_id, 256, "chain_id")
        + address_word(verifying_contract)
    )


def domain_document(
    name: str, version: str, chain_id: int, verifying_contract: str
) -> dict[str, Any]:
    """The ``domain`` member of a typed-data document (what wallets show and sign)."""
    return {
        "name": name,
        "version": version,
        "chainId": chain_id,
        "verifyingContract": verifying_contract,
    }
