"""The outcomes the scenario expects, each checked as it happens and listed at the end.

A step calls :meth:`Checks.expect` with the outcome in words and whether it happened (and, if
not, what happened instead). The demo exits 0 only when every expected outcome happened.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from trustshare.scenario.text import Echo

HAPPENED = "✓"
MISSED = "✗"


@dataclass(frozen=True)
class Outcome:
    """One expected outcome and whether it happened."""

    what: str
    happened: bool
    instead: str = ""

    def line(self) -> str:
        """``✓ what`` or ``✗ what — instead: …``."""
        if self.happened:
            return f"{HAPPENED} {self.what}"
        return f"{MISSED} {self.what} — instead: {self.instead or 'it did not happen'}"


@dataclass
class Checks:
    """Every expected outcome of one run, in the order checked."""

    outcomes: list[Outcome] = field(default_factory=list)

    def expect(self, what: str, happened: bool, instead: str = "") -> bool:
        """Record whether ``what`` happened; return it (so a step can stop on a miss)."""
        self.outcomes.append(Outcome(what, happened, "" if happened else instead))
        return happened

    def stopped(self, step: str, reason: str) -> None:
        """A step could not go on: everything after it did not happen."""
        self.outcomes.append(Outcome(f"{step} completes", False, reason))

    @property
    def missed(self) -> list[Outcome]:
        """The outcomes that did not happen."""
        return [outcome for outcome in self.outcomes if not outcome.happened]

    @property
    def all_happened(self) -> bool:
        """Whether there was at least one check and nothing was missed."""
        return bool(self.outcomes) and not self.missed

    def report(self, echo: Echo) -> None:
        """The list of outcomes and the verdict."""
        echo("\nExpected outcomes")
        for outcome in self.outcomes:
            echo(f"  {outcome.line()}")
        if self.all_happened:
            echo(f"\nEvery expected outcome happened ({len(self.outcomes)} checks).")
        else:
            missed = self.missed
            echo(f"\n{len(missed)} of {len(self.outcomes)} expected outcomes did not happen:")
            for outcome in missed:
                echo(f"  {MISSED} {outcome.what}")
