"""Records sealed to an insurer's registered X25519 key (DESIGN.md §4).

Scheme (version 1), for plaintext `m`, recipient public key `R`, settlement id `sid` (32 bytes)
and insurer address `a` (20 bytes):

1. fresh ephemeral X25519 key pair `(e, E)`; `shared = X25519(e, R)` (all-zero results refused);
2. `key = HKDF-SHA256(ikm=shared, salt="", info=LABEL ‖ 0x00 ‖ E ‖ R, length=32)`;
3. random 96-bit `nonce`; `ct = AES-256-GCM(key, nonce, m, ad=LABEL ‖ 0x00 ‖ 0x01 ‖ sid ‖ a)`
   (ciphertext with its 16-byte tag appended), where `LABEL = b"trustshare/seal/v1"`.

Binding the settlement id and insurer in the associated data means a sealed record cannot be
replayed as another settlement's record or re-addressed to another insurer, even by someone
holding the key; binding `E` and `R` in the KDF ties the key to this exchange.
"""

from __future__ import annotations

import base64
import binascii
import hmac
import json
import secrets
from dataclasses import dataclass
from typing import Any

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey, X25519PublicKey
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from eth_utils.address import is_address, to_canonical_address

from trustshare.crypto.errors import (
    InvalidKeyError,
    SealedRecordFormatError,
    SealedRecordRejectedError,
)

SEAL_VERSION = 1
SEAL_LABEL = b"trustshare/seal/v1"
KEY_BYTES = 32
NONCE_BYTES = 12
TAG_BYTES = 16


def _raw_key(data: bytes | str, what: str) -> bytes:
    if isinstance(data, str):
        try:
            data = bytes.fromhex(data.strip().removeprefix("0x"))
        except ValueError as error:
            raise InvalidKeyError(f"{what} is not valid hex") from error
    if not isinstance(data, bytes | bytearray) or len(data) != KEY_BYTES:
        raise InvalidKeyError(f"{what} must be {KEY_BYTES} bytes")
    return bytes(data)


class SealingPublicKey:
    """An insurer's X25519 public key, as registered on-chain (`bytes32 encryptionKey`)."""

    __slots__ = ("_raw",)

    def __init__(self, raw: bytes | str) -> None:
        """Wrap 32 raw bytes (or their hex); refuse the all-zero key."""
        raw = _raw_key(raw, "sealing public key")
        if raw == bytes(KEY_BYTES):
            raise InvalidKeyError("sealing public key must not be zero")
        self._raw = raw

    def to_bytes(self) -> bytes:
        """Return the 32 raw bytes (the on-chain `bytes32`)."""
        return self._raw

    def hex(self) -> str:
        """0x-prefixed hex of the raw bytes."""
        return "0x" + self._raw.hex()

    def __eq__(self, other: object) -> bool:
        return isinstance(other, SealingPublicKey) and other._raw == self._raw

    def __hash__(self) -> int:
        return hash(self._raw)

    def __repr__(self) -> str:
        return f"SealingPublicKey({self.hex()})"


class SealingPrivateKey:
    """An insurer's X25519 private key. Never shown by `repr`."""

    __slots__ = ("_key",)

    def __init__(self, raw: bytes | str) -> None:
        """Wrap 32 raw bytes (or their hex)."""
        self._key = X25519PrivateKey.from_private_bytes(_raw_key(raw, "sealing private key"))

    @classmethod
    def generate(cls) -> SealingPrivateKey:
        """Return a fresh key from the operating system's CSPRNG."""
        return cls(secrets.token_bytes(KEY_BYTES))

    def reveal_bytes(self) -> bytes:
        """Return the 32 raw private bytes, for a secret store. Never log the result."""
        return self._key.private_bytes(
            serialization.Encoding.Raw,
            serialization.PrivateFormat.Raw,
            serialization.NoEncryption(),
        )

    def public_key(self) -> SealingPublicKey:
        """Return the matching public key, to register on-chain."""
        raw = self._key.public_key().public_bytes(
            serialization.Encoding.Raw, serialization.PublicFormat.Raw
        )
        return SealingPublicKey(raw)

    def _exchange(self, peer: bytes) -> bytes:
        return self._key.exchange(X25519PublicKey.from_public_bytes(peer))

    def __repr__(self) -> str:
        return f"SealingPrivateKey(public={self.public_key().hex()}, private=<redacted>)"

    __str__ = __repr__

    def __reduce__(self) -> str | tuple[object, ...]:
        raise TypeError("SealingPrivateKey cannot be pickled; store reveal_bytes() securely")


