"""Everything the scenario's steps share: the network, the desks, the patients, the ledger."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from trustshare.bureau.context import BureauContext
from trustshare.network import RunningNetwork
from trustshare.scenario.bureau_desk import BureauDesk
from trustshare.scenario.cast import Casting, Person
from trustshare.scenario.chain import ChainWatch, Tx
from trustshare.scenario.checks import Checks
from trustshare.scenario.insurer_desk import InsurerDesk
from trustshare.scenario.ledger import Ledger
from trustshare.scenario.text import Echo
from trustshare.scenario.wallets import Patient, PatientApp

#: How a region's hospitals number their bills.
REGION_CODES = {"beijing": "BJ", "shanghai": "SH", "guangzhou": "GZ"}


@dataclass
class Stage:
    """One run of the scenario on one running network."""

    echo: Echo
    network: RunningNetwork
    chain: ChainWatch
    app: PatientApp
    bureaus: dict[str, BureauDesk]
    """By region."""
    insurers: dict[str, InsurerDesk]
    """By registered name."""
    hospitals: dict[str, str]
    """Region → the hospital of that region."""
    casting: Casting
    checkpoint: Callable[[], None] = lambda: None
    """Called at every line printed: raises to interrupt the scenario (Ctrl-C, SIGTERM)."""
    checks: Checks = field(default_factory=Checks)
    ledger: Ledger = field(default_factory=Ledger)
    patients: dict[str, Patient] = field(default_factory=dict)
    start_block: int = 0
    bills: int = 0
    """Bills issued so far (their numbers follow each other across hospitals)."""
    databases: dict[str, BureauContext] = field(default_factory=dict)
    """A bureau's own database, opened as its staff would (by region, on first use)."""

    @property
    def cast(self) -> tuple[Person, ...]:
        """The patients of this run."""
        return self.casting.patients

    def step(self, number: int, title: str) -> None:
        """Print a step's heading."""
        self.checkpoint()
        self.echo(f"\n[{number}] {title}")

    def say(self, line: str, *, depth: int = 1) -> None:
        """Print one line of a step, indented ``depth`` levels."""
        self.checkpoint()
        self.echo("  " * depth + line)

    def tx(self, what: str, tx: Tx | None, *, depth: int = 2) -> None:
        """Print a transaction line (``what``, hash, block, gas)."""
        self.say(f"{what:<34} {tx.text() if tx else 'tx not found on chain'}", depth=depth)

    def setl_id(self, hospital_region: str) -> str:
        """The next bill's settlement number, prefixed by the hospital's region."""
        self.bills += 1
        prefix = REGION_CODES.get(hospital_region, hospital_region[:2].upper())
        return f"{prefix}-SETL-DEMO-{self.bills:04d}"

    def claim_tx(self, view: dict[str, Any]) -> None:
        """Print the transaction that recorded a claim (and how many it recorded)."""
        tx_hash = view.get("tx_hash")
        if not tx_hash:
            self.tx("ClaimRegistry.recordClaim", None)
            return
        count = self.chain.claims_recorded_in(str(tx_hash))
        what = "ClaimRegistry.recordClaim"
        if count > 1:
            what = f"ClaimRegistry.recordClaims ({count} claims)"
        self.tx(what, self.chain.tx(str(tx_hash)))

    def home(self, patient: Patient) -> BureauDesk:
        """The patient's home bureau (their insurance region's)."""
        return self.bureaus[patient.person.region]

    def patient(self, person: Person) -> Patient:
        """The patient of ``person``."""
        return self.patients[person.key]

    def bureau_database(self, region: str) -> BureauContext:
        """The bureau's database and keys, from its node's config (what its staff can reach)."""
        if region not in self.databases:
            settings = self.bureaus[region].node.settings()
            self.databases[region] = BureauContext.from_settings(settings)
        return self.databases[region]

    def close(self) -> None:
        """Close every connection the scenario opened."""
        for context in self.databases.values():
            context.engine.dispose()
        for bureau in self.bureaus.values():
            bureau.close()
        for insurer in self.insurers.values():
            insurer.close()

    @property
    def insurer_names(self) -> dict[str, str]:
        """Chain address → registered name, for every insurer."""
        return {desk.address: name for name, desk in self.insurers.items()}
