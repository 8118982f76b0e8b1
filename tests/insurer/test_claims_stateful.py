"""A stateful property test of fast claims: random claims (alone and in bulks), repeats,
revocations, corrections, another insurer's claims, crashes and restarts, against the real
bureau node and anvil.

Invariants after every step: each settlement is paid at most once by this insurer; all insurers'
active claims on a settlement stay within its ceiling; every ledger row matches the chain (a
payout: this insurer's claim of that amount; a reversal: that claim reversed). After a restart
the ledger and the chain agree exactly (reconciliation finds nothing).
"""

from __future__ import annotations

import contextlib
import itertools
from collections import Counter
from typing import Any

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    Bundle,
    RuleBasedStateMachine,
    initialize,
    invariant,
    precondition,
    rule,
    run_state_machine_as_test,
)
from sqlalchemy import delete

from trustshare.bureau.context import BureauContext
from trustshare.chain.errors import ContractRevert
from trustshare.chain.registries import PermissionStatus
from trustshare.chain.registries.claims import ClaimRequest
from trustshare.crypto.leaves import SettlementLeaf
from trustshare.crypto.vocabulary import Purpose, Scope
from trustshare.insurer.api_claims import BULK_PATH
from trustshare.insurer.claim_outbox import ClaimSender
from trustshare.insurer.context import InsurerContext
from trustshare.insurer.reconcile import reconcile
from trustshare.storage.database import transaction
from trustshare.storage.insurer_models import (
    ClaimOutboxEntry,
    ClaimRequestKey,
    ClaimRow,
    PayoutRow,
)

from ..bureau.release_support import PSEUDONYM, store_settlement
from ..conftest import Network
from .claims_support import (
    batch_proof,
    bureau_url,
    claim_record,
    claims_client,
    consent_to_claims,
    ledger,
    post_claim,
    ready_insurer,
    revoke_claims_consent,
)
from .realtime_support import PRODUCT
from .test_claims_recovery import Crash, CrashingSender

__all__ = ["bureau_url"]

NUMBERS = itertools.count()


def _chain_call(network: Network, method: str, *params: Any) -> Any:
    return network.w3.provider.make_request(method, list(params))["result"]  # type: ignore[arg-type]


def _forget_claims(context: InsurerContext) -> None:
    with transaction(context.sessions) as session:
        for table in (ClaimRequestKey, ClaimOutboxEntry, PayoutRow, ClaimRow):
            session.execute(delete(table))


