"""A write-ahead journal of signed transactions, so a sender survives a restart.

Before a signed transaction is broadcast its nonce, hash and raw bytes are appended (and
fsynced). After a crash the sender re-broadcasts every entry not yet seen mined: the same
signed bytes, so the chain either already has it or accepts it once — never twice, and never
with a gap in the nonces.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol


@dataclass(frozen=True)
class JournalEntry:
    """One signed transaction the sender is responsible for."""

    nonce: int
    tx_hash: str
    raw: str
    label: str = ""
    done: bool = False


class SendJournal(Protocol):
    """Where a sender records what it signed and what got mined."""

    def record(self, entry: JournalEntry) -> None:
        """Store ``entry`` durably before it is broadcast."""

    def mark_done(self, tx_hash: str) -> None:
        """Note that ``tx_hash`` was mined (successfully or not)."""

    def pending(self) -> list[JournalEntry]:
        """Entries signed but not yet seen mined, lowest nonce first."""

    def next_nonce(self) -> int | None:
        """One above the highest nonce ever recorded, or None for an empty journal."""


class MemoryJournal:
    """A journal that lives as long as the process (for tools that need no restart safety)."""

    def __init__(self) -> None:
        self._entries: dict[str, JournalEntry] = {}

    def record(self, entry: JournalEntry) -> None:
        """Keep ``entry``."""
        self._entries[entry.tx_hash] = entry

    def mark_done(self, tx_hash: str) -> None:
        """Forget ``tx_hash``'s raw bytes: it is mined."""
        entry = self._entries.get(tx_hash)
        if entry is not None:
            self._entries[tx_hash] = JournalEntry(entry.nonce, tx_hash, "", entry.label, True)

    def pending(self) -> list[JournalEntry]:
        """Entries not yet mined."""
        return sorted((e for e in self._entries.values() if not e.done), key=lambda e: e.nonce)

    def next_nonce(self) -> int | None:
        """One above the highest recorded nonce."""
        if not self._entries:
            return None
        return max(e.nonce for e in self._entries.values()) + 1


class FileJournal:
    """An append-only JSON-lines journal with fsync; compacted when nothing is pending."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._entries: dict[str, JournalEntry] = {}
        self._highest_nonce = -1
        if path.exists():
            self._load()

    def _load(self) -> None:
        for line in self.path.read_text().splitlines():
            if not line.strip():
                continue
            try:
                record = json.loads(line)
            except json.JSONDecodeError:
                continue  # a torn last line from a crash mid-write: the tx was never sent
            if record.get("event") == "done":
                self._mark(record["tx_hash"])
            else:
                entry = JournalEntry(
                    record["nonce"], record["tx_hash"], record["raw"], record.get("label", "")
                )
                self._entries[entry.tx_hash] = entry
                self._highest_nonce = max(self._highest_nonce, entry.nonce)

    def _append(self, record: dict[str, object]) -> None:
        with open(self.path, "a", encoding="utf-8") as handle:
            handle.write(json.dumps(record, sort_keys=True) + "\n")
            handle.flush()
            os.fsync(handle.fileno())

    def _mark(self, tx_hash: str) -> None:
        entry = self._entries.get(tx_hash)
        if entry is not None:
            self._entries[tx_hash] = JournalEntry(entry.nonce, tx_hash, "", entry.label, True)

    def record(self, entry: JournalEntry) -> None:
        """Append ``entry`` and fsync before the caller broadcasts it."""
        self._append(
            {"nonce": entry.nonce, "tx_hash": entry.tx_hash, "raw": entry.raw, "label": entry.label}
        )
        self._entries[entry.tx_hash] = entry
        self._highest_nonce = max(self._highest_nonce, entry.nonce)

    def mark_done(self, tx_hash: str) -> None:
        """Append a done marker; compact the file when no entry is pending any more."""
        self._append({"event": "done", "tx_hash": tx_hash})
        self._mark(tx_hash)
        if not self.pending():
            self._compact()

    def _compact(self) -> None:
        # Keep only a marker of the highest nonce, so a restart never reuses a nonce.
        temporary = self.path.with_suffix(".tmp")
        marker = {"nonce": self._highest_nonce, "tx_hash": "compacted", "raw": "", "label": ""}
        with open(temporary, "w", encoding="utf-8") as handle:
            handle.write(json.dumps(marker) + "\n")
            handle.write(json.dumps({"event": "done", "tx_hash": "compacted"}) + "\n")
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temporary, self.path)
        self._entries = {"compacted": JournalEntry(self._highest_nonce, "compacted", "", "", True)}

    def pending(self) -> list[JournalEntry]:
        """Entries not yet mined, lowest nonce first."""
        return sorted((e for e in self._entries.values() if not e.done), key=lambda e: e.nonce)

    def next_nonce(self) -> int | None:
        """One above the highest nonce ever recorded."""
        return None if self._highest_nonce < 0 else self._highest_nonce + 1
