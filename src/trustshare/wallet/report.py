"""Plain-text tables of what the wallet shows: insurers, consents, the checked access log."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, tzinfo

from trustshare.crypto.eip712 import ConsentTerms
from trustshare.crypto.vocabulary import Purpose, Scope
from trustshare.wallet.access_log import CheckedEntry, Verdict
from trustshare.wallet.consents import ConsentRow
from trustshare.wallet.network import ParticipantEntry
from trustshare.wallet.terms import Window, window_text

INSURER_HEADER = ["NAME", "ADDRESS", "STATUS", "ENDPOINT"]
CONSENT_HEADER = ["INSURER", "SCOPES", "PURPOSES", "WINDOW", "STATUS", "CONSENT"]
ACCESS_LOG_HEADER = [
    "ID",
    "WHEN",
    "INSURER",
    "RECORD",
    "PURPOSE",
    "ASKED",
    "RELEASED",
    "OUTCOME",
    "PROOF",
]


def _short(hex_id: object) -> str:
    text = str(hex_id or "-")
    return text if len(text) <= 16 else f"{text[:8]}…{text[-6:]}"


def names(flags: Scope | Purpose) -> str:
    """Machine names of the flags set, comma-separated (``-`` for none)."""
    return ",".join(flags.keys()) or "-"


def table(header: list[str], rows: list[list[str]]) -> list[str]:
    """Left-aligned columns, two spaces apart, header first."""
    widths = [max(len(row[i]) for row in [header, *rows]) for i in range(len(header))]
    return [
        "  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip()
        for row in [header, *rows]
    ]


def terms_text(insurer_name: str, terms: ConsentTerms, tz: tzinfo) -> str:
    """One line saying what a grant shares with whom and when."""
    window = window_text(Window(terms.not_before, terms.not_after), tz)
    return (
        f"{insurer_name}: scopes {names(Scope(terms.scopes))}; purposes "
        f"{names(Purpose(terms.purposes))}; {window}"
    )


def insurer_rows(insurers: list[ParticipantEntry]) -> list[list[str]]:
    """Rows under :data:`INSURER_HEADER`."""
    return [
        [entry.name, entry.address, "active" if entry.active else "removed", entry.endpoint]
        for entry in insurers
    ]


def consent_rows(rows: list[ConsentRow], tz: tzinfo) -> list[list[str]]:
    """Rows under :data:`CONSENT_HEADER`."""
    return [
        [
            row.insurer.name,
            names(Scope(row.state.scopes)),
            names(Purpose(row.state.purposes)),
            window_text(Window(row.state.not_before, row.state.not_after), tz),
            row.status,
            _short("0x" + row.state.consent_id.hex()),
        ]
        for row in rows
    ]


def access_log_rows(
    entries: list[CheckedEntry], insurer_names: Mapping[str, str], tz: tzinfo
) -> list[list[str]]:
    """Rows under :data:`ACCESS_LOG_HEADER`, the verdict (✓ ✗ …) last."""
    rows = []
    for entry in entries:
        fields = entry.fields
        insurer = str(fields["insurer"])
        when = datetime.fromtimestamp(int(fields["occurred_at"]), tz)
        rows.append(
            [
                str(entry.entry_id),
                when.strftime("%Y-%m-%d %H:%M"),
                insurer_names.get(insurer, insurer),
                f"{fields['record_type']} {_short(fields['record_id'])}",
                names(Purpose(int(fields["purpose"]))),
                names(Scope(int(fields["scopes_requested"]))),
                names(Scope(int(fields["scopes_released"]))),
                f"{fields['outcome']} {fields['reason']}".strip(),
                f"{entry.verdict.value} {entry.problem}".strip(),
            ]
        )
    return rows


def unverified(entries: list[CheckedEntry]) -> tuple[str, str]:
    """What to say about pending (…) and failed (✗) entries; empty strings if none."""
    pending = sum(entry.verdict is Verdict.PENDING for entry in entries)
    failed = sum(entry.verdict is Verdict.FAILED for entry in entries)
    return (
        f"{pending} entries are not committed on chain yet (…): check again later"
        if pending
        else "",
        f"{failed} entries do not match the chain (✗): the bureau's log was altered or is "
        "not the one it committed"
        if failed
        else "",
    )
