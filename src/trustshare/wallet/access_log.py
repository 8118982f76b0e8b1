"""Checking each access-log entry the bureau shows against the chain.

The bureau answers with each entry's fields, their hash and — once the entry is in a committed
ACCESS_LOG batch — the batch root and the leaf's Merkle proof (``docs/BUREAU-API.md``). The
wallet trusts none of it: it recomputes the entry hash from the fields
(``keccak256(canonical_json(fields))``), rebuilds the leaf ``(entry id, pseudonym, entry
hash)``, and asks the AttestationRegistry whether that leaf is in that root, that the root was
committed as an ACCESS_LOG batch, and by the bureau that served the log.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum
from typing import Any

from eth_abi.abi import encode

from trustshare.chain.registries import AttestationRegistryClient, BatchKind
from trustshare.crypto.canonical_json import canonical_json
from trustshare.crypto.hashing import keccak256
from trustshare.crypto.leaves import ACCESS_LOG_LEAF_ENCODING


class Verdict(Enum):
    """What the chain says about one entry."""

    VERIFIED = "✓"
    FAILED = "✗"
    PENDING = "…"
    """Not in a committed batch yet: nothing to check it against."""


@dataclass(frozen=True)
class CheckedEntry:
    """One entry of the log, with the verdict and, if it failed, why."""

    entry_id: int
    fields: dict[str, Any]
    verdict: Verdict
    problem: str = ""


def _hex_bytes(value: object) -> bytes:
    if not isinstance(value, str) or not value.startswith("0x"):
        raise ValueError(f"{value!r} is not 0x-hex")
    return bytes.fromhex(value[2:])


def check_entry(
    entry: dict[str, Any], pseudonym: bytes, bureau: str, attestations: AttestationRegistryClient
) -> CheckedEntry:
    """The verdict on one entry of ``pseudonym``'s log served by ``bureau``."""
    entry_id, fields = int(entry["id"]), dict(entry["fields"])

    def failed(problem: str) -> CheckedEntry:
        return CheckedEntry(entry_id, fields, Verdict.FAILED, problem)

    if fields.get("pseudonym") != "0x" + pseudonym.hex():
        return failed("the entry is about another pseudonym")
    entry_hash = keccak256(canonical_json(fields))
    if entry.get("entry_hash") != "0x" + entry_hash.hex():
        return failed("the fields do not hash to the stated entry hash")
    commitment = entry.get("commitment") or {}
    if commitment.get("status") == "pending":
        return CheckedEntry(entry_id, fields, Verdict.PENDING)
    try:
        root = _hex_bytes(commitment["batch_root"])
        proof = [_hex_bytes(node) for node in commitment["proof"]]
    except (KeyError, TypeError, ValueError):
        return failed("the entry has neither a commitment nor a pending status")
    batch = attestations.batch_of(root)
    if batch.kind is not BatchKind.ACCESS_LOG:
        return failed(f"the root is not a committed access-log batch ({batch.kind.name})")
    if batch.bureau != bureau:
        return failed(f"the batch was committed by {batch.bureau}, not by this bureau")
    leaf = encode(list(ACCESS_LOG_LEAF_ENCODING), (entry_id, pseudonym, entry_hash))
    if not attestations.verify(root, leaf, proof):
        return failed("the proof does not place this entry in the committed batch")
    return CheckedEntry(entry_id, fields, Verdict.VERIFIED)


def check_log(
    entries: list[dict[str, Any]],
    pseudonym: bytes,
    bureau: str,
    attestations: AttestationRegistryClient,
) -> list[CheckedEntry]:
    """:func:`check_entry` for every entry, in order."""
    return [check_entry(entry, pseudonym, bureau, attestations) for entry in entries]
