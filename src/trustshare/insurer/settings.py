"""Insurer node settings: environment (``TRUSTSHARE_INSURER_*``) and an optional TOML file.

The node's secrets (its chain key and X25519 sealing keys) live in the keystore file written by
``trustshare insurer keygen`` (mode 0600), never in the environment or on a command line. The
settings refuse to start without a keystore, and the keystore refuses placeholder keys.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import ClassVar

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import SettingsConfigDict

from trustshare.gateway.node_settings import NodeSettings

CONFIG_FILE_ENV = "TRUSTSHARE_INSURER_CONFIG"


class InsurerSettings(NodeSettings):
    """Everything an insurer node needs to run."""

    model_config = SettingsConfigDict(env_prefix="TRUSTSHARE_INSURER_", extra="forbid")
    config_file_env: ClassVar[str] = CONFIG_FILE_ENV

    name: str = "insurer"
    database_url: str = "sqlite:///.trustshare/insurer.db"
    rpc_url: str = "http://127.0.0.1:8545"
    deployment_file: Path = Path(".trustshare/devnet/deployment.json")
    keystore_file: Path = Field(description="the keystore JSON written by `insurer keygen`")
    hold_ttl_s: int = Field(
        default=3_600, ge=1, description="an unclaimed real-time hold is released after this"
    )
    chain_cache_s: float = Field(
        default=2.0, ge=0, description="how long a bureau or consent lookup is reused"
    )
    chain_timeout_s: float = Field(default=2.0, gt=0, description="RPC timeout")
    request_window_s: int = Field(default=60, ge=1)
    run_claim_sender: bool = True
    run_holds_worker: bool = True
    holds_interval_s: float = Field(
        default=5.0, gt=0, description="how often held holds are cleared and expired ones released"
    )
    claim_sender_poll_ms: int = Field(
        default=200,
        ge=10,
        le=60_000,
        description="the claim sender's round when nothing wakes it (retries, recovery); "
        "a queued claim wakes it at once",
    )
    freeze_gc_at_start: bool = Field(
        default=True,
        description="once started, collect and move the start-up objects out of the cyclic "
        "GC's reach (no full collection pauses a request); off where one process starts many "
        "nodes, as the test suite does",
    )
    claim_batch_size: int = Field(
        default=200,
        ge=1,
        le=500,
        description="claims per recordClaims transaction at most (about 44,000 gas each)",
    )
    claim_receipt_poll_ms: int = Field(
        default=10,
        ge=1,
        le=10_000,
        description="how often the claim sender asks for a sent transaction's receipt",
    )
    operator_token: SecretStr | None = Field(
        default=None, description="bearer token of the insurer's claims staff (fast claims)"
    )

    @field_validator("keystore_file")
    @classmethod
    def _keystore_exists(cls, value: Path) -> Path:
        if not value.is_file():
            raise ValueError(f"{value} does not exist: run `trustshare insurer keygen --out FILE`")
        return value


@lru_cache(maxsize=1)
def get_settings() -> InsurerSettings:
    """The process's settings, read once (tests build their own and pass them in)."""
    return InsurerSettings()
