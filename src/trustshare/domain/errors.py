"""The domain's exceptions: one root, each carrying the field path and the reason."""

from __future__ import annotations


class DomainError(Exception):
    """Root of every error raised by :mod:`trustshare.domain`.

    ``path`` names the offending field (``lines[3].unit_price_fen``; empty for the whole
    document) and ``reason`` says what is wrong with it, in words a bill's author understands.
    """

    def __init__(self, path: str, reason: str) -> None:
        """Record where the problem is and why."""
        self.path = path
        self.reason = reason
        super().__init__(f"{path}: {reason}" if path else reason)


class InvalidBill(DomainError, ValueError):
    """The bill is malformed or contradicts itself or the rules it names."""


class InvalidAccumulators(DomainError, ValueError):
    """The year-to-date accumulators are malformed."""


class InvalidRules(DomainError, ValueError):
    """A rules file (region policy or product terms) failed validation."""

    def __init__(self, path: str, reason: str, source: str = "") -> None:
        """Record the field path, the reason and the file the rules came from."""
        self.source = source
        super().__init__(path, f"{reason} (in {source})" if source else reason)
        self.reason = reason
