"""Signed requests between nodes (and from patient wallets), verified against a chain key.

A request is signed with the sender's chain key (EIP-191 ``personal_sign``) over the
canonical string — five lines joined by a newline (none at the end)::

    METHOD              upper case, e.g. POST
    path                as sent, with the query string if any: /v1/releases?x=1
    sha256(body)        lower-case hex of the exact body bytes (an empty body hashes b"")
    timestamp           unix seconds, decimal
    nonce               32 lower-case hex digits (128 random bits), single use per signer

and travels in four headers (:data:`SIGNER_HEADER` …). The verifier recovers the signer from
the signature, requires it to be the claimed one, the timestamp to be within ± ``window``
seconds of its clock and the nonce unseen for that signer. Who may sign is the caller's
decision (an active insurer, the wallet bound to a pseudonym …): it passes ``may_sign``, which
is asked before the nonce is spent so that strangers cannot fill the nonce store.
"""

from __future__ import annotations

import hashlib
import re
import secrets
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Protocol

from eth_account import Account
from eth_account.messages import encode_defunct
from eth_account.signers.local import LocalAccount
from eth_utils.address import is_address, to_checksum_address
from fastapi import Request

from trustshare.crypto.errors import SignatureError
from trustshare.crypto.signatures import is_low_s
from trustshare.gateway.errors import Unauthenticated

SIGNER_HEADER = "X-TrustShare-Signer"
TIMESTAMP_HEADER = "X-TrustShare-Timestamp"
NONCE_HEADER = "X-TrustShare-Nonce"
SIGNATURE_HEADER = "X-TrustShare-Signature"
DEFAULT_WINDOW_SECONDS = 60
"""How far a request's timestamp may be from the verifier's clock, either way."""

_NONCE = re.compile(r"^[0-9a-f]{32}$")
_TIMESTAMP = re.compile(r"^[0-9]{1,12}$")
_SIGNATURE = re.compile(r"^0x[0-9a-fA-F]{130}$")


class NonceStore(Protocol):
    """Remembers which nonces a signer has used (for at least twice the window)."""

    def use(self, signer: str, nonce: str, *, now: float, keep_seconds: float) -> bool:
        """Record ``nonce`` for ``signer``; False if it was already used.

        Entries older than ``now - keep_seconds`` may be forgotten.
        """
        ...


def canonical_request(method: str, path: str, body: bytes, timestamp: int, nonce: str) -> bytes:
    """The exact bytes that are signed (see the module docstring)."""
    lines = [method.upper(), path, hashlib.sha256(body).hexdigest(), str(timestamp), nonce]
    return "\n".join(lines).encode("utf-8")


def new_nonce() -> str:
    """A fresh 128-bit nonce as 32 lower-case hex digits."""
    return secrets.token_hex(16)


def sign_request(
    account: LocalAccount,
    method: str,
    path: str,
    body: bytes,
    *,
    now: float,
    nonce: str | None = None,
) -> dict[str, str]:
    """The four headers that authenticate ``method path`` with ``body``, signed at ``now``.

    ``nonce`` is random unless given (known-answer tests only: a nonce must never repeat).
    """
    nonce = new_nonce() if nonce is None else nonce
    if not _NONCE.match(nonce):
        raise ValueError("nonce must be 32 lower-case hex digits")
    timestamp = int(now)
    message = encode_defunct(primitive=canonical_request(method, path, body, timestamp, nonce))
    signature = bytes(account.sign_message(message).signature)
    return {
        SIGNER_HEADER: account.address,
        TIMESTAMP_HEADER: str(timestamp),
        NONCE_HEADER: nonce,
        SIGNATURE_HEADER: "0x" + signature.hex(),
    }


