"""The demo's third act: insurer nodes enroll the patient in one click and pay at the window.

Two real insurer nodes (uvicorn on loopback, SQLite each, keys from the dev network) register
their endpoints on-chain. The bureau commits the patient's enrollment record; the patient signs
an UNDERWRITING + DIRECT_SETTLEMENT consent (relayed by the bureau node) and asks Insurer A for
a policy, which the node issues only after verifying the record against the chain; at discharge
the patient shows Insurer A's policy code and the hospital's one confirmation comes back with
the commercial layer authorised by Insurer A in real time.
"""

from __future__ import annotations

import json
import secrets
import time
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from datetime import datetime, timedelta, timezone
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx
from eth_account.signers.local import LocalAccount
from pydantic import SecretStr

from trustshare.bureau.context import BureauContext
from trustshare.chain.toolchain import find_checkout
from trustshare.crypto.eip712 import ConsentDomain, ConsentTerms, sign_grant, sign_revocation
from trustshare.crypto.vocabulary import Purpose, Scope
from trustshare.demo_bureau import serving
from trustshare.demo_tamper import rewrite_settlement, wait_until_committed
from trustshare.devnet import DemoInsurer, DevNetwork
from trustshare.domain import format_yuan
from trustshare.gateway.signing import sign_request
from trustshare.insurer.app import create_app
from trustshare.insurer.keystore import Keystore, SealingKeyEntry
from trustshare.insurer.settings import InsurerSettings
from trustshare.storage.insurer_migrate import upgrade

Echo = Callable[[str], None]
PRODUCT = "enterprise-supplementary"
YEAR = 365 * 86_400


def expect(outcome: bool, what: str) -> None:
    """Stop the demo (exit ≠ 0) when an expected outcome did not happen."""
    if not outcome:
        raise RuntimeError(f"unexpected outcome: {what}")


