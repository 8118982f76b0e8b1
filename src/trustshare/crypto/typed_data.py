"""EIP-712 building blocks shared by every typed message of the network (consents, policy codes).

Each value is encoded as the 32-byte word EIP-712's ``encodeData`` uses, with a clear
:class:`TypedDataError` naming the field when it is out of range.
"""

from __future__ import annotations

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
