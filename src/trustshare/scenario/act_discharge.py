"""Steps 4–5: discharge with the commercial layers paid at the window, then clearing.

4. The patient's wallet asks each insurer for a 商保码; the hospital sends the bill and the
   codes to the bureau, which settles every layer in payer order — basic fund, critical-illness
   insurance, medical assistance, then each insurer, asked in real time — in one answer.
5. The bureau's publisher commits the settlements' batch on chain; each insurer's hold then
   becomes a window claim recorded on chain (it counts in the settlement's claim ceiling).
"""

from __future__ import annotations

from datetime import datetime

from trustshare.scenario.bills import BEIJING_INPATIENT, SHANGHAI_SPECIAL_DRUG, Visit, visit
from trustshare.scenario.cast import WANG, ZHANG, Person
from trustshare.scenario.ledger import Settled
from trustshare.scenario.stage import Stage
from trustshare.scenario.tamper import wait_until_committed
from trustshare.scenario.text import CHINA, short, yuan

COMMIT_TIMEOUT_S = 60.0


def breakdown(stage: Stage, record: Settled, *, depth: int = 3) -> None:
    """Print who pays what of one settlement, as the bureau answered."""
    rows = [
        ("total medical cost", record.fen("medfee_sumamt"), ""),
        ("basic fund", record.fen("basic_fund_fen"), ""),
        ("critical-illness insurance", record.fen("critical_illness_fen"), ""),
        ("medical assistance", record.fen("medical_assistance_fen"), ""),
    ]
    for payer in record.payers:
        note = f"{payer.status} in real time (computed {yuan(payer.computed_fen)})"
        rows.append((f"{payer.order}. {payer.insurer} {payer.product}", payer.authorised_fen, note))
    rows.append(("patient pays at the window", record.fen("patient_remainder_fen"), ""))
    width = max(len(label) for label, _, _ in rows)
    for label, fen, note in rows:
        stage.say(f"{label:<{width}}  {yuan(fen):>12} yuan  {note}".rstrip(), depth=depth)


def discharge(stage: Stage, person: Person, stay: Visit) -> Settled:
    """The patient leaves the home region's hospital, showing a policy code per bill product."""
    patient = stage.patient(person)
    hospital = stage.hospitals[person.region]
    bureau = stage.bureaus[person.region]
    stage.say(
        f"{person.name} leaves {hospital}: bill {stay.setl_id}, {len(stay.lines)} lines, "
        f"{yuan(stay.total_fen)} yuan"
    )
    codes = []
    for product in stay.products:
        insurer = next(c.insurer for c in person.covers if c.product == product)
        codes.append(stage.insurers[insurer].policy_code(patient.wallet, patient.policies[product]))
    if codes:
        shown = ", ".join(f"{c['product']} ({stage.insurer_names[c['insurer']]})" for c in codes)
        until = datetime.fromtimestamp(min(int(c["expires_at"]) for c in codes), CHINA)
        stage.say(
            f"the wallet asks each insurer for a 商保码 (signed by the insurer, valid until "
            f"{until:%H:%M:%S}): {shown}",
            depth=2,
        )
    answer = bureau.confirm(hospital, person, stay.bill, codes)
    record = stage.ledger.settled(Settled.of(person.key, bureau.name, answer, stage.insurer_names))
    stage.say(
        f"the hospital sends bill and codes to {bureau.name}; one answer, every layer in payer "
        "order:",
        depth=2,
    )
    breakdown(stage, record)
    stage.say(
        f"settlement {short(record.settlement_id)} stored and queued for clearing; claim ceiling "
        f"{yuan(record.fen('claim_ceiling_fen'))} yuan (all insurers together)",
        depth=2,
    )
    return record


#: What the example bills reach besides the basic fund, for the patients who are discharged.
EXPECTED_LAYERS = {
    WANG.key: ("critical_illness_fen", "critical illness"),
    ZHANG.key: ("medical_assistance_fen", "medical assistance"),
}
EXAMPLES = {"beijing": BEIJING_INPATIENT, "shanghai": SHANGHAI_SPECIAL_DRUG}


