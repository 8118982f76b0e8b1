"""The insurer's keystore: its chain key and every X25519 sealing key it ever used.

A JSON file, mode 0600, written atomically::

    {"version": 1, "chain_key": "0x…",
     "sealing_keys": [{"private": "0x…", "public": "0x…", "created_at": 1764000000}, …]}

The last sealing key is the current one (the one registered in ``Participants``). Rotation
appends a key; older keys stay, so records the bureau sealed to them can still be opened.
"""

from __future__ import annotations

import json
import os
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from eth_account import Account
from eth_account.signers.local import LocalAccount

from trustshare.crypto.sealing import SealingPrivateKey, SealingPublicKey

VERSION = 1


class KeystoreError(ValueError):
    """The keystore file is missing, unreadable, or holds an unacceptable key."""


@dataclass(frozen=True)
class SealingKeyEntry:
    """One X25519 key and when it was made."""

    private: SealingPrivateKey = field(repr=False)
    created_at: int

    @property
    def public(self) -> SealingPublicKey:
        """Its public key (as registered on chain)."""
        return self.private.public_key()


@dataclass(frozen=True)
class Keystore:
    """The node's keys. ``repr`` shows no secret."""

    account: LocalAccount = field(repr=False)
    sealing_keys: tuple[SealingKeyEntry, ...]

    @property
    def address(self) -> str:
        """The insurer's chain address."""
        return str(self.account.address)

    @property
    def current(self) -> SealingKeyEntry:
        """The sealing key to register on chain (the newest)."""
        return self.sealing_keys[-1]

    def sealing_key_for(self, public: SealingPublicKey) -> SealingPrivateKey | None:
        """The private key matching ``public`` (current or past), or None."""
        for entry in self.sealing_keys:
            if entry.public == public:
                return entry.private
        return None

    @classmethod
    def generate(cls, *, now: float | None = None) -> Keystore:
        """Fresh keys from the operating system's CSPRNG."""
        created = int(time.time() if now is None else now)
        return cls(Account.create(), (SealingKeyEntry(SealingPrivateKey.generate(), created),))

    def rotated(self, *, now: float | None = None) -> Keystore:
        """A copy with a new current sealing key; the old ones are kept."""
        created = int(time.time() if now is None else now)
        entry = SealingKeyEntry(SealingPrivateKey.generate(), created)
        return Keystore(self.account, (*self.sealing_keys, entry))

    def to_json_dict(self) -> dict[str, Any]:
        """The file's content (secrets included: write it only with :meth:`write`)."""
        return {
            "version": VERSION,
            "chain_key": "0x" + bytes(self.account.key).hex(),
            "sealing_keys": [
                {
                    "private": "0x" + entry.private.reveal_bytes().hex(),
                    "public": entry.public.hex(),
                    "created_at": entry.created_at,
                }
                for entry in self.sealing_keys
            ],
        }

    def write(self, path: Path, *, overwrite: bool = False) -> None:
        """Write to ``path`` with mode 0600 (atomically, via a temporary file beside it)."""
        if path.exists() and not overwrite:
            raise KeystoreError(f"{path} already exists; refusing to overwrite keys")
        path.parent.mkdir(parents=True, exist_ok=True)
        temporary = path.with_name(path.name + ".tmp")
        descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
            json.dump(self.to_json_dict(), handle, indent=2)
            handle.write("\n")
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(temporary, 0o600)
        os.replace(temporary, path)

    @classmethod
    def read(cls, path: Path) -> Keystore:
        """Read and check a keystore file; raises :class:`KeystoreError`."""
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError) as error:
            raise KeystoreError(f"cannot read keystore {path}: {error}") from error
        return cls.from_json_dict(data)

    @classmethod
    def from_json_dict(cls, data: Any) -> Keystore:
        """Parse the file's content, refusing placeholder keys and mismatched public keys."""
        if not isinstance(data, dict) or data.get("version") != VERSION:
            raise KeystoreError(f"not a version-{VERSION} insurer keystore")
        chain_key = _secret_hex(data.get("chain_key"), "chain_key")
        entries = data.get("sealing_keys")
        if not isinstance(entries, list) or not entries:
            raise KeystoreError("sealing_keys must list at least one key")
        sealing: list[SealingKeyEntry] = []
        for index, entry in enumerate(entries):
            if not isinstance(entry, dict) or not isinstance(entry.get("created_at"), int):
                raise KeystoreError(f"sealing_keys[{index}] is malformed")
            private = SealingPrivateKey(_secret_hex(entry.get("private"), f"sealing_keys[{index}]"))
            if private.public_key().hex() != str(entry.get("public", "")).lower():
                raise KeystoreError(f"sealing_keys[{index}]: public key does not match")
            sealing.append(SealingKeyEntry(private, entry["created_at"]))
        return cls(Account.from_key(chain_key), tuple(sealing))


def _secret_hex(value: Any, name: str) -> bytes:
    if not isinstance(value, str):
        raise KeystoreError(f"{name} is missing")
    try:
        raw = bytes.fromhex(value.removeprefix("0x"))
    except ValueError as error:
        raise KeystoreError(f"{name} is not hex") from error
    if len(raw) != 32 or len(set(raw)) < 4:
        raise KeystoreError(f"{name} must be 32 random bytes, not a placeholder")
    return raw
