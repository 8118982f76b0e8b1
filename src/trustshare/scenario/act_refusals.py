"""Steps 8–10: a revoked consent and a tampered record, both refused; the patients' access logs.

8. A patient revokes an insurer's consent (signed in the wallet, relayed by the bureau); the
   insurer's claim on a later stay is refused — the bureau releases nothing (``consent_revoked``).
9. An insider rewrites a committed record inside the bureau's own database, consistently
   (commitment, batch tree, stored root): the bureau's checks pass, but the proof no longer
   reaches the root committed on chain, and the insurer refuses (``proof_not_committed``).
10. Each patient's wallet reads the access log at the home bureau and checks every entry's proof
    against the access-log batches the bureau committed on chain.
"""

from __future__ import annotations

from functools import partial

from trustshare.scenario.act_claims import fast_claim
from trustshare.scenario.act_discharge import COMMIT_TIMEOUT_S, breakdown
from trustshare.scenario.bills import BEIJING_INPATIENT, SHANGHAI_SPECIAL_DRUG, visit
from trustshare.scenario.cast import Part, Person
from trustshare.scenario.ledger import Settled
from trustshare.scenario.stage import Stage
from trustshare.scenario.tamper import rewrite_settlement, wait_until_committed
from trustshare.scenario.text import short, yuan
from trustshare.scenario.waiting import poll
from trustshare.scenario.wallets import Patient
from trustshare.wallet.access_log import CheckedEntry, Verdict

TAMPERED_FUND_FEN = 500_000
ACCESS_LOG_TIMEOUT_S = 60.0
CAR_T = "SD-CART-AXI"


def stay_without_codes(stage: Stage, person: Person) -> Settled:
    """A stay at the home region's hospital, settled with no policy code at the window."""
    region = person.region
    hospital = stage.hospitals[region]
    again = bool(stage.ledger.settlements_of(person.key))
    example = SHANGHAI_SPECIAL_DRUG if region == "shanghai" else BEIJING_INPATIENT
    without = (CAR_T,) if example == SHANGHAI_SPECIAL_DRUG else ()
    setl_id = stage.setl_id(region)
    stay = visit(example, person, setl_id, without=without, admission=2 if again else 1)
    answer = stage.bureaus[region].confirm(hospital, person, stay.bill)
    record = Settled.of(person.key, stage.bureaus[region].name, answer, stage.insurer_names)
    stage.ledger.settled(record)
    stage.say(
        f"{person.name} leaves {hospital}{' again' if again else ''}: bill {setl_id}, "
        f"{yuan(stay.total_fen)} yuan, no 商保码 at the window"
    )
    breakdown(stage, record)
    return record


def revoked_consent(stage: Stage, part: Part) -> None:
    """Step 8."""
    person, insurer = part.person, part.insurer
    stage.step(8, f"A revoked consent: {person.name} withdraws {insurer}'s consent")
    patient = stage.patient(person)
    submitted = stage.app.revoke(patient, insurer)
    stage.ledger.consents["revoked"] += 1
    stage.say(
        f"the wallet signs a Revocation of consent {short(submitted.consent_id)}; "
        f"{stage.home(patient).name} relays it"
    )
    stage.tx(
        "ConsentRegistry.revokeBySig",
        stage.chain.tx(submitted.tx_hash) if submitted.tx_hash else None,
    )
    record = stay_without_codes(stage, person)
    claim = fast_claim(stage, record, insurer, part.product)
    stage.checks.expect(
        "revoked consent: the claim refused (consent_revoked), nothing paid",
        claim.status == "refused" and claim.reason == "consent_revoked" and claim.amount_fen == 0,
        f"claim {claim.status} {claim.reason} {claim.amount_fen}",
    )


def tampered_record(stage: Stage, part: Part) -> None:
    """Step 9."""
    person = part.person
    stage.step(
        9, f"A tampered record: {person.name}'s stay, rewritten inside the bureau's database"
    )
    record = stay_without_codes(stage, person)
    database = stage.bureau_database(person.region)
    on_chain_id = bytes.fromhex(record.settlement_id[2:])
    batch = wait_until_committed(database, on_chain_id, timeout=COMMIT_TIMEOUT_S)
    stage.say(f"{record.bureau} commits it in batch {short(batch.root)}")
    stage.tx("AttestationRegistry.commitBatch", stage.chain.tx(str(batch.tx_hash)))
    rewrite_settlement(database, on_chain_id, fund_less_fen=TAMPERED_FUND_FEN)
    stage.say(
        f"an insider lowers the basic fund's payment by {yuan(TAMPERED_FUND_FEN)} yuan in the "
        "bureau's database and recomputes the commitment, the batch tree and the stored root: "
        "the bureau's own checks pass"
    )
    claim = fast_claim(stage, record, part.insurer, part.product)
    stage.checks.expect(
        "tampered record: the claim refused (proof_not_committed), nothing paid",
        claim.status == "refused"
        and claim.reason == "proof_not_committed"
        and claim.amount_fen == 0,
        f"claim {claim.status} {claim.reason} {claim.amount_fen}",
    )


def committed_log(stage: Stage, patient: Patient) -> list[CheckedEntry] | None:
    """The patient's checked access log, once no entry waits for its batch (else None)."""
    entries = stage.app.access_log(patient)
    return None if any(entry.verdict is Verdict.PENDING for entry in entries) else entries


def access_logs(stage: Stage) -> None:
    """Step 10."""
    stage.step(
        10,
        "Access logs: each wallet reads who asked for the patient's records and checks every "
        "entry against the chain",
    )
    verified = []
    for person in stage.cast:
        patient = stage.patient(person)

        entries = poll(
            partial(committed_log, stage, patient),
            timeout_s=ACCESS_LOG_TIMEOUT_S,
            what=f"{person.name}'s access log committed on chain",
        )
        released = sum(entry.fields["outcome"] == "released" for entry in entries)
        refused = [
            entry.fields["reason"] for entry in entries if entry.fields["outcome"] != "released"
        ]
        good = sum(entry.verdict is Verdict.VERIFIED for entry in entries)
        failed = [entry.problem for entry in entries if entry.verdict is Verdict.FAILED]
        refusals = f", refused {len(refused)} ({', '.join(refused)})" if refused else ""
        stage.say(
            f"{person.name} at {stage.home(patient).name}: {len(entries)} entries — released "
            f"{released}{refusals}; {good} ✓ verified on chain"
            + (f", {len(failed)} ✗ ({'; '.join(failed)})" if failed else "")
        )
        verified.append(bool(entries) and good == len(entries))
    stage.checks.expect(
        f"access logs: every entry verified on chain by the patient's wallet ({len(verified)} "
        "patients)",
        all(verified),
        f"{verified.count(False)} patients' logs are empty or do not verify",
    )