def discharges(stage: Stage) -> list[Settled]:
    """Step 4."""
    stage.step(
        4,
        "One-stop settlement at discharge: basic fund, critical illness and each commercial "
        "policy in payer order, in one answer to the hospital",
    )
    settled = []
    for person in stage.casting.discharged:
        patient = stage.patient(person)
        region = person.region
        stay = visit(
            EXAMPLES[region], person, stage.setl_id(region), products=tuple(patient.policies)
        )
        record = discharge(stage, person, stay)
        expect_paid_at_window(stage, person, record)
        settled.append(record)
    return settled


def expect_paid_at_window(stage: Stage, person: Person, record: Settled) -> None:
    """Every layer the patient holds a policy for, authorised in full in payer order."""
    field, layer = EXPECTED_LAYERS.get(person.key, ("basic_fund_fen", "basic fund"))
    insurers = [cover.insurer for cover in person.covers]
    paid = [p.insurer for p in sorted(record.payers, key=lambda p: p.order)]
    stage.checks.expect(
        f"discharge of {person.name} at {record.hospital}: basic fund, {layer} and "
        f"{len(insurers)} commercial layer(s) ({', '.join(insurers)}) in payer order, all paid "
        "at the window",
        record.fen("basic_fund_fen") > 0
        and record.fen(field) > 0
        and paid == insurers
        and all(p.status == "authorised" and p.authorised_fen > 0 for p in record.payers),
        f"basic fund {record.fen('basic_fund_fen')}, {layer} {record.fen(field)}, payers "
        + ", ".join(f"{p.order} {p.insurer} {p.status} {p.authorised_fen}" for p in record.payers),
    )


def clearing(stage: Stage, settled: list[Settled]) -> None:
    """Step 5."""
    stage.step(
        5,
        "Clearing: each bureau's publisher commits its batch on chain; the payments made at the "
        "window become claims recorded on chain",
    )
    recorded = []
    for record in settled:
        region = next(r for r, desk in stage.bureaus.items() if desk.name == record.bureau)
        database = stage.bureau_database(region)
        batch = wait_until_committed(
            database, bytes.fromhex(record.settlement_id[2:]), timeout=COMMIT_TIMEOUT_S
        )
        stage.say(
            f"{record.bureau}: batch {short(batch.root)} of {batch.leaf_count} settlement(s) "
            f"with {record.setl_id}"
        )
        stage.tx("AttestationRegistry.commitBatch", stage.chain.tx(str(batch.tx_hash)))
        for payer in record.payers:
            if payer.claim_id is None:
                continue
            view = stage.insurers[payer.insurer].follow(payer.claim_id)
            seen = stage.ledger.claim(record.patient, payer.insurer, view)
            stage.say(
                f"{payer.insurer}: hold {short(payer.authorisation_id)} → window claim "
                f"{short(payer.claim_id, keep=8)} {seen.status}: {yuan(seen.amount_fen)} yuan"
            )
            stage.claim_tx(view)
            recorded.append(seen.status == "recorded" and seen.amount_fen == payer.authorised_fen)
        claimed = stage.chain.claimed_fen(bytes.fromhex(record.settlement_id[2:]))
        recorded.append(claimed == sum(payer.authorised_fen for payer in record.payers))
        stage.say(
            f"on chain: {yuan(claimed)} yuan claimed of the {yuan(record.fen('claim_ceiling_fen'))}"
            f" yuan ceiling of {record.setl_id} — no insurer can be paid twice for it"
        )
    stage.checks.expect(
        "clearing: every payment made at the window recorded on chain as a window claim, "
        "for the amount paid",
        bool(recorded) and all(recorded),
        f"{recorded.count(False)} window claims or settlement totals differ from the window",
    )
