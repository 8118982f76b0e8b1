r"""Keyed pseudonyms of ID numbers (DESIGN.md §2.1, DOMAIN.md §6).

A pseudonym is `HMAC-SHA256(key, b"trustshare/pseudonym/v1\x00" ‖ utf8(canonical id))`, 32 bytes.
A bare hash would not do: the 18-character resident ID number has ≈ 10^11 plausible values
(region × birth date × sequence) and can be enumerated in hours; only the bureau's secret key
turns it into a pseudonym nobody else can compute or reverse.

Canonical ids name their kind, so two kinds never collide:

- `resident:<18 characters>` — 居民身份证 numbers (GB 11643-1999), also used by the residence
  permits of Hong Kong, Macao and Taiwan residents and the 2023 foreign permanent residence card.
  Input may be given bare (`11010519491231002X`) or with the `resident:` prefix.
- `passport:<ISO 3166-1 alpha-3 issuer>:<number>` — e.g. `passport:GBR:123456789`; the issuer is
  part of the id because passport numbers of different countries collide.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import re
import secrets
import unicodedata

from trustshare.crypto.errors import InvalidIdNumberError, InvalidKeyError

PSEUDONYM_DOMAIN = b"trustshare/pseudonym/v1\x00"
"""Domain-separation prefix of every pseudonym HMAC message."""

_KEY_ID_DOMAIN = b"trustshare/pseudonym-key-id/v1\x00"
MIN_KEY_BYTES = 32

# GB 11643-1999: weights of the first 17 characters and the check character per sum mod 11.
_RESIDENT_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_RESIDENT_CHECK_CHARS = "10X98765432"
_RESIDENT_KIND = "resident"
_PASSPORT_KIND = "passport"
_PASSPORT_NUMBER = re.compile(r"[A-Z0-9]{5,20}")
_COUNTRY_CODE = re.compile(r"[A-Z]{3}")
_EARLIEST_BIRTH_YEAR = 1880


class PseudonymKey:
    """The bureau's secret pseudonym key: at least 32 random bytes.

    The key never appears in `repr`/`str`; only a short key id (a keyed fingerprint, safe to log)
    does, so operators can tell keys apart during rotation.
    """

    __slots__ = ("_key",)

    def __init__(self, key: bytes) -> None:
        """Wrap raw key bytes; refuse keys shorter than 32 bytes."""
        if not isinstance(key, bytes | bytearray):
            raise InvalidKeyError(f"pseudonym key must be bytes, not {type(key).__name__}")
        if len(key) < MIN_KEY_BYTES:
            raise InvalidKeyError(
                f"pseudonym key must be at least {MIN_KEY_BYTES} bytes, got {len(key)}"
            )
        self._key = bytes(key)

    @classmethod
    def generate(cls) -> PseudonymKey:
        """Return a fresh key of 32 bytes from the operating system's CSPRNG."""
        return cls(secrets.token_bytes(MIN_KEY_BYTES))

    @classmethod
    def from_hex(cls, text: str) -> PseudonymKey:
        """Parse a key from hex (with or without `0x`)."""
        try:
            return cls(bytes.fromhex(text.strip().removeprefix("0x")))
        except ValueError as error:
            raise InvalidKeyError("pseudonym key is not valid hex") from error

    def reveal_bytes(self) -> bytes:
        """Return the raw key, for storing it in a secret store. Never log the result."""
        return self._key

    @property
    def key_id(self) -> str:
        """A short fingerprint of the key (8 bytes, hex), safe to log."""
        return hmac.new(self._key, _KEY_ID_DOMAIN, hashlib.sha256).digest()[:8].hex()

    def mac(self, message: bytes) -> bytes:
        """Return HMAC-SHA256 of `message` under this key."""
        return hmac.new(self._key, message, hashlib.sha256).digest()

    def __repr__(self) -> str:
        return f"PseudonymKey(key_id={self.key_id}, key=<redacted>)"

    __str__ = __repr__

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, PseudonymKey):
            return NotImplemented
        return hmac.compare_digest(self._key, other._key)

    __hash__ = None  # type: ignore[assignment]  # keys are not dictionary material

    def __reduce__(self) -> str | tuple[object, ...]:
        raise TypeError("PseudonymKey cannot be pickled; store reveal_bytes() in a secret store")


def pseudonym_of(id_number: str, key: PseudonymKey) -> bytes:
    """Return the 32-byte keyed pseudonym of an ID number.

    `id_number` is normalised first (see `canonical_id`); invalid numbers raise
    `InvalidIdNumberError`.
    """
    return key.mac(PSEUDONYM_DOMAIN + canonical_id(id_number).encode("utf-8"))


