import datetime as dt
import hashlib
import hmac
import pickle

import pytest
from hypothesis import given
from hypothesis import strategies as st

from trustshare.crypto.errors import CryptoError, InvalidIdNumberError, InvalidKeyError
from trustshare.crypto.pseudonym import (
    PSEUDONYM_DOMAIN,
    PseudonymKey,
    canonical_id,
    pseudonym_of,
    resident_check_character,
)

# The worked example of GB 11643-1999 (check character X).
STANDARD_EXAMPLE = "11010519491231002X"
KEY = PseudonymKey(bytes(range(32)))


def test_pseudonym_is_domain_separated_hmac_sha256_of_the_canonical_id():
    expected = hmac.new(
        bytes(range(32)), PSEUDONYM_DOMAIN + b"resident:" + STANDARD_EXAMPLE.encode(), "sha256"
    ).digest()
    assert pseudonym_of(STANDARD_EXAMPLE, KEY) == expected
    assert len(expected) == 32
    # Documented in docs/CRYPTO.md as the known-answer vector.
    assert expected.hex() == "365b0fdee0d78414ee98a2c4c6cde5842ae89823dacfd58f99f56b456ec12913"


def test_pseudonym_is_never_a_bare_hash_or_unkeyed_hmac():
    value = pseudonym_of(STANDARD_EXAMPLE, KEY)
    assert value != hashlib.sha256(STANDARD_EXAMPLE.encode()).digest()
    assert value != hmac.new(bytes(range(32)), STANDARD_EXAMPLE.encode(), "sha256").digest()


@pytest.mark.parametrize(
    "spelling",
    [
        "11010519491231002x",
        "  11010519491231002X\n",
        "１１０１０５１９４９１２３１００２Ｘ",  # full-width input from a Chinese IME
        "resident:11010519491231002X",
        "RESIDENT: 11010519491231002x",
    ],
)
def test_spellings_of_the_same_number_give_the_same_pseudonym(spelling):
    assert pseudonym_of(spelling, KEY) == pseudonym_of(STANDARD_EXAMPLE, KEY)


def test_different_keys_and_numbers_give_different_pseudonyms():
    other_number = "440524188001010014"
    assert pseudonym_of(STANDARD_EXAMPLE, KEY) != pseudonym_of(other_number, KEY)
    assert pseudonym_of(STANDARD_EXAMPLE, KEY) != pseudonym_of(
        STANDARD_EXAMPLE, PseudonymKey.generate()
    )


@pytest.mark.parametrize(
    ("number", "message"),
    [
        ("11010519491231002", "18 characters, got 17"),
        ("1101051949123100211", "18 characters, got 19"),
        ("110105194912310A2X", "character 16 must be a digit"),
        ("11010519491231002Y", "must be a digit or X"),
        ("110105194902300029", "not a valid birth date"),
        ("110105299901010025", "birth year 2999"),
        ("110105194912310021", "check character is '1' but the first 17 digits require 'X'"),
        ("110105491231002", "15-digit"),
    ],
)
def test_invalid_resident_numbers_are_refused_naming_the_problem(number, message):
    with pytest.raises(InvalidIdNumberError, match=message) as raised:
        pseudonym_of(number, KEY)
    assert isinstance(raised.value, CryptoError)
    assert isinstance(raised.value, ValueError)
    assert number not in str(raised.value)  # errors never echo the personal number


def digits_with_valid_birth_date():
    return st.builds(
        lambda region, date, sequence: f"{region:06d}{date:%Y%m%d}{sequence:03d}",
        st.integers(110000, 659999),
        st.dates(min_value=dt.date(1900, 1, 1), max_value=dt.date.today()),
        st.integers(0, 999),
    )


@given(digits_with_valid_birth_date(), st.integers(0, 16), st.integers(1, 9))
def test_any_single_digit_error_is_detected(first_17, position, delta):
    number = first_17 + resident_check_character(first_17)
    assert canonical_id(number) == f"resident:{number}"
    wrong = number[:position] + str((int(number[position]) + delta) % 10) + number[position + 1 :]
    with pytest.raises(InvalidIdNumberError):
        canonical_id(wrong)


def test_passport_ids_carry_their_issuer():
    assert canonical_id("passport:gbr: 123456789 ") == "passport:GBR:123456789"
    assert pseudonym_of("passport:GBR:123456789", KEY) != pseudonym_of(
        "passport:USA:123456789", KEY
    )
    with pytest.raises(InvalidIdNumberError, match="alpha-3"):
        canonical_id("passport:123456789")
    with pytest.raises(InvalidIdNumberError, match="5-20 letters"):
        canonical_id("passport:GBR:12-34")


def test_unknown_kind_is_refused_listing_the_known_ones():
    with pytest.raises(InvalidIdNumberError, match=r"unknown ID kind 'driver'.*passport"):
        canonical_id("driver:12345")


def test_key_is_hidden_from_repr_and_pickle():
    raw = bytes(range(100, 132))
    key = PseudonymKey(raw)
    assert raw.hex() not in repr(key)
    assert raw.hex() not in str(key)
    assert "redacted" in repr(key)
    assert key.key_id in repr(key)
    with pytest.raises(TypeError):
        pickle.dumps(key)
    assert key == PseudonymKey.from_hex("0x" + raw.hex())
    assert key.reveal_bytes() == raw


def test_short_or_malformed_keys_are_refused():
    with pytest.raises(InvalidKeyError, match="at least 32 bytes, got 16"):
        PseudonymKey(bytes(16))
    with pytest.raises(InvalidKeyError, match="hex"):
        PseudonymKey.from_hex("zz")
    with pytest.raises(InvalidKeyError, match="bytes"):
        PseudonymKey("a" * 64)  # type: ignore[arg-type]
