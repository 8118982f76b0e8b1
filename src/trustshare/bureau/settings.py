"""Bureau node settings: environment (``TRUSTSHARE_BUREAU_*``) and an optional TOML file.

Secrets (the chain key, the pseudonym key, hospital tokens) are ``SecretStr``: never printed,
never in responses. Settings refuse to start with a missing or default secret.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import ClassVar

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import SettingsConfigDict

from trustshare.gateway.node_settings import NodeSettings

CONFIG_FILE_ENV = "TRUSTSHARE_BUREAU_CONFIG"


class BureauSettings(NodeSettings):
    """Everything a bureau node needs to run."""

    model_config = SettingsConfigDict(env_prefix="TRUSTSHARE_BUREAU_", extra="forbid")
    config_file_env: ClassVar[str] = CONFIG_FILE_ENV

    name: str = "bureau"
    database_url: str = "sqlite:///.trustshare/bureau.db"
    rpc_url: str = "http://127.0.0.1:8545"
    deployment_file: Path = Path(".trustshare/devnet/deployment.json")
    chain_key: SecretStr = Field(description="hex private key of the bureau's chain account")
    pseudonym_key: SecretStr = Field(description="hex HMAC key (≥ 32 bytes) for pseudonyms")
    hospital_tokens: dict[str, SecretStr] = Field(
        default_factory=dict, description="hospital name → bearer token for the hospital API"
    )
    operator_token: SecretStr | None = Field(
        default=None, description="bearer token for operator endpoints (binding, ingestion)"
    )
    batch_max_leaves: int = Field(default=10_000, ge=1, le=2**20)
    batch_max_wait_ms: int = Field(default=2_000, ge=0)
    publisher_poll_ms: int = Field(default=200, ge=10)
    realtime_deadline_ms: int = Field(default=800, ge=50)
    request_window_s: int = Field(default=60, ge=1)
    run_publisher: bool = True
    regions: list[str] = Field(
        default_factory=list,
        description="the regions (rules ids) whose insured this bureau settles; empty: every one",
    )

    @field_validator("chain_key", "pseudonym_key")
    @classmethod
    def _no_default_secret(cls, value: SecretStr) -> SecretStr:
        secret = value.get_secret_value().removeprefix("0x")
        if len(secret) < 64 or set(secret) <= {"0"}:
            raise ValueError("must be at least 32 bytes of hex and not a placeholder")
        bytes.fromhex(secret)
        return value


@lru_cache(maxsize=1)
def get_settings() -> BureauSettings:
    """The process's settings, read once (tests build their own and pass them in)."""
    return BureauSettings()
