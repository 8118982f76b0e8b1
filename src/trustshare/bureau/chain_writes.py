"""What each outbox kind sends to the chain, prepared from its stored payload.

:func:`prepare` reads an entry (the payload formats are listed in :mod:`trustshare.bureau.outbox`)
and answers with the call to send, or with why none is needed now: the write is already on
chain (a batch root committed by an earlier attempt, a correction already recorded), it must
wait (a correction whose settlements are not in final batches yet), or it can never succeed.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from trustshare.bureau import batching
from trustshare.bureau.context import BureauContext
from trustshare.chain.registries import BatchKind, Registries
from trustshare.chain.sender import TxOutcome
from trustshare.crypto.eip712 import ConsentTerms
from trustshare.storage import clearing
from trustshare.storage.database import transaction
from trustshare.storage.models import Batch, OutboxEntry


@dataclass(frozen=True)
class AlreadyOnChain:
    """The write is on chain already (found, not sent now); its transaction when known."""

    tx_hash: str | None
    block_number: int | None


@dataclass(frozen=True)
class Deferred:
    """The write must wait; the entry stays pending and later entries go ahead."""

    reason: str


@dataclass(frozen=True)
class Refused:
    """The write can never succeed, found out without a transaction."""

    reason: str


Prepared = Callable[[], TxOutcome] | AlreadyOnChain | Deferred | Refused
"""A call that sends the write and waits for its receipt, or why there is none to send."""


def prepare(context: BureauContext, registries: Registries, entry: OutboxEntry) -> Prepared:
    """The write ``entry`` asks for, sent through ``registries`` (which sign as the bureau).

    Raises ``KeyError``/``ValueError``/``TypeError`` for a malformed payload and the typed
    contract error when a check on chain already refuses it.
    """
    payload: dict[str, Any] = json.loads(entry.payload_json)
    if entry.kind == "commit_batch":
        batch = batch_of_entry(context, entry)
        found = committed_root(context, batch.root)
        if found is not None:
            return found
        kind, root = BatchKind[batch.kind], bytes(batch.root)
        rules_version, leaf_count = bytes(batch.rules_version), batch.leaf_count
        return lambda: registries.attestations.commit_batch(kind, root, leaf_count, rules_version)
    if entry.kind == "bind_wallet":
        pseudonym, wallet = _hex(payload["pseudonym"]), str(payload["wallet"])
        return lambda: registries.consents.bind_wallet(pseudonym, wallet)
    if entry.kind == "grant_consent":
        stated = payload["terms"]
        terms = ConsentTerms(
            _hex(stated["pseudonym"]),
            str(stated["insurer"]),
            int(stated["scopes"]),
            int(stated["purposes"]),
            int(stated["not_before"]),
            int(stated["not_after"]),
        )
        nonce, deadline = int(payload["nonce"]), int(payload["deadline"])
        signature = _hex(payload["signature"])
        return lambda: registries.consents.grant_by_signature(terms, nonce, deadline, signature)
    if entry.kind == "revoke_consent":
        pseudonym, insurer = _hex(payload["pseudonym"]), str(payload["insurer"])
        revoked, deadline = _hex(payload["consent_id"]), int(payload["deadline"])
        signature = _hex(payload["signature"])
        return lambda: registries.consents.revoke_by_signature(
            pseudonym, insurer, revoked, deadline, signature
        )
    if entry.kind == "supersede_settlement":
        return _prepare_supersede(
            context,
            registries,
            _hex(payload["old_settlement_id"]),
            _hex(payload["new_settlement_id"]),
        )
    raise ValueError(f"unknown outbox kind {entry.kind!r}")


def _prepare_supersede(
    context: BureauContext, registries: Registries, old_id: bytes, new_id: bytes
) -> Prepared:
    with transaction(context.sessions) as session:
        old_row = clearing.settlement_by_id(session, old_id)
        new_row = clearing.settlement_by_id(session, new_id)
        if old_row is None or new_row is None:
            missing = old_id if old_row is None else new_id
            raise ValueError(f"no settlement 0x{missing.hex()}")
        proofs: list[tuple[bytes, list[bytes]]] = []
        for row in (old_row, new_row):
            if row.batch_id is None or row.leaf_index is None:
                return Deferred(f"settlement {row.setl_id} is not in a batch yet")
            if clearing.batch_status(session, row.batch_id) != "final":
                return Deferred(f"the batch of settlement {row.setl_id} is not final yet")
            proofs.append(batching.proof_for(session, row.batch_id, row.leaf_index))
    if context.registries.attestations.superseded_by(old_id) == new_id:
        return AlreadyOnChain(None, None)
    old_leaf, new_leaf = batching.settlement_leaf_of(old_row), batching.settlement_leaf_of(new_row)
    (old_root, old_proof), (new_root, new_proof) = proofs
    return lambda: registries.attestations.supersede_settlement(
        old_root, old_leaf, old_proof, new_root, new_leaf, new_proof
    )


def committed_root(context: BureauContext, root: bytes) -> AlreadyOnChain | Refused | None:
    """How ``root`` was committed, if the chain holds it: a root is never committed twice."""
    attestations = context.registries.attestations
    committed = attestations.batch_of(bytes(root))
    if committed.kind is BatchKind.NONE:
        return None
    if committed.bureau != context.address:
        return Refused(f"root 0x{bytes(root).hex()} was committed by {committed.bureau}")
    logs = attestations.contract.events.BatchCommitted().get_logs(
        argument_filters={"root": bytes(root)},
        from_block=context.deployment.deployed_at_block,
    )
    if not logs:
        return AlreadyOnChain(None, None)
    found = logs[-1]
    return AlreadyOnChain("0x" + bytes(found["transactionHash"]).hex(), found["blockNumber"])


def batch_of_entry(context: BureauContext, entry: OutboxEntry) -> Batch:
    """The batch a ``commit_batch`` entry commits."""
    if entry.batch_id is None:
        raise ValueError(f"commit_batch entry {entry.id} names no batch")
    with transaction(context.sessions) as session:
        return session.get_one(Batch, entry.batch_id)


def _hex(text: Any) -> bytes:
    return bytes.fromhex(str(text).removeprefix("0x"))