def canonical_id(id_number: str) -> str:
    """Return the canonical `kind:number` form of an ID number, validating it.

    Normalisation: Unicode NFKC (full-width digits and `Ｘ` become ASCII), surrounding whitespace
    stripped, letters upper-cased. A bare number is a resident ID number.
    """
    if not isinstance(id_number, str):
        raise InvalidIdNumberError(f"ID number must be a string, not {type(id_number).__name__}")
    text = unicodedata.normalize("NFKC", id_number).strip()
    kind, separator, rest = text.partition(":")
    if not separator:
        return f"{_RESIDENT_KIND}:{normalise_resident_id(text)}"
    kind = kind.strip().lower()
    if kind == _RESIDENT_KIND:
        return f"{_RESIDENT_KIND}:{normalise_resident_id(rest)}"
    if kind == _PASSPORT_KIND:
        return f"{_PASSPORT_KIND}:{_normalise_passport(rest)}"
    raise InvalidIdNumberError(
        f"unknown ID kind {kind!r}: use a bare resident ID number, 'resident:…' "
        "or 'passport:<ISO alpha-3 issuer>:<number>'"
    )


def normalise_resident_id(number: str) -> str:
    """Validate an 18-character resident ID number (GB 11643-1999) and return it upper-cased.

    Checks, in order: length, that the first 17 characters are digits, that the last is a digit
    or X, that characters 7-14 are a real birth date, and the check character. Errors name the
    failed check without echoing the number.
    """
    text = unicodedata.normalize("NFKC", number).strip().upper()
    if len(text) == 15 and text.isdigit():
        raise InvalidIdNumberError(
            "15-digit resident ID numbers are obsolete since 2013; use the 18-character number"
        )
    if len(text) != 18:
        raise InvalidIdNumberError(f"resident ID number must have 18 characters, got {len(text)}")
    for position, char in enumerate(text[:17], start=1):
        if not ("0" <= char <= "9"):
            raise InvalidIdNumberError(
                f"resident ID number character {position} must be a digit, got {char!r}"
            )
    if not ("0" <= text[17] <= "9" or text[17] == "X"):
        raise InvalidIdNumberError(
            f"resident ID number check character must be a digit or X, got {text[17]!r}"
        )
    _check_birth_date(text[6:14])
    expected = resident_check_character(text[:17])
    if text[17] != expected:
        raise InvalidIdNumberError(
            f"resident ID number check character is {text[17]!r} but the first 17 digits "
            f"require {expected!r} (GB 11643-1999): a digit was probably mistyped"
        )
    return text


def resident_check_character(first_17_digits: str) -> str:
    """Return the GB 11643-1999 check character (0-9 or X) for the first 17 digits."""
    if len(first_17_digits) != 17 or not first_17_digits.isascii() or not first_17_digits.isdigit():
        raise InvalidIdNumberError("the check character is computed from exactly 17 ASCII digits")
    total = sum(int(d) * w for d, w in zip(first_17_digits, _RESIDENT_WEIGHTS, strict=True))
    return _RESIDENT_CHECK_CHARS[total % 11]


def _check_birth_date(yyyymmdd: str) -> None:
    try:
        birth = dt.date(int(yyyymmdd[:4]), int(yyyymmdd[4:6]), int(yyyymmdd[6:]))
    except ValueError as error:
        raise InvalidIdNumberError(
            "resident ID number characters 7-14 are not a valid birth date (YYYYMMDD)"
        ) from error
    if birth.year < _EARLIEST_BIRTH_YEAR or birth > dt.date.today():
        raise InvalidIdNumberError(
            f"resident ID number birth year {birth.year} is outside "
            f"{_EARLIEST_BIRTH_YEAR}..{dt.date.today().year}"
        )


def _normalise_passport(rest: str) -> str:
    issuer, separator, number = rest.partition(":")
    issuer = issuer.strip().upper()
    number = number.strip().upper()
    if not separator or not _COUNTRY_CODE.fullmatch(issuer):
        raise InvalidIdNumberError(
            "passport ids are written 'passport:<ISO 3166-1 alpha-3 issuer>:<number>', "
            "e.g. 'passport:GBR:123456789'"
        )
    if not _PASSPORT_NUMBER.fullmatch(number):
        raise InvalidIdNumberError("passport number must be 5-20 letters or digits")
    return f"{issuer}:{number}"
