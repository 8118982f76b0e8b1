import re
from pathlib import Path

from eth_hash.auto import keccak
from hypothesis import given
from hypothesis import strategies as st

import trustshare.crypto
from trustshare.crypto.errors import CryptoError
from trustshare.crypto.hashing import keccak256

PACKAGE = Path(trustshare.crypto.__file__).resolve().parents[1]
HAZMAT = re.compile(r"^\s*(from|import)\s+cryptography\.hazmat", re.MULTILINE)


def test_only_the_crypto_package_imports_cryptography_hazmat():
    offenders = [
        str(path.relative_to(PACKAGE))
        for path in PACKAGE.rglob("*.py")
        if "crypto" not in path.relative_to(PACKAGE).parts[:1] and HAZMAT.search(path.read_text())
    ]
    assert offenders == []


@given(st.binary(max_size=300))
def test_fast_keccak_equals_eth_hash(data):
    assert keccak256(data) == keccak(data)
    assert keccak256(bytearray(data)) == keccak(data)


def test_every_exported_error_descends_from_crypto_error():
    errors = [
        value
        for name, value in vars(trustshare.crypto).items()
        if name.endswith("Error") and isinstance(value, type)
    ]
    assert len(errors) > 5
    assert all(issubclass(error, CryptoError) for error in errors)
