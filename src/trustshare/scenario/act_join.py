"""Steps 1–3: each patient's wallet is bound, consents are signed, policies are bought.

1. Binding: the home bureau's counter checks the person, stores their enrollment record (and,
   for an employee, credits the personal account) and issues a voucher; the wallet redeems it
   with a request signed by its own key, and the bureau binds it on chain.
2. Consent: the patient signs an EIP-712 consent per insurer in the wallet; the bureau relays it.
3. One-click enrollment: the insurer fetches the enrollment record under the UNDERWRITING
   consent, verifies it against the chain and issues the policy — paid, for an employee, from the
   personal account with a premium debit the wallet signs.
"""

from __future__ import annotations

from datetime import date

from trustshare.chain.registries import PermissionStatus
from trustshare.crypto.vocabulary import Purpose, Scope
from trustshare.scenario.cast import Cover
from trustshare.scenario.stage import Stage
from trustshare.scenario.text import CHINA, short, yuan
from trustshare.scenario.wallets import Patient
from trustshare.wallet.report import terms_text


def bind_everyone(stage: Stage) -> None:
    """Step 1."""
    stage.step(1, "Binding: a key on each patient's phone, bound to the person by the home bureau")
    year = date.today().year
    for person in stage.cast:
        patient = stage.patient(person)
        bureau = stage.home(patient)
        stage.say(f"{person.name} ({person.profile})")
        stage.say(
            f"wallet {patient.wallet.address} (a new key, in an encrypted keystore on the "
            "patient's phone)",
            depth=2,
        )
        stored = bureau.record_enrollment(person, year)
        stage.say(
            f"counter of {bureau.name}: ID checked; enrollment record "
            f"{short(stored['enrollment_id'])} ({person.insurance_type}, {year}) queued for an "
            "ENROLLMENT batch on chain",
            depth=2,
        )
        for month, amount in enumerate(person.contributions_fen, start=1):
            credited = bureau.credit(
                person, amount, f"{year}-{month:02d}/contribution/{person.key}"
            )
            stage.say(
                f"employer contribution {yuan(amount)} yuan credited to the personal account → "
                f"balance {yuan(int(credited['balance_after_fen']))} yuan",
                depth=2,
            )
        voucher = bureau.voucher(person)
        receipt = stage.app.bind(patient, bureau.node.url, voucher)
        stage.say(
            f"voucher issued (no ID number in it); the wallet redeems it with a request signed by "
            f"its key → pseudonym {short(receipt.pseudonym)}",
            depth=2,
        )
        stage.tx("ConsentRegistry.bindWallet", stage.chain.binding_tx(patient.pseudonym))
    bound = [
        stage.chain.registries.consents.binding_of(stage.patient(p).pseudonym)[0]
        == stage.patient(p).wallet.address
        for p in stage.cast
    ]
    stage.checks.expect(
        f"binding: every wallet bound on chain to its pseudonym by its home bureau ({len(bound)})",
        all(bound),
        f"{bound.count(False)} wallets are not bound",
    )


def consent_everyone(stage: Stage) -> None:
    """Step 2."""
    stage.step(
        2,
        "Consent: each patient signs EIP-712 consents in the wallet; the home bureau relays them "
        "(no gas for the patient)",
    )
    permitted = []
    for person in stage.cast:
        patient = stage.patient(person)
        for insurer in person.insurers:
            terms, submitted = stage.app.grant(patient, insurer)
            stage.ledger.consents["granted"] += 1
            stage.say(f"{person.name} → {terms_text(insurer, terms, CHINA)} (CST)")
            tx = stage.chain.tx(submitted.tx_hash) if submitted.tx_hash else None
            stage.tx("ConsentRegistry.grantBySig", tx)
            status = stage.chain.registries.consents.permission_of(
                patient.pseudonym,
                stage.insurers[insurer].address,
                Scope.SETTLEMENT_SUMMARY,
                Purpose.CLAIM,
            )
            permitted.append(status is PermissionStatus.PERMITTED)
    stage.checks.expect(
        f"consent: every signed consent is in force on chain ({len(permitted)})",
        all(permitted),
        f"{permitted.count(False)} consents are not in force",
    )


def enroll_everyone(stage: Stage) -> None:
    """Step 3."""
    stage.step(
        3,
        "One-click enrollment (一键投保): the insurer fetches the enrollment record under the "
        "UNDERWRITING consent, verifies it against the chain, issues the policy",
    )
    issued = []
    for person in stage.cast:
        patient = stage.patient(person)
        for cover in person.covers:
            issued.append(enroll(stage, patient, cover))
    stage.checks.expect(
        f"one-click enrollment: every policy issued and active ({len(issued)})",
        all(issued),
        f"{issued.count(False)} enrollments did not end in an active policy",
    )


def enroll(stage: Stage, patient: Patient, cover: Cover) -> bool:
    """One policy; with a premium, paid from the personal account. Whether it is active."""
    insurer = stage.insurers[cover.insurer]
    bureau = stage.home(patient)
    premium = None
    before = 0
    if cover.premium_fen is not None:
        before = int(bureau.statement(patient.wallet, patient.pseudonym)["balance_fen"])
        premium = stage.app.sign_premium(patient, cover.insurer, cover.product, cover.premium_fen)
    policy = insurer.enroll(patient.wallet, patient.pseudonym, cover.product, premium)
    patient.policies[cover.product] = str(policy["policy_number"])
    stage.ledger.policies.append(policy)
    cover_from = policy["valid_from"][:10]
    cover_to = policy["valid_to"][:10]
    stage.say(
        f"{patient.name} ← {insurer.name} {cover.product}: record verified (sealed to the insurer, "
        f"commitment and batch proof checked on chain) → policy {policy['policy_number']}, "
        f"{policy['status']}, cover {cover_from} → {cover_to}"
    )
    active: bool = policy["status"] == "active"
    if premium is not None and cover.premium_fen is not None:
        receipt = policy.get("premium_receipt") or {}
        after = int(bureau.statement(patient.wallet, patient.pseudonym)["balance_fen"])
        signed = stage.app.receipt_holds(premium, receipt)
        stage.say(
            f"premium {yuan(cover.premium_fen)} yuan paid from the personal account: debit "
            f"signed by the wallet (EIP-712), booked once by {bureau.name} as entry "
            f"{receipt.get('entry_id')}; the bureau's signed receipt "
            f"{'checks out' if signed else 'does NOT check out'}; balance {yuan(before)} → "
            f"{yuan(after)} yuan",
            depth=2,
        )
        active = active and signed and before - after == cover.premium_fen
    return active
