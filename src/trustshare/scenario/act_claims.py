"""Steps 6–7: a cross-province fast claim, then a refund that reverses it.

6. A Beijing-insured patient is treated at the Shanghai hospital. The Shanghai bureau settles
   only its own region's insured and refuses the bill; the national cross-province platform
   routes it home, and the Beijing bureau settles it under Beijing's rules. No code was shown at
   the window: the insurer's claims staff claim afterwards (快赔) — the record fetched under
   the CLAIM consent, decrypted, checked against its commitment and the committed root, paid
   once and recorded on chain.
7. The hospital refunds an unused drug: a new record supersedes the settlement (on chain, once
   both are committed); the insurer's corrections scanner sees it and reverses its claim on chain
   (the ledger books the reversal), and the insurer claims the corrected record.
"""

from __future__ import annotations

from dataclasses import dataclass

from trustshare.scenario.act_discharge import breakdown
from trustshare.scenario.bills import BEIJING_INPATIENT, Visit, refunded, visit
from trustshare.scenario.bureau_desk import refusal
from trustshare.scenario.cast import Part
from trustshare.scenario.ledger import ClaimSeen, Settled
from trustshare.scenario.stage import Stage
from trustshare.scenario.text import short, yuan
from trustshare.scenario.waiting import poll

RETURNED_DRUG = "D-RECOMB-BNP"
CORRECTION_TIMEOUT_S = 90.0


def fast_claim(stage: Stage, record: Settled, insurer: str, product: str) -> ClaimSeen:
    """The insurer's claims staff claim ``record``; the claim once it has settled."""
    desk = stage.insurers[insurer]
    filed = desk.file_claim(record.settlement_id, product, key=f"demo-{record.setl_id}")
    view = desk.follow(str(filed["claim_id"]))
    seen = stage.ledger.claim(record.patient, insurer, view)
    if seen.status == "recorded":
        stage.say(
            f"{insurer} claims {record.setl_id} ({product}): record fetched under the CLAIM "
            f"consent, decrypted, commitment and batch proof verified → recorded, paid "
            f"{yuan(seen.amount_fen)} yuan once"
        )
        stage.claim_tx(view)
    else:
        reason = view.get("reason") or {}
        stage.say(
            f"{insurer} claims {record.setl_id} ({product}) → {seen.status}: "
            f"{reason.get('code')} ({reason.get('reason')}); nothing paid"
        )
    return seen


@dataclass(frozen=True)
class Travel:
    """The cross-province stay: the bill, its settlement and the insurer's claim on it."""

    part: Part
    stay: Visit
    record: Settled
    claim: ClaimSeen


def cross_province(stage: Stage, part: Part) -> Travel:
    """Step 6."""
    stage.step(
        6,
        "Cross-province fast claim (快赔): insured in Beijing, treated at the Shanghai hospital",
    )
    person = part.person
    hospital = stage.hospitals["shanghai"]
    stay = visit(BEIJING_INPATIENT, person, stage.setl_id("shanghai"))
    stage.say(
        f"{person.name} ({person.profile}) leaves {hospital}: bill {stay.setl_id}, "
        f"{yuan(stay.total_fen)} yuan, no 商保码 shown at the window"
    )
    refused = stage.bureaus["shanghai"].send_bill(hospital, person, stay.bill)
    code, message = refusal(refused)
    stage.ledger.refused_bills.append((stay.setl_id, code))
    stage.say(
        f"{stage.bureaus['shanghai'].name} refuses it: {refused.status_code} {code} ({message})",
        depth=2,
    )
    beijing = stage.bureaus["beijing"]
    answer = beijing.confirm(hospital, person, stay.bill)
    record = stage.ledger.settled(Settled.of(person.key, beijing.name, answer, stage.insurer_names))
    stage.say(
        f"the national cross-province platform routes it home: {beijing.name} settles it under "
        f"Beijing's rules, for {record.hospital}",
        depth=2,
    )
    breakdown(stage, record)
    claim = fast_claim(stage, record, part.insurer, part.product)
    stage.checks.expect(
        "cross-province: the Shanghai bureau refused (region_not_served), the Beijing bureau "
        "settled the Shanghai hospital's bill, and the fast claim was paid",
        code == "region_not_served"
        and record.hospital == hospital
        and record.settlement_id.lower().startswith(beijing.node.address.lower())
        and claim.status == "recorded"
        and claim.amount_fen > 0,
        f"refusal {code}, hospital {record.hospital}, claim {claim.status} {claim.reason}",
    )
    return Travel(part, stay, record, claim)


def refund(stage: Stage, travel: Travel, *, claim_again: bool) -> None:
    """Step 7 (``claim_again``: the insurer claims the corrected record too)."""
    stage.step(7, "A refund supersedes the settlement and reverses its claim")
    part, record, claim = travel.part, travel.record, travel.claim
    hospital = stage.hospitals["shanghai"]
    beijing = stage.bureaus["beijing"]
    corrected, returned = refunded(travel.stay, record.setl_id + "R", RETURNED_DRUG)
    answer = beijing.refund(hospital, record.setl_id, corrected.bill)
    new = stage.ledger.settled(
        Settled.of(part.person.key, beijing.name, answer, stage.insurer_names)
    )
    returned_fen = int(returned["quantity"]) * int(returned["unit_price_fen"])
    stage.say(
        f"{hospital} refunds {returned['name']} ×{returned['quantity']} "
        f"({yuan(returned_fen)} yuan, unused): record {new.setl_id} supersedes {record.setl_id}"
    )
    breakdown(stage, new)
    old_id = bytes.fromhex(record.settlement_id[2:])
    supersession = poll(
        lambda: stage.chain.supersession_tx(old_id),
        timeout_s=CORRECTION_TIMEOUT_S,
        what=f"the supersession of {record.setl_id} on chain",
    )
    stage.say(f"{beijing.name} commits both records, then marks the old one superseded:")
    stage.tx("AttestationRegistry.supersedeSettlement", supersession)
    insurer = stage.insurers[part.insurer]
    view = insurer.follow(
        str(claim.view["claim_id"]), until=frozenset({"reversed"}), timeout_s=CORRECTION_TIMEOUT_S
    )
    reversed_claim = stage.ledger.claim(part.person.key, part.insurer, view)
    reversal = stage.chain.reversal_tx(old_id, insurer.address)
    stage.say(
        f"{part.insurer}'s corrections scanner sees SettlementSuperseded and reverses claim "
        f"{short(str(view['claim_id']), keep=8)}: {reversed_claim.status} (its ledger books "
        f"-{yuan(reversed_claim.amount_fen)} yuan in the same transaction)"
    )
    stage.tx("ClaimRegistry.reverseClaim", reversal)
    stage.checks.expect(
        "refund: the settlement superseded on chain, its claim reversed on chain and in the "
        "insurer's ledger",
        reversed_claim.status == "reversed"
        and reversal is not None
        and stage.chain.claimed_fen(old_id) == 0,
        f"claim {reversed_claim.status}, reversal {reversal}, "
        f"{stage.chain.claimed_fen(old_id)} fen still claimed",
    )
    if claim_again:
        again = fast_claim(stage, new, part.insurer, part.product)
        stage.checks.expect(
            "refund: the corrected record claimed anew, for less",
            again.status == "recorded" and 0 < again.amount_fen < claim.amount_fen,
            f"claim {again.status} {again.reason} {again.amount_fen}",
        )
