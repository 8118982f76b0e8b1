"""Fixtures for bureau-node tests: a real anvil network, a real database, the app."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from pydantic import SecretStr

from trustshare.bureau.app import create_app
from trustshare.bureau.context import BureauContext
from trustshare.bureau.settings import BureauSettings
from trustshare.storage.migrate import upgrade

from ..conftest import Network
from ..postgres import DATABASE_BACKENDS, fresh_database_url

PSEUDONYM_KEY_HEX = "5e" * 32
HOSPITAL_TOKEN = "hospital-token-for-tests-only-0123456789"


@pytest.fixture(params=DATABASE_BACKENDS)
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A fresh, empty database: a SQLite file, or a new database on the test PostgreSQL server."""
    return fresh_database_url(request, tmp_path)


@pytest.fixture
def bureau_settings(network: Network, database_url: str, tmp_path: Path) -> BureauSettings:
    deployment_file = tmp_path / "deployment.json"
    network.deployment.write(deployment_file)
    return BureauSettings(
        database_url=database_url,
        rpc_url=str(network.w3.provider.endpoint_uri),  # type: ignore[attr-defined]
        deployment_file=deployment_file,
        chain_key=SecretStr(bytes(network.bureau.key).hex()),
        pseudonym_key=SecretStr(PSEUDONYM_KEY_HEX),
        hospital_tokens={"test-hospital": SecretStr(HOSPITAL_TOKEN)},
        batch_max_wait_ms=0,
        run_publisher=False,
    )


@pytest.fixture
def bureau_context(bureau_settings: BureauSettings) -> Iterator[BureauContext]:
    upgrade(bureau_settings.database_url)
    context = BureauContext.from_settings(bureau_settings)
    yield context
    context.engine.dispose()


@pytest.fixture
def bureau_client(
    bureau_settings: BureauSettings, bureau_context: BureauContext
) -> Iterator[TestClient]:
    app = create_app(bureau_settings, context=bureau_context)
    with TestClient(app) as client:
        yield client
