"""What happened to whom, as the scenario saw it: settlements, payments at the window, claims.

The report's tables and summary are computed from this ledger; amounts are the nodes' answers
(integer fen), never the scenario's own arithmetic.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class WindowPayment:
    """One commercial layer at the window, as the bureau's combined answer shows it."""

    order: int
    insurer: str
    product: str
    computed_fen: int
    authorised_fen: int
    status: str
    authorisation_id: str | None

    @property
    def claim_id(self) -> str | None:
        """The insurer's window claim for this layer (``cl_`` + the authorisation's hex)."""
        if self.authorisation_id is None or self.authorised_fen == 0:
            return None
        return "cl_" + self.authorisation_id.removeprefix("ra_")


@dataclass
class Settled:
    """One settlement record of a patient, from the bureau's combined answer."""

    patient: str
    bureau: str
    hospital: str
    answer: dict[str, Any]
    payers: list[WindowPayment]
    superseded: bool = False

    @classmethod
    def of(
        cls, patient: str, bureau: str, answer: dict[str, Any], insurer_names: dict[str, str]
    ) -> Settled:
        """Read the bureau's answer; insurers are named by their registered names."""
        payers = [
            WindowPayment(
                int(payer["order"]),
                insurer_names.get(str(payer["insurer"]), str(payer["insurer"])),
                str(payer["product"]),
                int(payer["computed_fen"]),
                int(payer["authorised_fen"]),
                str(payer["status"]),
                payer.get("authorisation_id"),
            )
            for payer in answer["payers"]
        ]
        return cls(patient, bureau, str(answer["hospital"]), answer, payers)

    def fen(self, name: str) -> int:
        """An amount of the answer (``medfee_sumamt``, ``basic_fund_fen`` …)."""
        return int(self.answer[name])

    @property
    def setl_id(self) -> str:
        """The hospital's settlement number."""
        return str(self.answer["setl_id"])

    @property
    def settlement_id(self) -> str:
        """The on-chain settlement id (0x-hex)."""
        return str(self.answer["settlement_id"])


@dataclass
class ClaimSeen:
    """An insurer's claim as its node last showed it."""

    patient: str
    insurer: str
    view: dict[str, Any]

    @property
    def status(self) -> str:
        """``recorded``, ``refused``, ``reversed`` and so on."""
        return str(self.view["status"])

    @property
    def origin(self) -> str:
        """``fast`` or ``window``."""
        return str(self.view.get("origin") or "fast")

    @property
    def amount_fen(self) -> int:
        """What the claim paid (0 if nothing)."""
        return int(self.view.get("amount_fen") or 0)

    @property
    def reason(self) -> str:
        """The refusal's code (empty if none)."""
        reason = self.view.get("reason") or {}
        return str(reason.get("code") or "")


@dataclass
class Ledger:
    """Everything the report needs."""

    settlements: list[Settled] = field(default_factory=list)
    claims: dict[tuple[str, str], ClaimSeen] = field(default_factory=dict)
    refused_bills: list[tuple[str, str]] = field(default_factory=list)
    policies: list[dict[str, Any]] = field(default_factory=list)
    consents: Counter[str] = field(default_factory=Counter)

    def settled(self, record: Settled) -> Settled:
        """Note a settlement (a refund marks the one it supersedes)."""
        supersedes = record.answer.get("supersedes")
        for earlier in self.settlements:
            if supersedes is not None and earlier.settlement_id == supersedes:
                earlier.superseded = True
        self.settlements.append(record)
        return record

    def claim(self, patient: str, insurer: str, view: dict[str, Any]) -> ClaimSeen:
        """Note a claim as it stands now (a later view of the same claim replaces it)."""
        seen = ClaimSeen(patient, insurer, view)
        self.claims[(insurer, str(view["claim_id"]))] = seen
        return seen

    def settlements_of(self, patient: str) -> list[Settled]:
        """The patient's settlements, in order."""
        return [record for record in self.settlements if record.patient == patient]

    def claims_on(self, settlement_id: str) -> list[ClaimSeen]:
        """The claims seen on one settlement."""
        return [c for c in self.claims.values() if c.view["settlement_id"] == settlement_id]
