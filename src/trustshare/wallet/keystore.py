"""The wallet's key in a standard encrypted keystore (Web3 Secret Storage, version 3).

The file is what ``eth_account.Account.encrypt`` writes (scrypt, AES-128-CTR, a MAC over the
ciphertext) — the format geth, Foundry's ``cast wallet`` and most wallets import. It is created
with mode 0600 and never overwritten: a second ``create`` at the same path is refused, so a key
is not lost by a slip. The key leaves the file only in memory, as a ``LocalAccount``.
"""

from __future__ import annotations

import contextlib
import json
import os
import secrets
from pathlib import Path
from typing import Any

from eth_account import Account
from eth_account.signers.local import LocalAccount
from eth_utils.address import is_address, to_checksum_address

from trustshare.wallet.errors import KeystoreError, WrongPassword

MIN_PASSWORD_LENGTH = 8
FILE_MODE = 0o600
DIRECTORY_MODE = 0o700


def create_keystore(path: Path, password: str) -> str:
    """Make a new key, write it encrypted under ``password`` to ``path``; return its address."""
    if len(password) < MIN_PASSWORD_LENGTH:
        raise KeystoreError(
            f"the password is too short ({len(password)} characters)",
            hint=f"choose one of at least {MIN_PASSWORD_LENGTH} characters",
        )
    if path.exists():
        raise KeystoreError(
            f"a keystore already exists at {path}",
            hint="use it, or give another file with --keystore (an existing key is never "
            "overwritten)",
        )
    account = Account.create()
    document = Account.encrypt(account.key, password)
    _write_new(path, json.dumps(document, indent=2).encode() + b"\n")
    return str(account.address)


def _write_new(path: Path, content: bytes) -> None:
    """Write ``content`` to ``path`` (mode 0600) whole or not at all; never replace a file."""
    path.parent.mkdir(parents=True, exist_ok=True, mode=DIRECTORY_MODE)
    partial = path.with_name(f".{path.name}.{secrets.token_hex(4)}.partial")
    descriptor = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_EXCL, FILE_MODE)
    try:
        with os.fdopen(descriptor, "wb") as handle:
            handle.write(content)
            handle.flush()
            os.fsync(handle.fileno())
        os.link(partial, path)  # fails if ``path`` appeared meanwhile: nothing is replaced
    except FileExistsError as error:
        raise KeystoreError(f"a keystore already exists at {path}") from error
    finally:
        with contextlib.suppress(FileNotFoundError):
            partial.unlink()


def read_keystore(path: Path) -> dict[str, Any]:
    """The keystore document at ``path``, checked to be one (the key stays encrypted)."""
    try:
        document = json.loads(path.read_text())
    except FileNotFoundError as error:
        raise KeystoreError(
            f"no keystore at {path}",
            hint="create one with `trustshare patient create`, or name yours with --keystore",
        ) from error
    except (json.JSONDecodeError, UnicodeDecodeError, IsADirectoryError) as error:
        raise KeystoreError(f"{path} is not a keystore file (not JSON)") from error
    if not isinstance(document, dict) or document.get("version") != 3 or "crypto" not in document:
        raise KeystoreError(f"{path} is not a version 3 keystore file")
    return document


def keystore_address(path: Path) -> str:
    """The address the keystore at ``path`` holds the key of (no password needed)."""
    document = read_keystore(path)
    address = document.get("address")
    if not isinstance(address, str) or not is_address(address):
        raise KeystoreError(f"{path} names no address")
    return str(to_checksum_address(address))


def unlock(path: Path, password: str) -> LocalAccount:
    """The account whose key the keystore at ``path`` holds, decrypted with ``password``."""
    document = read_keystore(path)
    try:
        key = Account.decrypt(document, password)
    except ValueError as error:
        if "MAC mismatch" not in str(error):
            raise KeystoreError(f"{path} cannot be decrypted: {error}") from error
        raise WrongPassword(
            f"wrong password for the keystore {path}",
            hint="type the password chosen at `trustshare patient create` (nothing was signed)",
        ) from error
    account: LocalAccount = Account.from_key(key)
    return account