@dataclass(frozen=True)
class SealedRecord:
    """A sealed record: what travels from the bureau to the insurer."""

    ephemeral_public_key: bytes
    nonce: bytes
    ciphertext: bytes
    version: int = SEAL_VERSION

    def __post_init__(self) -> None:
        """Check the version and field lengths."""
        for name in ("ephemeral_public_key", "nonce", "ciphertext"):
            if not isinstance(getattr(self, name), bytes):
                raise SealedRecordFormatError(f"{name} must be bytes")
        if self.version != SEAL_VERSION:
            raise SealedRecordFormatError(f"unsupported sealed record version {self.version!r}")
        if len(self.ephemeral_public_key) != KEY_BYTES:
            raise SealedRecordFormatError(f"ephemeral public key must be {KEY_BYTES} bytes")
        if len(self.nonce) != NONCE_BYTES:
            raise SealedRecordFormatError(f"nonce must be {NONCE_BYTES} bytes")
        if len(self.ciphertext) < TAG_BYTES:
            raise SealedRecordFormatError("ciphertext is shorter than its authentication tag")

    def to_json_dict(self) -> dict[str, Any]:
        """JSON-ready form; bytes as standard base64 with padding."""
        return {
            "version": self.version,
            "ephemeral_public_key": _b64(self.ephemeral_public_key),
            "nonce": _b64(self.nonce),
            "ciphertext": _b64(self.ciphertext),
        }

    def to_json(self) -> str:
        """Compact JSON text of `to_json_dict()`."""
        return json.dumps(self.to_json_dict(), separators=(",", ":"))

    @classmethod
    def from_json_dict(cls, data: Any) -> SealedRecord:
        """Parse the JSON form; raises `SealedRecordFormatError`."""
        if not isinstance(data, dict):
            raise SealedRecordFormatError("sealed record must be a JSON object")
        try:
            return cls(
                version=data["version"],
                ephemeral_public_key=_unb64(data["ephemeral_public_key"]),
                nonce=_unb64(data["nonce"]),
                ciphertext=_unb64(data["ciphertext"]),
            )
        except KeyError as error:
            raise SealedRecordFormatError(f"sealed record lacks {error}") from error

    @classmethod
    def from_json(cls, text: str | bytes) -> SealedRecord:
        """Parse JSON text; raises `SealedRecordFormatError`."""
        try:
            data = json.loads(text)
        except ValueError as error:
            raise SealedRecordFormatError(f"sealed record is not JSON: {error}") from error
        return cls.from_json_dict(data)


def seal(
    plaintext: bytes,
    recipient_public_key: SealingPublicKey,
    settlement_id: bytes,
    insurer: str,
) -> SealedRecord:
    """Encrypt `plaintext` for the owner of `recipient_public_key`.

    Only that key opens it, and only for this settlement id and insurer address.
    """
    ephemeral = SealingPrivateKey.generate()
    ephemeral_public = ephemeral.public_key().to_bytes()
    recipient = recipient_public_key.to_bytes()
    try:
        shared = ephemeral._exchange(recipient)
    except ValueError as error:  # low-order point: the shared secret would be zero
        raise InvalidKeyError("recipient public key is not a usable X25519 key") from error
    key = _derive_key(shared, ephemeral_public, recipient)
    nonce = secrets.token_bytes(NONCE_BYTES)
    ciphertext = AESGCM(key).encrypt(nonce, plaintext, associated_data(settlement_id, insurer))
    return SealedRecord(ephemeral_public_key=ephemeral_public, nonce=nonce, ciphertext=ciphertext)


def open_sealed(
    sealed: SealedRecord,
    private_key: SealingPrivateKey,
    settlement_id: bytes,
    insurer: str,
) -> bytes:
    """Decrypt a sealed record; raises `SealedRecordRejectedError` if anything does not match."""
    ad = associated_data(settlement_id, insurer)
    recipient = private_key.public_key().to_bytes()
    try:
        shared = private_key._exchange(sealed.ephemeral_public_key)
    except ValueError as error:
        raise SealedRecordRejectedError(
            "ephemeral public key is not a usable X25519 key"
        ) from error
    key = _derive_key(shared, sealed.ephemeral_public_key, recipient)
    try:
        return AESGCM(key).decrypt(sealed.nonce, sealed.ciphertext, ad)
    except InvalidTag as error:
        raise SealedRecordRejectedError(
            "sealed record does not open: wrong private key, a different settlement id or "
            "insurer than it was sealed for, or the record was altered"
        ) from error


def associated_data(settlement_id: bytes, insurer: str) -> bytes:
    """`LABEL ‖ 0x00 ‖ version ‖ settlement id (32) ‖ insurer address (20)`."""
    if not isinstance(settlement_id, bytes | bytearray) or len(settlement_id) != 32:
        raise SealedRecordFormatError("settlement id must be 32 bytes")
    if not isinstance(insurer, str) or not is_address(insurer):
        raise SealedRecordFormatError(f"insurer must be a 20-byte hex address, got {insurer!r}")
    return (
        SEAL_LABEL
        + b"\x00"
        + bytes([SEAL_VERSION])
        + bytes(settlement_id)
        + bytes(to_canonical_address(insurer))
    )


def _derive_key(shared: bytes, ephemeral_public: bytes, recipient_public: bytes) -> bytes:
    if hmac.compare_digest(shared, bytes(KEY_BYTES)):  # pragma: no cover - OpenSSL refuses first
        raise SealedRecordRejectedError("X25519 produced the all-zero shared secret")
    info = SEAL_LABEL + b"\x00" + ephemeral_public + recipient_public
    return HKDF(algorithm=hashes.SHA256(), length=KEY_BYTES, salt=None, info=info).derive(shared)


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def _unb64(text: Any) -> bytes:
    if not isinstance(text, str):
        raise SealedRecordFormatError("sealed record fields must be base64 strings")
    try:
        return base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError) as error:
        raise SealedRecordFormatError(f"invalid base64: {error}") from error
