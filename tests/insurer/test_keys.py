"""The insurer's keystore and its CLI: 0600 files, no secret printed, rotation keeps old keys."""

from __future__ import annotations

import json
import stat
from pathlib import Path

import pytest
from typer.testing import CliRunner

from trustshare.cli.insurer import insurer_app
from trustshare.crypto.sealing import open_sealed, seal
from trustshare.insurer.keystore import Keystore, KeystoreError

SETTLEMENT_ID = bytes(range(32))
runner = CliRunner()


def _secrets(path: Path) -> list[str]:
    data = json.loads(path.read_text())
    return [data["chain_key"], *(entry["private"] for entry in data["sealing_keys"])]


def test_keygen_writes_a_private_file_and_prints_only_public_values(tmp_path: Path) -> None:
    out = tmp_path / "keys" / "insurer.json"
    result = runner.invoke(insurer_app, ["keygen", "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert stat.S_IMODE(out.stat().st_mode) == 0o600
    keystore = Keystore.read(out)
    assert keystore.address in result.output
    assert keystore.current.public.hex() in result.output
    for secret in _secrets(out):
        assert secret[2:] not in result.output
        assert secret[2:] not in repr(keystore)
    assert "private=<redacted>" in repr(keystore.current.private)


def test_keygen_refuses_to_overwrite_existing_keys(tmp_path: Path) -> None:
    out = tmp_path / "insurer.json"
    assert runner.invoke(insurer_app, ["keygen", "--out", str(out)]).exit_code == 0
    before = out.read_text()
    result = runner.invoke(insurer_app, ["keygen", "--out", str(out)])
    assert result.exit_code == 1
    assert "refusing to overwrite" in result.output
    assert out.read_text() == before


def test_rotation_adds_a_current_key_and_older_sealed_records_still_open(tmp_path: Path) -> None:
    out = tmp_path / "insurer.json"
    runner.invoke(insurer_app, ["keygen", "--out", str(out)])
    first = Keystore.read(out)
    sealed_before = seal(b"older record", first.current.public, SETTLEMENT_ID, first.address)
    result = runner.invoke(insurer_app, ["rotate-key", "--keystore", str(out)])
    assert result.exit_code == 0, result.output
    rotated = Keystore.read(out)
    assert stat.S_IMODE(out.stat().st_mode) == 0o600
    assert rotated.address == first.address
    assert len(rotated.sealing_keys) == 2
    assert rotated.current.public != first.current.public
    assert rotated.current.public.hex() in result.output
    for secret in _secrets(out):
        assert secret[2:] not in result.output
    sealed_after = seal(b"newer record", rotated.current.public, SETTLEMENT_ID, first.address)
    old_key = rotated.sealing_key_for(first.current.public)
    assert old_key is not None
    assert open_sealed(sealed_before, old_key, SETTLEMENT_ID, first.address) == b"older record"
    assert (
        open_sealed(sealed_after, rotated.current.private, SETTLEMENT_ID, first.address)
        == b"newer record"
    )


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda data: data.update(chain_key="0x" + "00" * 32), "placeholder"),
        (lambda data: data["sealing_keys"][0].update(private="0x" + "11" * 32), "placeholder"),
        (lambda data: data["sealing_keys"][0].update(public="0x" + "ab" * 32), "does not match"),
        (lambda data: data.update(sealing_keys=[]), "at least one key"),
        (lambda data: data.update(version=2), "version-1"),
        (lambda data: data.pop("chain_key"), "missing"),
    ],
)
def test_a_damaged_or_placeholder_keystore_is_refused(
    tmp_path: Path, change: object, message: str
) -> None:
    path = tmp_path / "insurer.json"
    Keystore.generate().write(path)
    data = json.loads(path.read_text())
    change(data)  # type: ignore[operator]
    path.write_text(json.dumps(data))
    with pytest.raises(KeystoreError, match=message):
        Keystore.read(path)


def test_rotate_key_on_a_missing_keystore_fails_readably(tmp_path: Path) -> None:
    result = runner.invoke(insurer_app, ["rotate-key", "--keystore", str(tmp_path / "none.json")])
    assert result.exit_code == 1
    assert "cannot read keystore" in result.output
