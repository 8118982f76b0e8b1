"""The end of the demo: a table per patient (who paid what) and a summary of the run.

Every figure comes from the ledger (the nodes' answers) and from the chain.
"""

from __future__ import annotations

from collections import Counter

from trustshare.scenario.ledger import ClaimSeen, Ledger, Settled
from trustshare.scenario.stage import Stage
from trustshare.scenario.text import short, table, yuan

STATUTORY = (
    ("total medical cost", "medfee_sumamt"),
    ("basic fund", "basic_fund_fen"),
    ("critical-illness insurance", "critical_illness_fen"),
    ("medical assistance", "medical_assistance_fen"),
)


def _fast(claims: list[ClaimSeen]) -> int:
    return sum(
        c.amount_fen for c in claims if c.origin == "fast" and c.status in ("recorded", "reversed")
    )


def _reversed(claims: list[ClaimSeen]) -> int:
    return -sum(c.amount_fen for c in claims if c.status == "reversed")


def _column(record: Settled, claims: list[ClaimSeen], insurers: list[str]) -> list[int]:
    """One settlement's figures, in the table's row order."""
    window = [sum(p.authorised_fen for p in record.payers if p.insurer == i) for i in insurers]
    fast, reversals = _fast(claims), _reversed(claims)
    remainder = record.fen("patient_remainder_fen")
    statutory = [record.fen(name) for _, name in STATUTORY]
    return [*statutory, *window, fast, reversals, remainder - fast - reversals]


def patient_table(ledger: Ledger, patient: str) -> list[str]:
    """Who paid what for one patient: one column per settlement, and the total."""
    records = ledger.settlements_of(patient)
    insurers = sorted({p.insurer for r in records for p in r.payers if p.authorised_fen})
    labels = [
        *(label for label, _ in STATUTORY),
        *(f"{insurer} at the window" for insurer in insurers),
        "fast claims (快赔)",
        "reversals",
        "patient pays",
    ]
    columns = [_column(r, ledger.claims_on(r.settlement_id), insurers) for r in records]
    header = ["", *(r.setl_id + (" (superseded)" if r.superseded else "") for r in records)]
    hospitals = ["hospital", *(r.hospital for r in records)]
    if len(records) > 1:
        current = [c for c, r in zip(columns, records, strict=True) if not r.superseded]
        every = columns
        total = [sum(c[i] for c in current) for i in range(len(labels) - 3)]
        fast = sum(c[-3] for c in every)
        reversals = sum(c[-2] for c in every)
        remainder = sum(r.fen("patient_remainder_fen") for r in records if not r.superseded)
        columns.append([*total, fast, reversals, remainder - fast - reversals])
        header.append("all (current records)")
        hospitals.append("")
    rows = [hospitals] + [
        [label, *(yuan(column[index]) for column in columns)] for index, label in enumerate(labels)
    ]
    return table(header, rows)


def patient_tables(stage: Stage) -> None:
    """A table per patient."""
    stage.echo("\nWho paid what (yuan)")
    for person in stage.cast:
        patient = stage.patient(person)
        if not stage.ledger.settlements_of(person.key):
            continue
        policies = ", ".join(f"{p} {n}" for p, n in patient.policies.items())
        stage.echo(f"\n  {person.name} — {person.profile}; wallet {short(patient.wallet.address)}")
        stage.echo(f"  policies: {policies}")
        for line in patient_table(stage.ledger, person.key):
            stage.echo("    " + line)


def summary(stage: Stage) -> None:
    """Counts of the run: settlements, batches, policies, consents, claims, chain use."""
    ledger = stage.ledger
    stage.echo("\nSummary")
    by_bureau = Counter(record.bureau for record in ledger.settlements)
    refunds = sum(record.answer.get("kind") == "refund" for record in ledger.settlements)
    refused = ", ".join(f"{setl} {code}" for setl, code in ledger.refused_bills) or "none"
    stage.say(
        f"settlements   {len(ledger.settlements)} confirmed ("
        + ", ".join(f"{name} {count}" for name, count in by_bureau.items())
        + f"), of which {refunds} refund superseding a settlement; refused: {refused}"
    )
    batches = stage.chain.batches(stage.start_block)
    per_bureau = [
        f"{desk.name} "
        + ", ".join(
            f"{batches[(desk.node.address, kind)]} {kind.lower().replace('_', '-')}"
            for kind in ("SETTLEMENT", "ENROLLMENT", "ACCESS_LOG")
        )
        for desk in stage.bureaus.values()
    ]
    stage.say(f"batches       committed on chain: {'; '.join(per_bureau)}")
    premiums = sum(1 for policy in ledger.policies if policy.get("premium_receipt"))
    stage.say(
        f"policies      {len(ledger.policies)} issued by one-click enrollment ({premiums} paid "
        "from a personal account)"
    )
    stage.say(
        f"consents      {ledger.consents['granted']} granted, {ledger.consents['revoked']} revoked "
        "(each signed in a wallet, relayed by a bureau)"
    )
    claims = list(ledger.claims.values())
    statuses = Counter(c.status for c in claims)
    origins = Counter(c.origin for c in claims if c.status in ("recorded", "reversed"))
    reasons = ", ".join(sorted(c.reason for c in claims if c.status == "refused"))
    stage.say(
        f"claims        recorded {statuses['recorded']}, reversed {statuses['reversed']} "
        f"({origins['window']} at the window, {origins['fast']} fast); refused "
        f"{statuses['refused']} ({reasons or 'none'})"
    )
    scenario = stage.chain.totals(stage.start_block)
    setup = stage.chain.totals(stage.chain.deployment.deployed_at_block, stage.start_block - 1)
    by_target = ", ".join(
        f"{name} {count} ({scenario.gas_by_target[name]:,} gas)"
        for name, count in scenario.by_target.most_common()
    )
    stage.say(
        f"chain         {scenario.transactions} transactions, {scenario.gas:,} gas in the "
        f"scenario: {by_target}; network setup {setup.transactions} transactions, "
        f"{setup.gas:,} gas"
    )
    stage.echo("\nPatient pages (consents and access log in a browser, while the network runs):")
    for desk in stage.bureaus.values():
        stage.say(f"{desk.name}: {desk.node.url}/patient/")
