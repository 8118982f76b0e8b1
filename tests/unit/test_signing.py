"""Signed requests between nodes: known vectors, and every component tampered with."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest
from eth_account import Account
from eth_keys.datatypes import Signature
from eth_utils.crypto import keccak

from trustshare.crypto.signatures import to_high_s_twin
from trustshare.gateway.errors import Unauthenticated
from trustshare.gateway.signing import (
    NONCE_HEADER,
    SIGNATURE_HEADER,
    SIGNER_HEADER,
    TIMESTAMP_HEADER,
    canonical_request,
    sign_request,
    verify_request,
)
from trustshare.storage.access import SeenNonceStore
from trustshare.storage.database import make_engine, make_session_factory
from trustshare.storage.models import Base

# The private key of eth-account's documentation examples (web3.py docs, "Sign a Message").
DOC_KEY = "0x4c0883a69102937d6231471b5dbb6204fe5129617082792ae468d01a3f362318"
SIGNER = Account.from_key(DOC_KEY)
OTHER = Account.from_key("0x" + "a2" * 32)
NOW = 1_700_000_000.0
NONCE = "00112233445566778899aabbccddeeff"
BODY = b'{"a":1}'
PATH = "/v1/releases?x=1"


class MemoryNonces:
    """A fake nonce store (the real one is tested below against a database)."""

    def __init__(self) -> None:
        self.used: set[tuple[str, str]] = set()

    def use(self, signer: str, nonce: str, *, now: float, keep_seconds: float) -> bool:
        if (signer, nonce) in self.used:
            return False
        self.used.add((signer, nonce))
        return True


def verify(
    headers: dict[str, str],
    *,
    method: str = "POST",
    path: str = PATH,
    body: bytes = BODY,
    now: float = NOW,
    nonces: MemoryNonces | None = None,
    may_sign: bool = True,
) -> str:
    return verify_request(
        method,
        path,
        body,
        headers,
        now=now,
        nonces=nonces or MemoryNonces(),
        may_sign=lambda _signer: may_sign,
    )


def signed(**overrides: object) -> dict[str, str]:
    return sign_request(SIGNER, "POST", PATH, BODY, now=NOW, **overrides)  # type: ignore[arg-type]


def refusal(headers: dict[str, str], **kwargs: object) -> str:
    with pytest.raises(Unauthenticated) as caught:
        verify(headers, **kwargs)  # type: ignore[arg-type]
    return caught.value.code


def test_canonical_string_is_five_newline_separated_lines() -> None:
    expected = (
        b"POST\n/v1/releases?x=1\n"
        + hashlib.sha256(BODY).hexdigest().encode()
        + b"\n1700000000\n00112233445566778899aabbccddeeff"
    )
    assert canonical_request("post", PATH, BODY, 1_700_000_000, NONCE) == expected


def test_known_vector_signature() -> None:
    headers = sign_request(SIGNER, "POST", PATH, BODY, now=NOW + 0.9, nonce=NONCE)
    assert headers == {
        SIGNER_HEADER: "0x2c7536E3605D9C16a7a3D7b1898e529396a65c23",
        TIMESTAMP_HEADER: "1700000000",
        NONCE_HEADER: NONCE,
        SIGNATURE_HEADER: "0xadcebdb613bd68745c6757663b481fde043898b75628da556bd44c4178cd7cbe4f"
        "1452b5ba72ae1665bb3cebc97f6062d6b6e5b8bda298c206bbc1257a029dca1c",
    }


def test_signature_is_eip191_personal_sign_of_the_canonical_string() -> None:
    headers = signed(nonce=NONCE)
    message = canonical_request("POST", PATH, BODY, int(NOW), NONCE)
    digest = keccak(b"\x19Ethereum Signed Message:\n" + str(len(message)).encode() + message)
    raw = bytes.fromhex(headers[SIGNATURE_HEADER][2:])
    signature = Signature(raw[:64] + bytes([raw[64] - 27]))
    assert signature.recover_public_key_from_msg_hash(digest).to_checksum_address() == (
        SIGNER.address
    )


def test_verify_returns_the_signer_and_reads_headers_case_insensitively() -> None:
    headers = {name.lower(): value for name, value in signed().items()}
    assert verify(headers) == SIGNER.address


def test_fresh_nonce_per_request() -> None:
    assert signed()[NONCE_HEADER] != signed()[NONCE_HEADER]


@pytest.mark.parametrize(
    ("component", "change"),
    [
        ("method", {"method": "PUT"}),
        ("path", {"path": "/v1/releases?x=2"}),
        ("query dropped", {"path": "/v1/releases"}),
        ("body", {"body": b'{"a":2}'}),
    ],
)
def test_tampered_request_is_bad_signature(component: str, change: dict[str, object]) -> None:
    assert refusal(signed(), **change) == "bad_signature", component


@pytest.mark.parametrize(
    ("header", "value"),
    [
        (TIMESTAMP_HEADER, str(int(NOW) + 1)),
        (NONCE_HEADER, "f" * 32),
        (SIGNER_HEADER, OTHER.address),
    ],
)
def test_tampered_header_is_bad_signature(header: str, value: str) -> None:
    headers = signed()
    headers[header] = value
    assert refusal(headers) == "bad_signature"


def test_tampered_signature_is_bad_signature() -> None:
    headers = signed()
    raw = bytearray.fromhex(headers[SIGNATURE_HEADER][2:])
    raw[10] ^= 0x01
    headers[SIGNATURE_HEADER] = "0x" + raw.hex()
    assert refusal(headers) == "bad_signature"


def test_high_s_twin_is_refused() -> None:
    headers = signed()
    twin = to_high_s_twin(bytes.fromhex(headers[SIGNATURE_HEADER][2:]))
    headers[SIGNATURE_HEADER] = "0x" + twin.hex()
    assert refusal(headers) == "bad_signature"


def test_signature_by_another_key_for_a_claimed_signer_is_bad_signature() -> None:
    headers = sign_request(OTHER, "POST", PATH, BODY, now=NOW)
    headers[SIGNER_HEADER] = SIGNER.address
    assert refusal(headers) == "bad_signature"


@pytest.mark.parametrize("skew", [-61, 61, 3600])
def test_timestamp_outside_window_is_stale(skew: int) -> None:
    assert refusal(signed(), now=NOW + skew) == "stale_timestamp"


@pytest.mark.parametrize("skew", [-60, 0, 60])
def test_timestamp_at_the_window_edge_is_accepted(skew: int) -> None:
    assert verify(signed(), now=NOW + skew) == SIGNER.address


def test_replayed_nonce_is_refused() -> None:
    nonces = MemoryNonces()
    headers = signed()
    verify(headers, nonces=nonces)
    assert refusal(headers, nonces=nonces) == "replayed_nonce"


def test_unknown_signer_is_refused_without_spending_the_nonce() -> None:
    nonces = MemoryNonces()
    headers = signed()
    assert refusal(headers, nonces=nonces, may_sign=False) == "unknown_signer"
    assert nonces.used == set()


@pytest.mark.parametrize(
    "header", [SIGNER_HEADER, TIMESTAMP_HEADER, NONCE_HEADER, SIGNATURE_HEADER]
)
def test_missing_header(header: str) -> None:
    headers = signed()
    del headers[header]
    assert refusal(headers) == "missing_signature"


@pytest.mark.parametrize(
    ("header", "value"),
    [
        (SIGNER_HEADER, "0x1234"),
        (TIMESTAMP_HEADER, "17e8"),
        (NONCE_HEADER, "XYZ"),
        (NONCE_HEADER, "00" * 15),
        (SIGNATURE_HEADER, "0x" + "ab" * 64),
    ],
)
def test_malformed_header(header: str, value: str) -> None:
    headers = signed()
    headers[header] = value
    assert refusal(headers) == "malformed_signature"


def test_sign_request_refuses_a_malformed_nonce() -> None:
    with pytest.raises(ValueError, match="nonce"):
        signed(nonce="not-hex")


def test_seen_nonce_store_refuses_reuse_and_forgets_after_keeping(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'nonces.db'}")
    Base.metadata.create_all(engine)
    store = SeenNonceStore(make_session_factory(engine))
    assert store.use(SIGNER.address, NONCE, now=NOW, keep_seconds=120)
    assert not store.use(SIGNER.address, NONCE, now=NOW + 1, keep_seconds=120)
    assert store.use(OTHER.address, NONCE, now=NOW + 1, keep_seconds=120)
    # A later use purges entries older than the keeping period, so the first is forgotten.
    assert store.use(SIGNER.address, "ab" * 16, now=NOW + 121, keep_seconds=120)
    assert store.use(SIGNER.address, NONCE, now=NOW + 122, keep_seconds=120)
    engine.dispose()
