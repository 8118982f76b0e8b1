"""An insider at a bureau rewrites one settlement in its own database, consistently.

Someone with write access to the bureau's database lowers what the basic fund paid on a record
(so that the patient's share, and a commercial claim on it, look larger) and, so that every
check of the bureau itself still passes, recomputes the record's commitment, its batch's Merkle
tree and the batch root stored beside it. Everything the bureau stores then agrees — only the
root committed on chain does not, and that is what an insurer checks before it pays.
"""

from __future__ import annotations

import json
import time

from sqlalchemy import select

from trustshare.bureau.context import BureauContext
from trustshare.bureau.settlement_records import stored_json
from trustshare.crypto import commit_record
from trustshare.crypto.leaves import SETTLEMENT_LEAF_ENCODING
from trustshare.crypto.merkle import StandardMerkleTree, standard_leaf_hash
from trustshare.crypto.vocabulary import GROUP_NAMES
from trustshare.storage.database import transaction
from trustshare.storage.models import Batch, SettlementRow


def wait_until_committed(context: BureauContext, on_chain_id: bytes, *, timeout: float) -> Batch:
    """The final batch holding the settlement, once the bureau's publisher has committed it."""
    deadline = time.monotonic() + timeout
    while True:
        with context.sessions() as session:
            row = session.scalar(
                select(SettlementRow).where(SettlementRow.settlement_id == on_chain_id)
            )
            batch = session.get(Batch, row.batch_id) if row and row.batch_id else None
            if batch is not None and batch.status == "final":
                return batch
        if time.monotonic() > deadline:
            raise TimeoutError(f"settlement 0x{on_chain_id.hex()} was not committed in time")
        time.sleep(0.2)


def rewrite_settlement(context: BureauContext, on_chain_id: bytes, *, fund_less_fen: int) -> None:
    """Lower the basic fund's payment of a committed record by ``fund_less_fen``, consistently."""
    with transaction(context.sessions) as session:
        row = session.scalar(
            select(SettlementRow).where(SettlementRow.settlement_id == on_chain_id)
        )
        if row is None or row.batch_id is None or row.leaf_index is None:
            raise LookupError(f"settlement 0x{on_chain_id.hex()} is not in a batch")
        batch = session.get_one(Batch, row.batch_id)
        fields = json.loads(row.record_json)
        fields["fund_breakdown"]["record"]["hifp_pay"] -= fund_less_fen
        fields["settlement_summary"]["basic_fund_fen"] -= fund_less_fen
        committed = commit_record(fields)
        row.record_json = stored_json(committed.fields)
        row.salts = b"".join(committed.salts[name] for name in GROUP_NAMES if name in fields)
        row.record_commitment = committed.commitment
        leaf = (row.settlement_id, row.pseudonym, row.record_commitment, row.claim_ceiling_fen)
        tree = StandardMerkleTree.from_bytes(
            batch.tree, leaf_encoding=SETTLEMENT_LEAF_ENCODING, check_nodes=False
        )
        hashes = [tree.leaf_hash(index) for index in range(len(tree))]
        hashes[row.leaf_index] = standard_leaf_hash(SETTLEMENT_LEAF_ENCODING, leaf)
        forged = StandardMerkleTree.from_leaf_hashes(hashes, leaf_encoding=SETTLEMENT_LEAF_ENCODING)
        batch.tree, batch.root = forged.to_bytes(), forged.root