def test_random_claim_histories_pay_at_most_once_within_the_ceiling(
    bureau_context: BureauContext,
    insurer_context: InsurerContext,
    network: Network,
    bureau_url: str,
) -> None:
    ready_insurer(network, insurer_context)
    consent_to_claims(network, network.insurer_b)
    groups, _, ceiling = claim_record()
    consents = network.registries().consents
    chain_claims = network.registries().claims
    created: list[SettlementLeaf] = []
    snapshot = [_chain_call(network, "evm_snapshot")]

    def permitted() -> bool:
        status = consents.permission_of(
            PSEUDONYM, network.insurer.address, Scope.SETTLEMENT_SUMMARY, Purpose.CLAIM
        )
        return status is PermissionStatus.PERMITTED

    class FastClaims(RuleBasedStateMachine):
        settlements = Bundle("settlements")

        @initialize()
        def start(self) -> None:
            # Every example starts from the same chain and an empty claims history.
            _chain_call(network, "evm_revert", snapshot[0])
            snapshot[0] = _chain_call(network, "evm_snapshot")
            _forget_claims(insurer_context)
            created.clear()
            self.sender = ClaimSender(insurer_context)
            self.superseded: set[bytes] = set()

        @rule(target=settlements)
        def discharge(self) -> SettlementLeaf:
            leaf = store_settlement(
                bureau_context,
                setl_id=f"S-PROP-{next(NUMBERS)}",
                record=groups,
                claim_ceiling_fen=ceiling,
            )
            created.append(leaf)
            self.claim(leaf, fresh_key=False)  # the patient claims at discharge
            return leaf

        @rule(leaf=settlements, fresh_key=st.booleans())
        def claim(self, leaf: SettlementLeaf, fresh_key: bool) -> None:
            """A claim, repeated under the same key or sent again under another."""
            key = f"k-{next(NUMBERS)}" if fresh_key else f"k-{leaf.settlement_id.hex()}"
            with claims_client(insurer_context) as client:
                answer = post_claim(client, leaf.settlement_id, key)
            assert answer.status_code in (200, 202), answer.text

        @rule(leaves=st.lists(settlements, min_size=1, max_size=4), fresh_key=st.booleans())
        def claim_in_bulk(self, leaves: list[SettlementLeaf], fresh_key: bool) -> None:
            """Several settlements in one ``POST /v1/claims/bulk`` (claimed before or not)."""
            unique = list({leaf.settlement_id: leaf for leaf in leaves}.values())
            ids = "-".join(leaf.settlement_id.hex()[-8:] for leaf in unique)
            key = f"b-{next(NUMBERS)}" if fresh_key else f"b-{ids}"
            body = {
                "claims": [
                    {"settlement_id": "0x" + leaf.settlement_id.hex(), "product": PRODUCT}
                    for leaf in unique
                ]
            }
            with claims_client(insurer_context) as client:
                answer = client.post(BULK_PATH, json=body, headers={"Idempotency-Key": key})
            assert answer.status_code == 200, answer.text
            assert len(answer.json()["claims"]) == len(unique)

        @rule(leaf=settlements, share=st.integers(min_value=1, max_value=100))
        def other_insurer_claims(self, leaf: SettlementLeaf, share: int) -> None:
            root, proof = batch_proof(bureau_context, leaf.settlement_id)
            amount = max(1, leaf.claim_ceiling_fen * share // 100)
            # A repeat, over the ceiling, or superseded: the chain refuses.
            claims_b = network.registries(network.insurer_b).claims  # nonces read afresh
            with contextlib.suppress(ContractRevert):
                claims_b.record_claim(ClaimRequest(root, leaf, proof, amount))

        @precondition(lambda self: permitted())
        @rule()
        def revoke(self) -> None:
            revoke_claims_consent(network)

        @precondition(lambda self: not permitted())
        @rule()
        def grant_again(self) -> None:
            consent_to_claims(network)

        @rule(leaf=settlements)
        def correct(self, leaf: SettlementLeaf) -> None:
            if leaf.settlement_id in self.superseded:
                return
            new = store_settlement(
                bureau_context,
                setl_id=f"S-PROP-FIX-{next(NUMBERS)}",
                record=groups,
                claim_ceiling_fen=ceiling,
            )
            old_root, old_proof = batch_proof(bureau_context, leaf.settlement_id)
            new_root, new_proof = batch_proof(bureau_context, new.settlement_id)
            network.registries(network.bureau).attestations.supersede_settlement(
                old_root, leaf, old_proof, new_root, new, new_proof
            )
            self.superseded.add(leaf.settlement_id)

        @rule()
        def send(self) -> None:
            self.sender.run_once()

        @rule()
        def crash_and_restart(self) -> None:
            with contextlib.suppress(Crash):
                CrashingSender(insurer_context).run_once()
            self.sender = ClaimSender(insurer_context)
            self.sender.run_once()
            assert reconcile(insurer_context) == []

        @invariant()
        def paid_at_most_once(self) -> None:
            rows = ledger(insurer_context)
            kinds = Counter((row.settlement_id, row.kind) for row in rows)
            assert all(count == 1 for count in kinds.values())

        @invariant()
        def within_every_ceiling(self) -> None:
            for leaf in created:
                assert chain_claims.total_claimed_fen(leaf.settlement_id) <= leaf.claim_ceiling_fen

        @invariant()
        def every_ledger_row_is_on_chain(self) -> None:
            for row in ledger(insurer_context):
                on_chain = chain_claims.claim_of(row.settlement_id, network.insurer.address)
                if row.kind == "payout":
                    assert on_chain.amount_fen == row.amount_fen
                else:
                    assert on_chain.reversed and on_chain.amount_fen == -row.amount_fen

    run_state_machine_as_test(
        FastClaims,
        settings=settings(
            max_examples=20,
            stateful_step_count=12,
            deadline=None,
            suppress_health_check=[HealthCheck.too_slow],
        ),
    )
