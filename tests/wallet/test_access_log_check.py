"""The wallet checks each access-log entry against the AttestationRegistry on a real chain."""

from __future__ import annotations

from typing import Any

from trustshare.chain.registries import AttestationRegistryClient, BatchKind
from trustshare.crypto.canonical_json import canonical_json
from trustshare.crypto.hashing import keccak256
from trustshare.crypto.leaves import ACCESS_LOG_LEAF_ENCODING
from trustshare.crypto.merkle import StandardMerkleTree
from trustshare.wallet.access_log import Verdict, check_entry, check_log

from ..conftest import Network

PSEUDONYM = keccak256(b"access-log check: a pseudonym")
OTHER = keccak256(b"access-log check: someone else")
NO_RULES = bytes(32)
RULES = keccak256(b"access-log check: a rules version (settlement batches need one)")


def fields(entry_id: int, pseudonym: bytes, outcome: str, insurer: str) -> dict[str, Any]:
    return {
        "version": 1,
        "occurred_at": 1_750_000_000 + entry_id,
        "insurer": insurer,
        "pseudonym": "0x" + pseudonym.hex(),
        "record_type": "enrollment",
        "record_id": None,
        "purpose": 1,
        "scopes_requested": 1,
        "scopes_released": 1 if outcome == "released" else 0,
        "outcome": outcome,
        "reason": "" if outcome == "released" else "REVOKED",
    }


def committed_page(
    network: Network, entries: list[tuple[int, bytes, dict[str, Any]]], kind: BatchKind
) -> list[dict[str, Any]]:
    """Entries as the bureau serves them, their batch committed by the bureau as ``kind``."""
    values = [(i, p, keccak256(canonical_json(f))) for i, p, f in entries]
    tree = StandardMerkleTree.of(values, ACCESS_LOG_LEAF_ENCODING)
    attestations = network.registries(network.bureau).attestations
    rules = RULES if kind is BatchKind.SETTLEMENT else NO_RULES
    outcome = attestations.commit_batch(kind, tree.root, len(tree), rules)
    return [
        {
            "id": entry_id,
            "fields": entry_fields,
            "entry_hash": "0x" + entry_hash.hex(),
            "commitment": {
                "status": "committed",
                "batch_root": "0x" + tree.root.hex(),
                "proof": ["0x" + node.hex() for node in tree.proof(index)],
                "tx_hash": outcome.tx_hash,
            },
        }
        for index, ((entry_id, _, entry_fields), (_, _, entry_hash)) in enumerate(
            zip(entries, values, strict=True)
        )
    ]


def attestations(network: Network) -> AttestationRegistryClient:
    return network.registries().attestations


def test_committed_entries_are_verified_and_uncommitted_ones_pending(network: Network) -> None:
    insurer = network.insurer.address
    page = committed_page(
        network,
        [
            (1, PSEUDONYM, fields(1, PSEUDONYM, "released", insurer)),
            (2, PSEUDONYM, fields(2, PSEUDONYM, "refused", insurer)),
        ],
        BatchKind.ACCESS_LOG,
    )
    later = fields(3, PSEUDONYM, "refused", insurer)
    pending = {
        "id": 3,
        "fields": later,
        "entry_hash": "0x" + keccak256(canonical_json(later)).hex(),
        "commitment": {"status": "pending"},
    }

    checked = check_log([*page, pending], PSEUDONYM, network.bureau.address, attestations(network))

    assert [(c.entry_id, c.verdict, c.problem) for c in checked] == [
        (1, Verdict.VERIFIED, ""),
        (2, Verdict.VERIFIED, ""),
        (3, Verdict.PENDING, ""),
    ]


def test_an_altered_entry_fails(network: Network) -> None:
    insurer = network.insurer.address
    [entry] = committed_page(
        network, [(7, PSEUDONYM, fields(7, PSEUDONYM, "released", insurer))], BatchKind.ACCESS_LOG
    )
    registry, bureau = attestations(network), network.bureau.address

    hidden = {**entry, "fields": {**entry["fields"], "insurer": network.insurer_b.address}}
    rehashed = {
        **hidden,
        "entry_hash": "0x" + keccak256(canonical_json(hidden["fields"])).hex(),
    }
    renumbered = {**entry, "id": 8}

    assert check_entry(hidden, PSEUDONYM, bureau, registry).problem == (
        "the fields do not hash to the stated entry hash"
    )
    assert check_entry(rehashed, PSEUDONYM, bureau, registry).problem == (
        "the proof does not place this entry in the committed batch"
    )
    assert check_entry(renumbered, PSEUDONYM, bureau, registry).verdict is Verdict.FAILED
    assert check_entry(entry, OTHER, bureau, registry).problem == (
        "the entry is about another pseudonym"
    )


def test_a_root_that_is_not_an_access_log_batch_of_this_bureau_fails(network: Network) -> None:
    insurer = network.insurer.address
    [as_settlements] = committed_page(
        network, [(4, PSEUDONYM, fields(4, PSEUDONYM, "released", insurer))], BatchKind.SETTLEMENT
    )
    registry = attestations(network)
    problem = check_entry(as_settlements, PSEUDONYM, network.bureau.address, registry).problem
    assert problem == "the root is not a committed access-log batch (SETTLEMENT)"

    [entry] = committed_page(
        network, [(5, PSEUDONYM, fields(5, PSEUDONYM, "released", insurer))], BatchKind.ACCESS_LOG
    )
    elsewhere = check_entry(entry, PSEUDONYM, network.outsider.address, registry)
    assert elsewhere.verdict is Verdict.FAILED and "not by this bureau" in elsewhere.problem

    unknown_root = {**entry["commitment"], "batch_root": "0x" + "ab" * 32}
    never_committed = {**entry, "commitment": unknown_root}
    assert check_entry(never_committed, PSEUDONYM, network.bureau.address, registry).problem == (
        "the root is not a committed access-log batch (NONE)"
    )
