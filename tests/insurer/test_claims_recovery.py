"""Fast claims through failures and corrections: an unreachable bureau, a crash between chain
and ledger, a superseded settlement."""

from __future__ import annotations

import time

import pytest

from trustshare.bureau.context import BureauContext
from trustshare.crypto.leaves import SettlementLeaf
from trustshare.insurer.claim_outbox import ClaimSender, SendReport
from trustshare.insurer.context import InsurerContext
from trustshare.insurer.reconcile import reconcile
from trustshare.storage.insurer_models import ClaimStatus

from ..bureau.release_support import store_settlement
from ..conftest import Network
from .claims_support import (
    batch_proof,
    bureau_served,
    claim_of,
    claim_record,
    claimable,
    claims_client,
    ledger,
    point_bureau_at,
    post_claim,
)

__all__ = ["claimable"]

CLOSED_PORT_URL = "http://127.0.0.1:9"
"""Nothing listens on the discard port on loopback: connections are refused."""


def test_an_unreachable_bureau_leaves_the_claim_pending_until_it_is_back(
    bureau_context: BureauContext,
    insurer_context: InsurerContext,
    network: Network,
    claimable: SettlementLeaf,
) -> None:
    point_bureau_at(network, CLOSED_PORT_URL)
    with claims_client(insurer_context) as client:
        body = post_claim(client, claimable.settlement_id, "down-1").json()
    assert (body["status"], body["reason"]["code"]) == (ClaimStatus.PENDING, "bureau_unreachable")
    sender = ClaimSender(insurer_context)
    assert sender.run_once().retried == 0  # not due yet: back-off
    insurer_context.clock = lambda: time.time() + 3
    assert sender.run_once().retried == 1  # due, still down: waits twice as long
    claim = claim_of(insurer_context, claimable.settlement_id)
    assert (claim.status, claim.attempts) == (ClaimStatus.PENDING, 2)
    assert ledger(insurer_context) == []

    with bureau_served(bureau_context, network):
        insurer_context.clock = lambda: time.time() + 10
        report = sender.run_once()
    assert report.recorded == [body["claim_id"]]
    _, expected_fen, _ = claim_record()
    assert [row.amount_fen for row in ledger(insurer_context)] == [expected_fen]


class Crash(Exception):
    """The process dies."""


class CrashingSender(ClaimSender):
    """A sender whose process dies after the chain recorded the claim, before the ledger."""

    def _record_done(
        self, ids: list[int], tx_hash: str, block_number: int | None, report: SendReport
    ) -> None:
        raise Crash(tx_hash)


def test_a_crash_between_the_chain_and_the_ledger_ends_in_exactly_one_payout(
    bureau_context: BureauContext,
    insurer_context: InsurerContext,
    network: Network,
    claimable: SettlementLeaf,
) -> None:
    with bureau_served(bureau_context, network), claims_client(insurer_context) as client:
        body = post_claim(client, claimable.settlement_id, "crash-1").json()
    with pytest.raises(Crash):
        CrashingSender(insurer_context).run_once()
    recorded = network.registries().claims.claim_of(
        claimable.settlement_id, network.insurer.address
    )
    assert recorded.amount_fen == body["amount_fen"]  # on chain, not in the ledger
    assert ledger(insurer_context) == []
    assert claim_of(insurer_context, claimable.settlement_id).status == ClaimStatus.QUEUED
    (difference,) = reconcile(insurer_context)
    assert (difference.chain_fen, difference.ledger_fen) == (body["amount_fen"], 0)

    restarted = ClaimSender(insurer_context)
    assert restarted.run_once().recorded == [body["claim_id"]]
    assert ClaimSender(insurer_context).run_once().recorded == []
    (payout,) = ledger(insurer_context)
    assert payout.amount_fen == body["amount_fen"]
    assert claim_of(insurer_context, claimable.settlement_id).status == ClaimStatus.RECORDED
    assert reconcile(insurer_context) == []


def _supersede(bureau_context: BureauContext, network: Network, old: SettlementLeaf) -> None:
    groups, _, ceiling = claim_record()
    new = store_settlement(
        bureau_context, setl_id="S-CLAIM-FIX", record=groups, claim_ceiling_fen=ceiling
    )
    old_root, old_proof = batch_proof(bureau_context, old.settlement_id)
    new_root, new_proof = batch_proof(bureau_context, new.settlement_id)
    attestations = network.registries(network.bureau).attestations
    attestations.supersede_settlement(old_root, old, old_proof, new_root, new, new_proof)


@pytest.mark.parametrize("reversed_by", ["insurer", "anyone"])
def test_a_superseded_settlement_reverses_the_claim_and_the_ledger_shows_it(
    bureau_context: BureauContext,
    insurer_context: InsurerContext,
    network: Network,
    claimable: SettlementLeaf,
    reversed_by: str,
) -> None:
    with bureau_served(bureau_context, network), claims_client(insurer_context) as client:
        body = post_claim(client, claimable.settlement_id, "fix-1").json()
    sender = ClaimSender(insurer_context)
    assert sender.run_once().recorded == [body["claim_id"]]
    _supersede(bureau_context, network, claimable)
    if reversed_by == "anyone":  # any account may reverse claims on a superseded settlement
        outsider = network.registries(network.outsider).claims
        outsider.reverse_claim(claimable.settlement_id, network.insurer.address)
    report = sender.run_once()
    assert (report.reversals_queued, report.reversed) == ([body["claim_id"]], [body["claim_id"]])
    assert sender.run_once().reversals_queued == []
    payout, reversal = ledger(insurer_context)
    assert (payout.kind, reversal.kind) == ("payout", "reversal")
    assert reversal.amount_fen == -payout.amount_fen == -body["amount_fen"]
    assert reversal.tx_hash.startswith("0x")
    assert claim_of(insurer_context, claimable.settlement_id).status == ClaimStatus.REVERSED
    on_chain = network.registries().claims.claim_of(
        claimable.settlement_id, network.insurer.address
    )
    assert on_chain.reversed
    assert reconcile(insurer_context) == []
