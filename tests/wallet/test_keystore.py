"""The wallet's keystore: a standard encrypted file, 0600, never overwritten, password checked."""

from __future__ import annotations

import json
import stat
from pathlib import Path

import pytest
from eth_account import Account

from trustshare.wallet.errors import KeystoreError, WrongPassword
from trustshare.wallet.keystore import create_keystore, keystore_address, unlock

PASSWORD = "correct horse battery"


def test_a_created_key_is_a_standard_keystore_readable_only_by_its_owner(tmp_path: Path) -> None:
    path = tmp_path / "wallet" / "keystore.json"

    address = create_keystore(path, PASSWORD)

    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    document = json.loads(path.read_text())
    assert document["version"] == 3 and document["crypto"]["kdf"] == "scrypt"
    # Any Web3 Secret Storage reader opens it: here eth-account's own decrypt.
    assert Account.from_key(Account.decrypt(document, PASSWORD)).address == address
    assert keystore_address(path) == address
    assert unlock(path, PASSWORD).address == address
    assert [p.name for p in path.parent.iterdir()] == ["keystore.json"]  # no partial file left


def test_a_wrong_password_is_refused_and_says_what_to_type(tmp_path: Path) -> None:
    path = tmp_path / "keystore.json"
    create_keystore(path, PASSWORD)
    before = path.read_bytes()

    with pytest.raises(WrongPassword) as refused:
        unlock(path, "correct horse battery staple")

    assert "wrong password" in refused.value.message
    assert refused.value.hint is not None and "trustshare patient create" in refused.value.hint
    assert path.read_bytes() == before


def test_an_existing_keystore_is_never_overwritten(tmp_path: Path) -> None:
    path = tmp_path / "keystore.json"
    first = create_keystore(path, PASSWORD)
    before = path.read_bytes()

    with pytest.raises(KeystoreError, match="already exists") as refused:
        create_keystore(path, PASSWORD)

    assert refused.value.hint is not None and "--keystore" in refused.value.hint
    assert path.read_bytes() == before and keystore_address(path) == first


def test_a_short_password_is_refused_before_anything_is_written(tmp_path: Path) -> None:
    path = tmp_path / "keystore.json"
    with pytest.raises(KeystoreError, match="too short"):
        create_keystore(path, "short")
    assert not path.exists()


@pytest.mark.parametrize(
    ("content", "problem"),
    [(None, "no keystore at"), ("not json", "not JSON"), ('{"version": 1}', "not a version 3")],
)
def test_what_is_not_a_keystore_is_named(tmp_path: Path, content: str | None, problem: str) -> None:
    path = tmp_path / "keystore.json"
    if content is not None:
        path.write_text(content)
    with pytest.raises(KeystoreError, match=problem):
        unlock(path, PASSWORD)
