"""The scenario's steps in order, each feeding the next; a step that cannot go on ends it.

A step stops on a node's unexpected refusal, a timeout, a wallet or chain error: that is
recorded as a miss (with the reason) and the later steps, which depend on it, are not played.
"""

from __future__ import annotations

from collections.abc import Callable

import httpx

from trustshare.chain.errors import ChainError
from trustshare.scenario import act_claims, act_discharge, act_join, act_refusals
from trustshare.scenario.act_claims import Travel
from trustshare.scenario.ledger import Settled
from trustshare.scenario.stage import Stage
from trustshare.scenario.waiting import ScenarioError
from trustshare.wallet.errors import WalletError

#: What stops a step: a node's refusal, a timeout, a chain or wallet error.
STEP_ERRORS = (ScenarioError, WalletError, ChainError, httpx.HTTPError, LookupError, TimeoutError)


class Script:
    """One playing of the scenario on a stage."""

    def __init__(self, stage: Stage) -> None:
        """Play on ``stage`` with its casting."""
        self.stage = stage
        self.discharged: list[Settled] = []
        self.travel: Travel | None = None

    def steps(self) -> list[tuple[str, Callable[[], None]]]:
        """Each step's name and what it does, in order."""
        return [
            ("binding", self.binding),
            ("consent", self.consent),
            ("one-click enrollment", self.enrollment),
            ("discharge", self.discharge),
            ("clearing", self.clearing),
            ("cross-province fast claim", self.cross_province),
            ("refund", self.refund),
            ("revoked consent", self.revoked_consent),
            ("tampered record", self.tampered_record),
            ("access logs", self.access_logs),
        ]

    def play(self) -> None:
        """Every step, until one cannot go on."""
        for name, step in self.steps():
            try:
                step()
            except STEP_ERRORS as error:
                self.stage.echo(f"\n✗ the {name} step could not go on: {error}")
                self.stage.checks.stopped(name, str(error))
                return

    def binding(self) -> None:
        """Step 1."""
        act_join.bind_everyone(self.stage)

    def consent(self) -> None:
        """Step 2."""
        act_join.consent_everyone(self.stage)

    def enrollment(self) -> None:
        """Step 3."""
        act_join.enroll_everyone(self.stage)

    def discharge(self) -> None:
        """Step 4."""
        self.discharged = act_discharge.discharges(self.stage)

    def clearing(self) -> None:
        """Step 5."""
        act_discharge.clearing(self.stage, self.discharged)

    def cross_province(self) -> None:
        """Step 6."""
        self.travel = act_claims.cross_province(self.stage, self.stage.casting.traveller)

    def refund(self) -> None:
        """Step 7."""
        if self.travel is None:
            raise ScenarioError("there is no cross-province settlement to refund")
        claim_again = self.stage.casting.claims_refund
        act_claims.refund(self.stage, self.travel, claim_again=claim_again)

    def revoked_consent(self) -> None:
        """Step 8."""
        act_refusals.revoked_consent(self.stage, self.stage.casting.revoker)

    def tampered_record(self) -> None:
        """Step 9."""
        act_refusals.tampered_record(self.stage, self.stage.casting.tampered)

    def access_logs(self) -> None:
        """Step 10."""
        act_refusals.access_logs(self.stage)
