"""A queued claim wakes the node's claim sender: it is recorded now, not at the next poll."""

from __future__ import annotations

import dataclasses
import time

from fastapi.testclient import TestClient

from trustshare.crypto.leaves import SettlementLeaf
from trustshare.insurer.app import create_app
from trustshare.insurer.context import InsurerContext

from .claims_support import OPERATOR_TOKEN, bureau_url, claimable, post_claim

__all__ = ["bureau_url", "claimable"]

POLL_MS = 60_000
"""The sender's own round: far longer than the test waits."""


def test_a_queued_claim_is_recorded_without_waiting_for_the_senders_round(
    insurer_context: InsurerContext, claimable: SettlementLeaf, bureau_url: str
) -> None:
    settings = insurer_context.settings.model_copy(
        update={"run_claim_sender": True, "claim_sender_poll_ms": POLL_MS}
    )
    node = dataclasses.replace(insurer_context, settings=settings)
    headers = {"Authorization": f"Bearer {OPERATOR_TOKEN}"}
    with TestClient(create_app(settings, context=node), headers=headers) as client:
        time.sleep(0.5)  # the sender's first round (nothing to do) is over; it now sleeps
        filed = post_claim(client, claimable.settlement_id, "wake-1").json()
        assert filed["status"] == "queued"
        deadline = time.monotonic() + POLL_MS / 1000 / 3
        claim = filed
        while claim["status"] != "recorded" and time.monotonic() < deadline:
            time.sleep(0.05)
            claim = client.get(f"/v1/claims/{filed['claim_id']}").json()
    assert claim["status"] == "recorded", claim
