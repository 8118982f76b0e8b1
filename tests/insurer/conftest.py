"""Fixtures for insurer-node tests: anvil, the insurer's own database on both backends, the app.

The bureau's fixtures are imported too (``database_url`` decides the backend of both nodes'
databases), so a test can run the real bureau against the real insurer.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from pydantic import SecretStr

from trustshare.crypto.sealing import SealingPrivateKey
from trustshare.insurer.app import create_app
from trustshare.insurer.context import InsurerContext
from trustshare.insurer.keystore import Keystore, SealingKeyEntry
from trustshare.insurer.settings import InsurerSettings
from trustshare.storage.insurer_migrate import upgrade

from ..bureau.conftest import bureau_context, bureau_settings, database_url
from ..bureau.hospital_support import serve
from ..conftest import Network

__all__ = ["bureau_context", "bureau_settings", "database_url"]


@pytest.fixture
def insurer_database_url(
    database_url: str, tmp_path: Path, request: pytest.FixtureRequest
) -> Iterator[str]:
    """A fresh, empty insurer database on the same backend as ``database_url``."""
    if database_url.startswith("sqlite"):
        yield f"sqlite:///{tmp_path / 'insurer.db'}"
        return
    server = request.getfixturevalue("postgres_server")
    name = server.create_database()
    yield server.url(name)
    server.drop_database(name)


@pytest.fixture
def keystore_file(network: Network, tmp_path: Path) -> Path:
    """The test insurer's keystore: its anvil chain key and a fresh sealing key."""
    keystore = Keystore(network.insurer, (SealingKeyEntry(SealingPrivateKey.generate(), 0),))
    path = tmp_path / "insurer-keys.json"
    keystore.write(path)
    return path


OPERATOR_TOKEN = "insurer-operator-token-for-tests-0123456789"


@pytest.fixture
def insurer_settings(
    network: Network, insurer_database_url: str, keystore_file: Path, tmp_path: Path
) -> InsurerSettings:
    deployment_file = tmp_path / "insurer-deployment.json"
    network.deployment.write(deployment_file)
    return InsurerSettings(
        database_url=insurer_database_url,
        rpc_url=str(network.w3.provider.endpoint_uri),  # type: ignore[attr-defined]
        deployment_file=deployment_file,
        keystore_file=keystore_file,
        chain_cache_s=0,
        operator_token=SecretStr(OPERATOR_TOKEN),
        run_claim_sender=False,  # tests drive the claim sender with run_once()
        run_holds_worker=False,  # and the holds worker too
        freeze_gc_at_start=False,  # one process starts hundreds of nodes: no full GC each
    )


@pytest.fixture
def insurer_context(insurer_settings: InsurerSettings) -> Iterator[InsurerContext]:
    upgrade(insurer_settings.database_url)
    context = InsurerContext.from_settings(insurer_settings)
    yield context
    context.engine.dispose()


@pytest.fixture
def insurer_url(insurer_context: InsurerContext, network: Network) -> Iterator[str]:
    """The insurer node served on a free loopback port, registered on chain as its endpoint."""
    with serve(create_app(insurer_context.settings, context=insurer_context)) as url:
        network.registries(network.operator).participants.update_endpoint(
            network.insurer.address, url
        )
        yield url


@pytest.fixture
def insurer_client(
    insurer_settings: InsurerSettings, insurer_context: InsurerContext
) -> Iterator[TestClient]:
    with TestClient(create_app(insurer_settings, context=insurer_context)) as client:
        yield client
