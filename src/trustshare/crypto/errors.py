"""Exceptions of the crypto layer: one root, builtin dual inheritance where it fits.

Callers catch `CryptoError` for "anything this package refused"; code that already handles
`ValueError` (bad input) or `LookupError` keeps working. Messages name what is wrong but never
echo secrets or personal data (no key bytes, no full ID numbers).
"""

from __future__ import annotations


class CryptoError(Exception):
    """Root of every error raised by `trustshare.crypto`."""


class InvalidIdNumberError(CryptoError, ValueError):
    """An ID number is malformed: wrong kind, length, characters, birth date or check digit."""


class InvalidKeyError(CryptoError, ValueError):
    """A key has the wrong length or encoding, or is too weak."""


class UnknownVocabularyError(CryptoError, ValueError):
    """A scope, purpose or disclosure group name is not in the consent vocabulary."""


class MerkleInputError(CryptoError, ValueError):
    """A Merkle tree was asked to hash malformed nodes, or to build from no leaves."""


class LeafNotInTreeError(CryptoError, LookupError):
    """A leaf (by value, hash or index) is not part of the tree."""


class TypedDataError(CryptoError, ValueError):
    """EIP-712 message fields are out of their ABI range or malformed."""


class SignatureError(CryptoError, ValueError):
    """A signature is malformed (length, v, r or s out of range)."""


class CanonicalJsonError(CryptoError, ValueError):
    """A value cannot be committed as canonical JSON (floats, non-string keys, …)."""


class DisclosureError(CryptoError, ValueError):
    """A record cannot be committed as given, or a disclosure does not verify against it."""


class SealedRecordFormatError(CryptoError, ValueError):
    """A sealed record cannot be parsed (bad JSON, base64, lengths or version)."""


class SealedRecordRejectedError(CryptoError):
    """A sealed record does not open: wrong key, wrong settlement id or insurer, or tampering."""