class InsurerScenario:
    """Steps 11–13: insurer nodes, one-click enrollment, a discharge paid at the window."""

    def __init__(
        self,
        network: DevNetwork,
        echo: Echo,
        workdir: Path,
        patient: LocalAccount,
        pseudonym: bytes,
        id_number: str,
    ) -> None:
        self.network = network
        self.echo = echo
        self.workdir = workdir
        self.patient = patient
        self.pseudonym = pseudonym
        self.id_number = id_number
        self.claims_token = secrets.token_urlsafe(24)  # the insurers' claims staff
        self.window_claims: list[str] = []

    def run(self, bureau: httpx.Client, context: BureauContext, tokens: dict[str, str]) -> None:
        """Serve both insurer nodes and walk the steps against the running bureau."""
        with ExitStack() as stack:
            urls = [stack.enter_context(self.serve(insurer)) for insurer in self.network.insurers]
            self.echo("\n[11] Insurer nodes (own database and keystore each) on loopback:")
            for insurer, url in zip(self.network.insurers, urls, strict=True):
                registries = self.network.registries(insurer.account)
                outcome = registries.participants.update_endpoint(insurer.account.address, url)
                self.echo(
                    f"    {insurer.name} at {url}  endpoint on-chain: tx "
                    f"{outcome.tx_hash[:18]}…  gas {outcome.gas_used:,}"
                )
            insurer, url = self.network.insurers[0], urls[0]
            self.enroll(bureau, tokens, insurer, url)
            self.discharge(bureau, tokens, insurer, url)
            self.clearing(insurer, url)
            self.fast_claims(bureau, tokens, insurer, url)
            self.tampered(bureau, tokens, context, insurer, url)
            self.revoked(bureau, tokens, insurer, url)

    @contextmanager
    def serve(self, insurer: DemoInsurer) -> Iterator[str]:
        """One insurer node, its keys being the dev network's for that insurer."""
        slug = insurer.name.lower().replace(" ", "-")
        keystore_file = self.workdir / f"{slug}.keystore.json"
        Keystore(insurer.account, (SealingKeyEntry(insurer.sealing_key, 0),)).write(keystore_file)
        deployment_file = self.workdir / "deployment.json"
        self.network.deployment.write(deployment_file)
        settings = InsurerSettings(
            database_url=f"sqlite:///{self.workdir / (slug + '.db')}",
            rpc_url=self.network.chain.rpc_url,
            deployment_file=deployment_file,
            keystore_file=keystore_file,
            operator_token=SecretStr(self.claims_token),
            holds_interval_s=0.5,
        )
        upgrade(settings.database_url)
        with serving(create_app(settings)) as url:
            yield url

    def enroll(
        self, bureau: httpx.Client, tokens: dict[str, str], insurer: DemoInsurer, url: str
    ) -> None:
        """Step 12: one-click enrollment on a verified enrollment record."""
        self.echo("\n[12] One-click enrollment (一键投保) on verified basic-insurance data")
        operator = {"Authorization": f"Bearer {tokens['operator']}"}
        today = time.strftime("%Y-%m-%d")
        record = {
            "id_number": self.id_number,
            "insurance_type": "resident",
            "region": "beijing",
            "valid_from": f"{today[:4]}-01-01",
            "valid_to": f"{today[:4]}-12-31",
        }
        stored = bureau.post("/v1/enrollments", json=record, headers=operator)
        stored.raise_for_status()
        self.echo(
            f"    bureau commits the enrollment record {stored.json()['enrollment_id'][:18]}…"
        )
        self.relay_consent(bureau, insurer)
        body = json.dumps({"pseudonym": "0x" + self.pseudonym.hex(), "product": PRODUCT}).encode()
        deadline = time.monotonic() + 60
        while True:
            headers = sign_request(self.patient, "POST", "/v1/enrollments", body, now=time.time())
            answer = httpx.post(
                f"{url}/v1/enrollments",
                content=body,
                headers={**headers, "Content-Type": "application/json"},
                timeout=30,
            )
            if answer.status_code != 409 or time.monotonic() > deadline:
                break
            time.sleep(0.3)  # the enrollment record's batch is not committed yet
        answer.raise_for_status()
        policy = answer.json()
        self.policy_number = str(policy["policy_number"])
        self.echo(
            f"    {insurer.name} verified the record (decrypted, commitment, proof on-chain) "
            f"and issued policy {self.policy_number} ({PRODUCT})"
        )

    def relay_consent(self, bureau: httpx.Client, insurer: DemoInsurer) -> None:
        """The patient widens Insurer A's consent; the bureau node relays it (no gas)."""
        now = int(time.time()) - 60
        terms = ConsentTerms(
            self.pseudonym,
            insurer.account.address,
            Scope.ENROLLMENT | Scope.SETTLEMENT_SUMMARY | Scope.FUND_BREAKDOWN,
            Purpose.UNDERWRITING | Purpose.DIRECT_SETTLEMENT | Purpose.CLAIM,
            now,
            now + YEAR,
        )
        consents = self.network.registries().consents
        nonce = consents.nonce_of(self.pseudonym)
        deadline = now + 3600
        domain = ConsentDomain(
            self.network.deployment.chain_id, self.network.deployment.consent_registry
        )
        signature = sign_grant(self.patient.key, domain, terms, nonce, deadline)
        grant: dict[str, Any] = {
            "terms": {
                "pseudonym": "0x" + terms.pseudonym.hex(),
                "insurer": terms.insurer,
                "scopes": terms.scopes,
                "purposes": terms.purposes,
                "not_before": terms.not_before,
                "not_after": terms.not_after,
            },
            "nonce": nonce,
            "deadline": deadline,
            "signature": "0x" + signature.hex(),
        }
        queued = bureau.post("/v1/consents/grants", json=grant)
        queued.raise_for_status()
        relay = f"/v1/consents/relays/{queued.json()['outbox_id']}"
        until = time.monotonic() + 60
        while bureau.get(relay).json()["status"] != "done" and time.monotonic() < until:
            time.sleep(0.2)
        self.echo(
            f"    patient signs UNDERWRITING+DIRECT_SETTLEMENT+CLAIM consent for {insurer.name}; "
            "the bureau node relays it through its outbox"
        )

    def discharge(
        self, bureau: httpx.Client, tokens: dict[str, str], insurer: DemoInsurer, url: str
    ) -> None:
        """Step 13: the patient shows the policy code; the layer is authorised at the window."""
        self.echo("\n[13] Discharge with 商保码: the commercial layer paid at the window")
        path = f"/v1/policies/{self.policy_number}/code"
        headers = sign_request(self.patient, "POST", path, b"", now=time.time())
        code = httpx.post(f"{url}{path}", headers=headers, timeout=30)
        code.raise_for_status()
        examples = find_checkout().root / "docs" / "examples"
        bill = json.loads(
            (examples / "bill-beijing-inpatient.json").read_text(), parse_float=Decimal
        )
        bill["products"] = [{"product": PRODUCT, "pre_existing": False}]
        bill["setl_id"] = "DEMO-0003"
        body = json.loads(
            json.dumps(
                {"id_number": self.id_number, "bill": bill, "policy_codes": [code.json()]},
                default=str,
            )
        )
        hospital = {
            "Authorization": f"Bearer {tokens['hospital']}",
            "Idempotency-Key": "demo-discharge-1",
        }
        answer = bureau.post("/v1/settlements", json=body, headers=hospital)
        answer.raise_for_status()
        settled = answer.json()
        self.window_claims = [
            "cl_" + payer["authorisation_id"].removeprefix("ra_")
            for payer in settled["payers"]
            if payer["authorised_fen"] > 0
        ]
        for payer in settled["payers"]:
            self.echo(
                f"    {insurer.name} ({payer['product']}): computed "
                f"{format_yuan(payer['computed_fen'])}, {payer['status']} "
                f"{format_yuan(payer['authorised_fen'])} yuan in real time"
            )
        self.echo(
            f"    one answer to the hospital: basic {format_yuan(settled['basic_fund_fen'])}, "
            f"critical illness {format_yuan(settled['critical_illness_fen'])}, commercial "
            f"{format_yuan(settled['commercial_paid_fen'])}, patient pays "
            f"{format_yuan(settled['patient_remainder_fen'])} yuan"
        )

    def clearing(self, insurer: DemoInsurer, url: str) -> None:
        """Step 14: once the batch is committed, the window payment becomes a claim on chain."""
        self.echo("\n[14] Clearing: the layer paid at the window is recorded on chain")
        for claim_id in self.window_claims:
            claim = self.follow(url, claim_id)
            expect(claim["status"] == "recorded", f"window claim {claim_id}: {claim}")
            tx = (claim["tx_hash"] or "")[:18]
            self.echo(
                f"    {insurer.name}'s hold → window claim {claim['status']} on chain: "
                f"{format_yuan(claim['amount_fen'] or 0)} yuan (tx {tx}…), counted in the "
                "settlement's ceiling; the ledger settles it with the bureau"
            )

    def fast_claims(
        self, bureau: httpx.Client, tokens: dict[str, str], insurer: DemoInsurer, url: str
    ) -> None:
        """Step 15: a claim paid after discharge, once however often it is asked for."""
        self.echo("\n[15] Fast claims (快赔): discharges settled without the 商保码, claimed after")
        first = self.settle_statutory_only(bureau, tokens, "DEMO-0004")
        paid = self.claim(url, first, "demo-claim-1")
        self.echo(
            f"    {insurer.name} claims DEMO-0004: fetched under CLAIM consent, decrypted, "
            f"verified against the chain → {paid['status']}, paid "
            f"{format_yuan(paid['amount_fen'] or 0)} yuan once (tx {(paid['tx_hash'] or '')[:18]}…)"
        )
        expect(paid["status"] == "recorded" and paid["amount_fen"] > 0, f"DEMO-0004: {paid}")
        again = self.claim(url, first, "demo-claim-1")
        expect(again == paid, "the repeated claim request got another answer")
        self.echo(
            f"    the same request again → {again['status']} "
            "(the first answer, not a second payout)"
        )

    def tampered(
        self,
        bureau: httpx.Client,
        tokens: dict[str, str],
        context: BureauContext,
        insurer: DemoInsurer,
        url: str,
    ) -> None:
        """Step 16: a record rewritten in the bureau's database is refused by the insurer."""
        self.echo("\n[16] A tampered record: rewritten inside the bureau's own database")
        settlement_id = self.settle_statutory_only(bureau, tokens, "DEMO-0006")
        on_chain_id = bytes.fromhex(settlement_id[2:])
        wait_until_committed(context, on_chain_id, timeout=60)
        rewrite_settlement(context, on_chain_id, fund_less_fen=500_000)
        self.echo(
            "    an insider lowers DEMO-0006's basic-fund payment by 5,000.00 yuan and recomputes "
            "its commitment, batch tree and stored root, so the bureau's own checks pass"
        )
        refused = self.claim(url, settlement_id, "demo-claim-tampered")
        reason = refused.get("reason") or {}
        expect(reason.get("code") == "proof_not_committed", f"DEMO-0006: {refused}")
        self.echo(
            f"    {insurer.name} claims DEMO-0006 → {refused['status']}: {reason.get('code')} "
            f"({reason.get('reason')}); nothing paid"
        )

    def revoked(
        self, bureau: httpx.Client, tokens: dict[str, str], insurer: DemoInsurer, url: str
    ) -> None:
        """Step 17: once the patient revokes consent, a claim is refused."""
        self.echo("\n[17] Consent revoked")
        self.revoke(bureau, insurer)
        second = self.settle_statutory_only(bureau, tokens, "DEMO-0005")
        refused = self.claim(url, second, "demo-claim-2")
        reason = refused.get("reason") or {}
        expect(reason.get("code") == "consent_revoked", f"DEMO-0005: {refused}")
        self.echo(
            f"    {insurer.name} claims DEMO-0005 after the patient revoked consent → "
            f"{refused['status']}: {reason.get('code')} ({reason.get('reason')}); nothing paid"
        )

    def settle_statutory_only(
        self, bureau: httpx.Client, tokens: dict[str, str], setl_id: str
    ) -> str:
        """A discharge settled today with no commercial layer at the window."""
        examples = find_checkout().root / "docs" / "examples"
        bill = json.loads(
            (examples / "bill-beijing-inpatient.json").read_text(), parse_float=Decimal
        )
        bill["products"] = []
        bill["setl_id"] = setl_id
        china = timezone(timedelta(hours=8))
        bill["settlement_time"] = datetime.now(china).replace(microsecond=0).isoformat()
        body = json.loads(json.dumps({"id_number": self.id_number, "bill": bill}, default=str))
        headers = {"Authorization": f"Bearer {tokens['hospital']}", "Idempotency-Key": setl_id}
        answer = bureau.post("/v1/settlements", json=body, headers=headers)
        answer.raise_for_status()
        return str(answer.json()["settlement_id"])

    def claim(self, url: str, settlement_id: str, key: str) -> dict[str, Any]:
        """File the claim as the insurer's claims staff and follow it until it settles."""
        headers = {"Authorization": f"Bearer {self.claims_token}", "Idempotency-Key": key}
        body = {"settlement_id": settlement_id, "product": PRODUCT}
        filed = httpx.post(f"{url}/v1/claims", json=body, headers=headers, timeout=30)
        filed.raise_for_status()
        return self.follow(url, filed.json()["claim_id"])

    def follow(self, url: str, claim_id: str) -> dict[str, Any]:
        """The claim once it is recorded or refused (or as it stands after 90 s)."""
        deadline = time.monotonic() + 90
        auth = {"Authorization": f"Bearer {self.claims_token}"}
        while True:
            answer = httpx.get(f"{url}/v1/claims/{claim_id}", headers=auth, timeout=30)
            claim: dict[str, Any] = answer.json()
            done = answer.status_code == 200 and claim["status"] in ("recorded", "refused")
            if done or time.monotonic() > deadline:
                return claim
            time.sleep(0.3)

    def revoke(self, bureau: httpx.Client, insurer: DemoInsurer) -> None:
        """The patient withdraws Insurer A's consent; the bureau node relays the revocation."""
        consents = self.network.registries().consents
        current = consents.consent_of(self.pseudonym, insurer.account.address)
        deadline = int(time.time()) + 3600
        domain = ConsentDomain(
            self.network.deployment.chain_id, self.network.deployment.consent_registry
        )
        signature = sign_revocation(
            self.patient.key,
            domain,
            self.pseudonym,
            insurer.account.address,
            current.consent_id,
            deadline,
        )
        revocation = {
            "pseudonym": "0x" + self.pseudonym.hex(),
            "insurer": insurer.account.address,
            "consent_id": "0x" + current.consent_id.hex(),
            "deadline": deadline,
            "signature": "0x" + signature.hex(),
        }
        queued = bureau.post("/v1/consents/revocations", json=revocation)
        queued.raise_for_status()
        relay = f"/v1/consents/relays/{queued.json()['outbox_id']}"
        until = time.monotonic() + 60
        while bureau.get(relay).json()["status"] != "done" and time.monotonic() < until:
            time.sleep(0.2)
        self.echo(
            f"    the patient revokes {insurer.name}'s consent (signed, relayed by the bureau)"
        )
