"""Selective disclosure of records (DESIGN.md §4).

A record is split into disclosure groups, one per consent scope (`enrollment`,
`settlement_summary`, `fund_breakdown`, `line_items`, `diagnosis`), each a JSON object of fields.

- group commitment = `keccak256(salt ‖ utf8(group name) ‖ 0x00 ‖ canonical_json(fields))`, with a
  fresh random 32-byte salt per group. The salt has a fixed length and a group name is
  `[a-z_]+` (never 0x00), so the 0x00 separator makes the split unambiguous;
- record commitment = root of a StandardMerkleTree over leaves `(string name, bytes32 group
  commitment)`, i.e. leaf = `keccak256(keccak256(abi.encode(name, commitment)))`.

Disclosing a group gives its fields, salt and Merkle proof; an undisclosed group shows only its
commitment inside sibling hashes, and its random salt keeps its fields from being guessed.
Deleting the salts (withdrawal of consent, PIPL Art. 47) leaves nothing provable.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from trustshare.crypto.canonical_json import canonical_json
from trustshare.crypto.errors import DisclosureError, UnknownVocabularyError
from trustshare.crypto.hashing import keccak256
from trustshare.crypto.merkle import StandardMerkleTree, verify
from trustshare.crypto.vocabulary import GROUP_NAMES, Scope

SALT_BYTES = 32
GROUP_LEAF_ENCODING: tuple[str, ...] = ("string", "bytes32")
DISCLOSURE_VERSION = 1

GroupSelection = Scope | Iterable[str]
"""Groups chosen by scope flags or by group names."""


def group_commitment(group_name: str, fields: Mapping[str, Any], salt: bytes) -> bytes:
    """Return `keccak256(salt ‖ utf8(name) ‖ 0x00 ‖ canonical_json(fields))`."""
    _check_group_name(group_name)
    if not isinstance(salt, bytes | bytearray) or len(salt) != SALT_BYTES:
        raise DisclosureError(f"salt of group {group_name!r} must be {SALT_BYTES} bytes")
    if not isinstance(fields, Mapping):
        raise DisclosureError(f"fields of group {group_name!r} must be a JSON object")
    return keccak256(bytes(salt) + group_name.encode() + b"\x00" + canonical_json(fields))


def group_leaf_hash(group_name: str, commitment: bytes) -> bytes:
    """Return the Merkle leaf of a group: standard leaf hash of `(string, bytes32)`.

    `abi.encode(string, bytes32)` is built directly (head: offset 0x40 and the commitment; tail:
    length and right-padded UTF-8), as eth_abi would, at a fraction of the cost.
    """
    if not isinstance(commitment, bytes | bytearray) or len(commitment) != 32:
        raise DisclosureError(f"commitment of group {group_name!r} must be 32 bytes")
    name = group_name.encode()
    padded = name + bytes(-len(name) % 32)
    encoded = (
        (0x40).to_bytes(32, "big") + bytes(commitment) + len(name).to_bytes(32, "big") + padded
    )
    return keccak256(keccak256(encoded))


@dataclass(frozen=True)
class DisclosedGroup:
    """One opened group: everything needed to check it against a record commitment."""

    name: str
    fields: Mapping[str, Any]
    salt: bytes
    proof: tuple[bytes, ...]

    def to_json_dict(self) -> dict[str, Any]:
        """JSON-ready form (hex with `0x` for bytes)."""
        return {
            "name": self.name,
            "fields": self.fields,
            "salt": "0x" + self.salt.hex(),
            "proof": ["0x" + node.hex() for node in self.proof],
        }


@dataclass(frozen=True)
class Disclosure:
    """The groups of one record shown to one recipient."""

    record_commitment: bytes
    groups: tuple[DisclosedGroup, ...]

    @property
    def group_names(self) -> list[str]:
        """Names of the disclosed groups."""
        return [group.name for group in self.groups]

    def to_json_dict(self) -> dict[str, Any]:
        """JSON-ready form, the inverse of `from_json_dict`."""
        return {
            "version": DISCLOSURE_VERSION,
            "record_commitment": "0x" + self.record_commitment.hex(),
            "groups": [group.to_json_dict() for group in self.groups],
        }

    @classmethod
    def from_json_dict(cls, data: Mapping[str, Any]) -> Disclosure:
        """Parse the JSON form; raises `DisclosureError` when malformed."""
        try:
            if data["version"] != DISCLOSURE_VERSION:
                raise DisclosureError(f"unsupported disclosure version {data['version']!r}")
            groups = tuple(
                DisclosedGroup(
                    name=str(group["name"]),
                    fields=dict(group["fields"]),
                    salt=_from_hex(group["salt"]),
                    proof=tuple(_from_hex(node) for node in group["proof"]),
                )
                for group in data["groups"]
            )
            return cls(record_commitment=_from_hex(data["record_commitment"]), groups=groups)
        except (KeyError, TypeError, ValueError, AttributeError) as error:
            if isinstance(error, DisclosureError):
                raise
            raise DisclosureError(f"malformed disclosure: {error!r}") from error


@dataclass(frozen=True)
class CommittedRecord:
    """A committed record as its holder (the bureau) keeps it: fields, salts and proofs."""

    commitment: bytes
    fields: Mapping[str, Mapping[str, Any]]
    salts: Mapping[str, bytes]
    group_commitments: Mapping[str, bytes]
    proofs: Mapping[str, tuple[bytes, ...]]

    def disclose(self, groups: GroupSelection) -> Disclosure:
        """Disclose exactly the selected groups (each must exist in the record)."""
        names = _selected_names(groups)
        missing = [name for name in names if name not in self.fields]
        if missing:
            raise UnknownVocabularyError(
                f"record has no group(s) {missing}; it has {sorted(self.fields)}"
            )
        return Disclosure(
            record_commitment=self.commitment,
            groups=tuple(
                DisclosedGroup(name, self.fields[name], self.salts[name], self.proofs[name])
                for name in names
            ),
        )


def commit_record(
    record: Mapping[str, Mapping[str, Any]], *, salts: Mapping[str, bytes] | None = None
) -> CommittedRecord:
    """Commit a record given as `{group name: {field: value}}`.

    Fresh random salts are drawn unless `salts` (one per group) are given, which is how a holder
    recomputes a commitment from stored salts.
    """
    if not record:
        raise DisclosureError("a record needs at least one disclosure group")
    for name in record:
        _check_group_name(name)
    names = sorted(record, key=GROUP_NAMES.index)
    if salts is not None and set(salts) != set(names):
        raise DisclosureError(f"salts given for {sorted(salts)} but the record has {names}")
    chosen = {name: salts[name] if salts else secrets.token_bytes(SALT_BYTES) for name in names}
    commitments = {name: group_commitment(name, record[name], chosen[name]) for name in names}
    tree = StandardMerkleTree.from_leaf_hashes(
        (group_leaf_hash(name, commitments[name]) for name in names),
        leaf_encoding=GROUP_LEAF_ENCODING,
    )
    return CommittedRecord(
        commitment=tree.root,
        fields={name: record[name] for name in names},
        salts=chosen,
        group_commitments=commitments,
        proofs={name: tuple(tree.proof(index)) for index, name in enumerate(names)},
    )


def verify_disclosure(
    disclosure: Disclosure,
    record_commitment: bytes,
    *,
    expected_groups: GroupSelection | None = None,
) -> dict[str, Mapping[str, Any]]:
    """Check every disclosed group against `record_commitment`; return `{name: fields}`.

    `record_commitment` comes from the verifier's own source (a proven batch leaf), never from
    the disclosure. With `expected_groups`, the disclosure must hold exactly those groups.
    Raises `DisclosureError` naming the first group that fails.
    """
    if disclosure.record_commitment != record_commitment:
        raise DisclosureError("disclosure is for a different record commitment")
    names = disclosure.group_names
    if len(set(names)) != len(names):
        raise DisclosureError(f"disclosure repeats a group: {names}")
    if expected_groups is not None:
        expected = _selected_names(expected_groups)
        if set(names) != set(expected):
            raise DisclosureError(f"disclosure holds groups {names}, expected {expected}")
    opened: dict[str, Mapping[str, Any]] = {}
    for group in disclosure.groups:
        try:
            commitment = group_commitment(group.name, group.fields, group.salt)
            proven = verify(record_commitment, group_leaf_hash(group.name, commitment), group.proof)
        except (UnknownVocabularyError, ValueError) as error:
            raise DisclosureError(f"group {group.name!r} is malformed: {error}") from error
        if not proven:
            raise DisclosureError(
                f"group {group.name!r} does not match the record commitment "
                "(altered fields or salt, or a proof from another record)"
            )
        opened[group.name] = group.fields
    return opened


def _selected_names(groups: GroupSelection) -> list[str]:
    if isinstance(groups, Scope):
        return groups.keys()
    names = list(groups)
    for name in names:
        _check_group_name(name)
    return names


def _check_group_name(name: str) -> None:
    if name not in GROUP_NAMES:
        raise UnknownVocabularyError(
            f"unknown disclosure group {name!r}; valid: {', '.join(GROUP_NAMES)}"
        )


def _from_hex(text: Any) -> bytes:
    if not isinstance(text, str) or not text.startswith("0x"):
        raise DisclosureError(f"expected 0x-prefixed hex, got {text!r}")
    return bytes.fromhex(text[2:])
