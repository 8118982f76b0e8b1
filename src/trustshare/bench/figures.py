"""What a bench run found: the eleven headline figures, each measurement's details, where, when."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class BenchRun:
    """One run: the headline figures, the details of each measurement, where and when."""

    figures: dict[str, float]
    details: dict[str, dict[str, Any]]
    machine: str
    date: str
    seconds: float
    load_average: tuple[float, float]
    """The 1-minute load average when the run started and when it ended."""

    def to_json_dict(self) -> dict[str, Any]:
        """The ``--json`` object: the figures, ``machine`` and ``date``, nothing else."""
        return {**self.figures, "machine": self.machine, "date": self.date}


def headline_figures(details: dict[str, dict[str, Any]]) -> dict[str, float]:
    """The eleven figures of ``--json``, rounded, from the measurements' details."""
    engine, clearing, hospital = details["engine"], details["clearing"], details["hospital"]
    realtime, claims, consent = details["realtime"], details["claims"], details["consent"]
    return {
        "engine_settlements_per_s_per_core": round(engine["settlements_per_second"]),
        "clearing_settlements_per_s": round(clearing["end_to_end_per_second"]),
        "gas_per_settlement": round(clearing["gas_per_settlement"], 2),
        "hospital_confirm_p50_ms": round(hospital["p50_ms"], 2),
        "hospital_confirm_p99_ms": round(hospital["p99_ms"], 2),
        "realtime_auth_p50_ms": round(realtime["p50_ms"], 2),
        "realtime_auth_p99_ms": round(realtime["p99_ms"], 2),
        "fast_claim_p50_ms": round(claims["p50_ms"], 1),
        "fast_claim_p99_ms": round(claims["p99_ms"], 1),
        "claims_per_s": round(claims["claims_per_s"], 1),
        "consent_effective_ms": round(consent["p50_ms"], 1),
    }