def verify_request(
    method: str,
    path: str,
    body: bytes,
    headers: Mapping[str, str],
    *,
    now: float,
    nonces: NonceStore,
    may_sign: Callable[[str], bool],
    window: int = DEFAULT_WINDOW_SECONDS,
) -> str:
    """Return the checksum address that signed the request, or raise :class:`Unauthenticated`.

    Checks, in order: headers present and well-formed (``missing_signature``,
    ``malformed_signature``), the signature recovers the claimed signer (``bad_signature``), the
    timestamp is within ± ``window`` s of ``now`` (``stale_timestamp``), ``may_sign(signer)``
    (``unknown_signer``), and last the nonce is unused (``replayed_nonce``) — so a refused
    request never spends a nonce.
    """
    lowered = {key.lower(): value for key, value in headers.items()}
    values = {}
    for name in (SIGNER_HEADER, TIMESTAMP_HEADER, NONCE_HEADER, SIGNATURE_HEADER):
        value = lowered.get(name.lower())
        if value is None:
            raise Unauthenticated("missing_signature", f"the {name} header is required")
        values[name] = value.strip()
    claimed, timestamp_text = values[SIGNER_HEADER], values[TIMESTAMP_HEADER]
    nonce, signature_hex = values[NONCE_HEADER], values[SIGNATURE_HEADER]
    if not is_address(claimed):
        raise Unauthenticated("malformed_signature", f"{SIGNER_HEADER} is not an address")
    if not _TIMESTAMP.match(timestamp_text):
        raise Unauthenticated("malformed_signature", f"{TIMESTAMP_HEADER} is not unix seconds")
    if not _NONCE.match(nonce):
        raise Unauthenticated("malformed_signature", f"{NONCE_HEADER} is not 32 hex digits")
    if not _SIGNATURE.match(signature_hex):
        raise Unauthenticated("malformed_signature", f"{SIGNATURE_HEADER} is not 65 bytes hex")
    timestamp = int(timestamp_text)
    signer = _recover(canonical_request(method, path, body, timestamp, nonce), signature_hex)
    if signer != to_checksum_address(claimed):
        raise Unauthenticated("bad_signature", "the signature does not match the request")
    if abs(now - timestamp) > window:
        raise Unauthenticated(
            "stale_timestamp", f"the request timestamp is more than {window} s from the clock"
        )
    if not may_sign(signer):
        raise Unauthenticated("unknown_signer", f"{signer} may not make this request")
    if not nonces.use(signer, nonce, now=now, keep_seconds=2 * window):
        raise Unauthenticated("replayed_nonce", "this nonce was already used")
    return signer


def _recover(message: bytes, signature_hex: str) -> str:
    signature = bytes.fromhex(signature_hex[2:])
    try:
        if not is_low_s(signature):
            raise Unauthenticated("bad_signature", "the signature is the high-s twin")
        return str(Account.recover_message(encode_defunct(primitive=message), signature=signature))
    except SignatureError as error:
        raise Unauthenticated("bad_signature", str(error)) from error
    except Unauthenticated:
        raise
    except Exception as error:  # eth-keys raises BadSignature, ValueError, …
        raise Unauthenticated("bad_signature", "the signature recovers no signer") from error


@dataclass(frozen=True)
class SignedRequest:
    """What a signature covers, read from an incoming request."""

    method: str
    target: str
    body: bytes
    headers: Mapping[str, str]

    def verify(
        self,
        *,
        now: float,
        nonces: NonceStore,
        may_sign: Callable[[str], bool],
        window: int = DEFAULT_WINDOW_SECONDS,
    ) -> str:
        """:func:`verify_request` for this request; the signer's checksum address."""
        return verify_request(
            self.method,
            self.target,
            self.body,
            self.headers,
            now=now,
            nonces=nonces,
            may_sign=may_sign,
            window=window,
        )


async def read_signed_request(request: Request) -> SignedRequest:
    """FastAPI dependency: the method, the path as sent (with its query) and the body bytes.

    The path is the raw one the client sent (``raw_path``, not percent-decoded), which is the
    one it signed; a proxy in front of the node must pass it through unchanged.
    """
    raw_path: bytes = request.scope.get("raw_path") or request.url.path.encode()
    query: bytes = request.scope.get("query_string", b"")
    target = raw_path.decode("latin-1") + ("?" + query.decode("latin-1") if query else "")
    return SignedRequest(request.method, target, await request.body(), request.headers)
