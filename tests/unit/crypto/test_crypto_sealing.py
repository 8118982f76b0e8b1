import dataclasses
import json

import pytest
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey, X25519PublicKey
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from trustshare.crypto.errors import (
    CryptoError,
    InvalidKeyError,
    SealedRecordFormatError,
    SealedRecordRejectedError,
)
from trustshare.crypto.sealing import (
    SealedRecord,
    SealingPrivateKey,
    SealingPublicKey,
    open_sealed,
    seal,
)

INSURER = "0x00000000000000000000000000000000000000A1"
OTHER_INSURER = "0x00000000000000000000000000000000000000A2"
SETTLEMENT = bytes.fromhex("11" * 32)
RECORD = json.dumps({"settlement_summary": {"total_fen": 123}}).encode()


@pytest.fixture(scope="module")
def key():
    return SealingPrivateKey.generate()


def flip(data, index=0):
    return data[:index] + bytes([data[index] ^ 1]) + data[index + 1 :]


def test_round_trip_including_json(key):
    sealed = seal(RECORD, key.public_key(), SETTLEMENT, INSURER)
    assert open_sealed(sealed, key, SETTLEMENT, INSURER) == RECORD
    travelled = SealedRecord.from_json(sealed.to_json())
    assert travelled == sealed
    assert open_sealed(travelled, key, SETTLEMENT, INSURER.lower()) == RECORD
    assert (
        open_sealed(seal(b"", key.public_key(), SETTLEMENT, INSURER), key, SETTLEMENT, INSURER)
        == b""
    )


def test_each_seal_uses_a_fresh_ephemeral_key_and_nonce(key):
    first = seal(RECORD, key.public_key(), SETTLEMENT, INSURER)
    second = seal(RECORD, key.public_key(), SETTLEMENT, INSURER)
    assert first.ephemeral_public_key != second.ephemeral_public_key
    assert first.nonce != second.nonce
    assert first.ciphertext != second.ciphertext


def test_documented_construction_can_be_reimplemented(key):
    """A third party following docs/CRYPTO.md opens the record with bare primitives."""
    sealed = seal(RECORD, key.public_key(), SETTLEMENT, INSURER)
    private = X25519PrivateKey.from_private_bytes(key.reveal_bytes())
    shared = private.exchange(X25519PublicKey.from_public_bytes(sealed.ephemeral_public_key))
    info = b"trustshare/seal/v1\x00" + sealed.ephemeral_public_key + key.public_key().to_bytes()
    aes_key = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=info).derive(shared)
    ad = b"trustshare/seal/v1\x00\x01" + SETTLEMENT + bytes.fromhex(INSURER[2:])
    assert AESGCM(aes_key).decrypt(sealed.nonce, sealed.ciphertext, ad) == RECORD


@pytest.mark.parametrize(
    "tamper",
    [
        lambda s: dataclasses.replace(s, ciphertext=flip(s.ciphertext)),
        lambda s: dataclasses.replace(s, ciphertext=flip(s.ciphertext, -1)),
        lambda s: dataclasses.replace(s, nonce=flip(s.nonce)),
        lambda s: dataclasses.replace(s, ephemeral_public_key=flip(s.ephemeral_public_key, 5)),
    ],
    ids=["ciphertext", "tag", "nonce", "ephemeral-key"],
)
def test_tampering_is_detected(key, tamper):
    sealed = seal(RECORD, key.public_key(), SETTLEMENT, INSURER)
    with pytest.raises(SealedRecordRejectedError, match="does not open"):
        open_sealed(tamper(sealed), key, SETTLEMENT, INSURER)


def test_other_settlement_insurer_or_key_is_refused(key):
    sealed = seal(RECORD, key.public_key(), SETTLEMENT, INSURER)
    with pytest.raises(SealedRecordRejectedError):
        open_sealed(sealed, key, flip(SETTLEMENT), INSURER)
    with pytest.raises(SealedRecordRejectedError):
        open_sealed(sealed, key, SETTLEMENT, OTHER_INSURER)
    with pytest.raises(SealedRecordRejectedError) as raised:
        open_sealed(sealed, SealingPrivateKey.generate(), SETTLEMENT, INSURER)
    assert isinstance(raised.value, CryptoError)


def test_keys_round_trip_and_hide_the_private_half(key):
    raw = key.reveal_bytes()
    assert SealingPrivateKey(raw).public_key() == key.public_key()
    assert SealingPrivateKey("0x" + raw.hex()).public_key() == key.public_key()
    public = key.public_key()
    assert SealingPublicKey(public.hex()) == public
    assert len(public.to_bytes()) == 32
    assert raw.hex() not in repr(key) and raw.hex() not in str(key)
    assert public.hex() in repr(key)


@pytest.mark.parametrize(
    ("raw", "message"),
    [(bytes(31), "32 bytes"), ("zz", "hex"), (bytes(32), "must not be zero")],
)
def test_bad_public_keys_are_refused(raw, message):
    with pytest.raises(InvalidKeyError, match=message):
        SealingPublicKey(raw)


def test_low_order_recipient_key_is_refused():
    low_order_point = SealingPublicKey(b"\x01" + bytes(31))
    with pytest.raises(InvalidKeyError, match="not a usable X25519 key"):
        seal(RECORD, low_order_point, SETTLEMENT, INSURER)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("not json", "not JSON"),
        ("[]", "JSON object"),
        ('{"version": 1}', "lacks"),
        ('{"version": 2, "ephemeral_public_key": "", "nonce": "", "ciphertext": ""}', "version 2"),
        ('{"version": 1, "ephemeral_public_key": "!!", "nonce": "", "ciphertext": ""}', "base64"),
        ('{"version": 1, "ephemeral_public_key": "AAAA", "nonce": "", "ciphertext": ""}', "32"),
    ],
)
def test_malformed_sealed_records_are_refused(text, message):
    with pytest.raises(SealedRecordFormatError, match=message):
        SealedRecord.from_json(text)


def test_bad_associated_data_inputs_are_refused(key):
    with pytest.raises(SealedRecordFormatError, match="settlement id must be 32 bytes"):
        seal(RECORD, key.public_key(), b"short", INSURER)
    with pytest.raises(SealedRecordFormatError, match="insurer must be"):
        seal(RECORD, key.public_key(), SETTLEMENT, "insurer-a")
