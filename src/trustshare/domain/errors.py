"""The domain's exceptions: one root, each carrying the field path and the reason."""

from __future__ import annotations


class DomainError(Exception):
    """Root of every error raised by :mod:`trustshare.domain`.

    ``path`` names the offending field (``lines[3].unit_price_fen``; empty for the whole
    document) and ``reason`` says what is wrong with it, in words a bill's author understands.
    """

    def __init__(
        self, path: str, reason: str, further_problems: tuple[tuple[str, str], ...] = ()
    ) -> None:
        """Record where the problem is and why, and any further (path, reason) problems."""
        self.path = path
        self.reason = reason
        self.further_problems = further_problems
        problems = [(path, reason), *further_problems]
        super().__init__("; ".join(f"{p}: {r}" if p else r for p, r in problems))

    @property
    def problems(self) -> tuple[tuple[str, str], ...]:
        """Every (path, reason) found, the first one first."""
        return ((self.path, self.reason), *self.further_problems)


class InvalidBill(DomainError, ValueError):
    """The bill is malformed or contradicts itself or the rules it names."""


class InvalidAccumulators(DomainError, ValueError):
    """The year-to-date accumulators are malformed."""


class InvalidRules(DomainError, ValueError):
    """A rules file (region policy or product terms) failed validation."""

    def __init__(
        self,
        path: str,
        reason: str,
        source: str = "",
        further_problems: tuple[tuple[str, str], ...] = (),
    ) -> None:
        """Record the field path, the reason and the file the rules came from."""
        self.source = source
        shown = f"{reason} (in {source})" if source else reason
        super().__init__(path, shown, further_problems)
        self.reason = reason
