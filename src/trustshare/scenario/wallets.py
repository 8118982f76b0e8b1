"""Each patient's app: a wallet of :mod:`trustshare.wallet`, its key in an encrypted keystore.

Everything the patient does goes through the wallet's public functions — key creation, binding
with a voucher from the bureau's counter, consents signed locally (EIP-712) and relayed by the
bureau, the access log checked against the chain. The one thing the wallet package does not
offer yet, signing a premium debit for the personal account, is done here with
:mod:`trustshare.crypto.premium`.
"""

from __future__ import annotations

import secrets
import shutil
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from eth_account.signers.local import LocalAccount

from trustshare.crypto.eip712 import ConsentTerms
from trustshare.crypto.errors import CryptoError
from trustshare.crypto.premium import (
    PremiumDebit,
    PremiumDomain,
    SignedPremiumDebit,
    SignedPremiumReceipt,
    sign_premium_debit,
)
from trustshare.scenario.cast import CONSENT_DAYS, CONSENT_PURPOSES, CONSENT_SCOPES, Person
from trustshare.scenario.text import CHINA
from trustshare.wallet.access_log import CheckedEntry, check_log
from trustshare.wallet.bureau_client import BindingReceipt, BureauClient
from trustshare.wallet.consents import (
    BureauRelay,
    Submitted,
    plan_grant,
    plan_revocation,
)
from trustshare.wallet.keystore import create_keystore, unlock
from trustshare.wallet.network import Binding, NetworkView
from trustshare.wallet.terms import WindowRequest

RELAY_TIMEOUT_S = 60.0
BINDING_TIMEOUT_S = 60.0
PREMIUM_DEADLINE_S = 600


@dataclass
class Patient:
    """A patient of the scenario: who they are, their wallet, and what the chain binds it to."""

    person: Person
    keystore: Path
    wallet: LocalAccount = field(repr=False)
    binding: Binding | None = None
    policies: dict[str, str] = field(default_factory=dict)
    """Product → policy number, as the insurers issued them."""

    @property
    def name(self) -> str:
        """The patient's name."""
        return self.person.name

    @property
    def pseudonym(self) -> bytes:
        """The keyed pseudonym the wallet is bound to (after :meth:`PatientApp.bind`)."""
        if self.binding is None:
            raise RuntimeError(f"{self.name}'s wallet is not bound yet")
        return self.binding.pseudonym


def create_patient(person: Person, directory: Path) -> Patient:
    """A new key in an encrypted keystore under ``directory``, unlocked for the scenario.

    The password is random and kept only in memory: the scenario is the patient's phone.
    """
    path = directory / person.key / "keystore.json"
    password = secrets.token_urlsafe(16)
    create_keystore(path, password)
    return Patient(person, path, unlock(path, password))


class PatientApp:
    """The wallet software every patient runs, pointed at the network's chain."""

    def __init__(self, rpc_url: str, deployment_file: Path) -> None:
        """Read the registries of the deployment in ``deployment_file`` on ``rpc_url``."""
        self.network = NetworkView.connect(rpc_url, deployment_file)

    def bind(self, patient: Patient, bureau_url: str, voucher: str) -> BindingReceipt:
        """Redeem the counter's voucher (the request signed with the wallet's key); wait for it."""
        with BureauClient(bureau_url) as bureau:
            receipt = bureau.request_binding(patient.wallet, voucher)
        patient.binding = self.network.wait_for_binding(
            patient.wallet.address, receipt.pseudonym, BINDING_TIMEOUT_S
        )
        return receipt

    def bureau_url(self, patient: Patient) -> str:
        """The URL of the bureau that bound the wallet, from the Participants registry."""
        return self.network.bureau_url(None, patient.binding)

    def grant(self, patient: Patient, insurer: str) -> tuple[ConsentTerms, Submitted]:
        """Sign the scenario's consent to ``insurer`` and have the home bureau relay it."""
        binding = self._binding(patient)
        window = WindowRequest(days=CONSENT_DAYS)
        terms = plan_grant(
            self.network, binding, insurer, CONSENT_SCOPES, CONSENT_PURPOSES, window, CHINA
        )
        with BureauClient(self.bureau_url(patient)) as bureau:
            relay = BureauRelay(self.network, bureau, RELAY_TIMEOUT_S)
            return terms, relay.grant(patient.wallet, terms)

    def revoke(self, patient: Patient, insurer: str) -> Submitted:
        """Sign the revocation of the consent to ``insurer``; the home bureau relays it."""
        revocation = plan_revocation(self.network, self._binding(patient), insurer)
        with BureauClient(self.bureau_url(patient)) as bureau:
            return BureauRelay(self.network, bureau, RELAY_TIMEOUT_S).revoke(
                patient.wallet, revocation
            )

    def access_log(self, patient: Patient) -> list[CheckedEntry]:
        """The patient's access log at the home bureau, each entry checked against the chain."""
        binding = self._binding(patient)
        with BureauClient(self.bureau_url(patient)) as bureau:
            served_by = bureau.health()
            entries = bureau.access_log(patient.wallet, binding.pseudonym)
        return check_log(
            entries, binding.pseudonym, served_by, self.network.registries.attestations
        )

    def sign_premium(
        self, patient: Patient, insurer: str, product: str, amount_fen: int
    ) -> SignedPremiumDebit:
        """Authorise the home bureau to pay ``amount_fen`` from the personal account, once."""
        binding = self._binding(patient)
        debit = PremiumDebit(
            pseudonym=binding.pseudonym,
            bureau=binding.bureau,
            insurer=self.network.find_insurer(insurer).address,
            policy_reference=product,
            amount_fen=amount_fen,
            debit_id=secrets.token_bytes(32),
            deadline=self.network.chain_now() + PREMIUM_DEADLINE_S,
        )
        return sign_premium_debit(patient.wallet.key, self._premium_domain(), debit)

    def receipt_holds(self, premium: SignedPremiumDebit, receipt: dict[str, Any]) -> bool:
        """Whether ``receipt`` is the home bureau's signed receipt of exactly this debit."""
        try:
            signed = SignedPremiumReceipt.from_json_dict(receipt)
            signed.verify(self._premium_domain(), premium.debit)
        except CryptoError:
            return False
        return True

    def _premium_domain(self) -> PremiumDomain:
        deployment = self.network.deployment
        return PremiumDomain(deployment.chain_id, deployment.consent_registry)

    def _binding(self, patient: Patient) -> Binding:
        if patient.binding is None:
            patient.binding = self.network.require_binding(patient.wallet.address)
        return patient.binding


class Phones:
    """The patients' phones making their keys (scrypt is slow) while the network starts."""

    def __init__(self, cast: tuple[Person, ...], directory: Path) -> None:
        """Keys for ``cast``, in ``directory`` (emptied first: it is the demo's own)."""
        self.cast = cast
        self.directory = directory
        self._pool = ThreadPoolExecutor(max_workers=len(cast), thread_name_prefix="phone")
        self._made: list[Future[Patient]] = []

    def start(self) -> None:
        """Begin making the keys (once)."""
        if self._made:
            return
        shutil.rmtree(self.directory, ignore_errors=True)
        self._made = [self._pool.submit(create_patient, p, self.directory) for p in self.cast]

    def patients(self) -> dict[str, Patient]:
        """Every patient by key, once their wallet is made."""
        self.start()
        made = [future.result() for future in self._made]
        return {patient.person.key: patient for patient in made}

    def close(self) -> None:
        """Wait for the threads (each finishes the key it is making)."""
        self._pool.shutdown(wait=True, cancel_futures=True)
