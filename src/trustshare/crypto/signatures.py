"""65-byte ECDSA signatures (r ‖ s ‖ v) over EIP-712 digests, the form the contracts accept.

Signing goes through eth-account's `sign_message` with an EIP-712 `SignableMessage` (never a
raw-hash signer), so a caller cannot be tricked into signing an arbitrary digest. eth-account
(coincurve) produces canonical low-s signatures; the contracts refuse the high-s twin, and so
does `recover_typed_signer` unless told otherwise.
"""

from __future__ import annotations

from eth_account import Account
from eth_account.messages import SignableMessage
from eth_account.signers.local import LocalAccount

from trustshare.crypto.errors import SignatureError, TypedDataError

SECP256K1_N = 0xFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFEBAAEDCE6AF48A03BBFD25E8CD0364141
"""Order of the secp256k1 group."""
SECP256K1_HALF_N = SECP256K1_N // 2
SIGNATURE_BYTES = 65

PrivateKeyLike = LocalAccount | bytes | str
"""A signing key: an eth-account `LocalAccount`, 32 raw bytes, or 0x-hex."""


def typed_message(domain_separator: bytes, struct_hash: bytes) -> SignableMessage:
    """Return the EIP-712 message `0x19 0x01 ‖ domainSeparator ‖ hashStruct(message)`."""
    if len(domain_separator) != 32 or len(struct_hash) != 32:
        raise TypedDataError("domain separator and struct hash must be 32 bytes each")
    return SignableMessage(version=b"\x01", header=domain_separator, body=struct_hash)


def sign_typed(private_key: PrivateKeyLike, domain_separator: bytes, struct_hash: bytes) -> bytes:
    """Sign an EIP-712 message and return the 65-byte `r ‖ s ‖ v` signature (v = 27 or 28)."""
    message = typed_message(domain_separator, struct_hash)
    if isinstance(private_key, LocalAccount):
        signed = private_key.sign_message(message)
    else:
        signed = Account.sign_message(message, private_key)
    signature = bytes(signed.signature)
    if not is_low_s(signature):  # pragma: no cover - eth-account always normalises
        raise SignatureError("signer produced a high-s signature")
    return signature


def recover_typed_signer(
    domain_separator: bytes,
    struct_hash: bytes,
    signature: bytes,
    *,
    require_low_s: bool = True,
) -> str:
    """Return the checksum address that signed the EIP-712 message.

    Like the contracts, refuses a malformed signature and (by default) the high-s twin.
    """
    _, _, s = split_signature(signature)
    if require_low_s and s > SECP256K1_HALF_N:
        raise SignatureError(f"signature s {s:#x} is in the upper half of the curve order")
    try:
        address = Account.recover_message(
            typed_message(domain_separator, struct_hash), signature=signature
        )
    except Exception as error:  # eth-keys raises BadSignature, ValueError, …
        raise SignatureError(f"signature does not recover a signer: {error}") from error
    return str(address)


def split_signature(signature: bytes) -> tuple[int, int, int]:
    """Split a 65-byte signature into (v, r, s), checking v ∈ {27, 28} and 0 < r, s < n."""
    if not isinstance(signature, bytes | bytearray) or len(signature) != SIGNATURE_BYTES:
        length = len(signature) if isinstance(signature, bytes | bytearray) else "no"
        raise SignatureError(f"signature must be {SIGNATURE_BYTES} bytes, got {length}")
    r = int.from_bytes(signature[:32], "big")
    s = int.from_bytes(signature[32:64], "big")
    v = signature[64]
    if v not in (27, 28):
        raise SignatureError(f"signature v must be 27 or 28, got {v}")
    if not (0 < r < SECP256K1_N and 0 < s < SECP256K1_N):
        raise SignatureError("signature r and s must be in 1..n-1")
    return v, r, s


def is_low_s(signature: bytes) -> bool:
    """Whether the signature is the canonical (lower-s) one of its twin pair."""
    _, _, s = split_signature(signature)
    return s <= SECP256K1_HALF_N


def to_high_s_twin(signature: bytes) -> bytes:
    """Return the malleable twin `(r, n - s, 55 - v)`, which recovers the same signer.

    For tests: the contracts must refuse it (`ConsentRegistryMalleableSignature`).
    """
    v, r, s = split_signature(signature)
    twin_v = 55 - v  # 27 <-> 28
    return r.to_bytes(32, "big") + (SECP256K1_N - s).to_bytes(32, "big") + bytes([twin_v])
