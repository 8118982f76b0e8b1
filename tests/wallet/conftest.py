"""Fixtures of the wallet tests: a real bureau node served over HTTP on anvil, and the real CLI.

The bureau runs its real app (uvicorn in a thread, SQLite, its clearing publisher running) and
is registered on chain as its endpoint, so the wallet finds it through the Participants
registry as a patient's would. The test plays the bureau's counter clerk (operator token) and
the insurer (signed release requests).
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from eth_account.signers.local import LocalAccount
from pydantic import SecretStr
from sqlalchemy import func, select
from typer.testing import CliRunner, Result

from trustshare.bureau.app import create_app
from trustshare.bureau.context import BureauContext
from trustshare.bureau.settings import BureauSettings
from trustshare.cli import app
from trustshare.crypto.pseudonym import PseudonymKey, pseudonym_of
from trustshare.gateway.signing import sign_request
from trustshare.storage.migrate import upgrade
from trustshare.storage.models import OutboxEntry

from ..bureau.conftest import PSEUDONYM_KEY_HEX, bureau_context, bureau_settings, database_url
from ..bureau.hospital_support import serve
from ..bureau.operations_support import ID_NUMBER
from ..conftest import Network

__all__ = ["bureau_context", "bureau_settings", "database_url"]

OPERATOR_TOKEN = "wallet-tests-operator-token-0123456789"
PASSWORD = "correct horse battery"
PSEUDONYM = pseudonym_of(ID_NUMBER, PseudonymKey.from_hex(PSEUDONYM_KEY_HEX))


@dataclass
class ServedBureau:
    """The bureau node over HTTP, with the clerk's and the insurers' requests to it."""

    url: str
    context: BureauContext
    deployment_file: Path

    def _client(self) -> httpx.Client:
        return httpx.Client(base_url=self.url, timeout=30)

    def counter(self, path: str, body: Mapping[str, Any]) -> Any:
        """An operator request, as the clerk at the counter sends it."""
        with self._client() as client:
            answer = client.post(
                path, json=dict(body), headers={"Authorization": f"Bearer {OPERATOR_TOKEN}"}
            )
        assert answer.is_success, answer.text
        return answer.json()

    def issue_voucher(self, id_number: str = ID_NUMBER) -> str:
        """The clerk verified the person and hands over a binding voucher."""
        return str(self.counter("/v1/binding-vouchers", {"id_number": id_number})["voucher"])

    def ask_for_enrollment(self, insurer: LocalAccount, pseudonym: bytes) -> httpx.Response:
        """The insurer's signed request for the person's enrollment record (UNDERWRITING)."""
        body = {
            "record_type": "enrollment",
            "pseudonym": "0x" + pseudonym.hex(),
            "purpose": "underwriting",
            "scopes": ["enrollment"],
        }
        raw = json.dumps(body).encode()
        headers = sign_request(insurer, "POST", "/v1/releases", raw, now=time.time())
        with self._client() as client:
            return client.post(
                "/v1/releases",
                content=raw,
                headers={**headers, "Content-Type": "application/json"},
            )

    def relays_queued(self) -> int:
        """How many consent relays the node ever queued."""
        with self.context.sessions() as session:
            kinds = ("grant_consent", "revoke_consent")
            query = select(func.count()).where(OutboxEntry.kind.in_(kinds))
            return int(session.scalar(query) or 0)


@pytest.fixture
def served_bureau(network: Network, tmp_path: Path) -> Iterator[ServedBureau]:
    deployment_file = tmp_path / "deployment.json"
    network.deployment.write(deployment_file)
    settings = BureauSettings(
        database_url=f"sqlite:///{tmp_path / 'bureau.db'}",
        rpc_url=str(network.w3.provider.endpoint_uri),  # type: ignore[attr-defined]
        deployment_file=deployment_file,
        chain_key=SecretStr(bytes(network.bureau.key).hex()),
        pseudonym_key=SecretStr(PSEUDONYM_KEY_HEX),
        operator_token=SecretStr(OPERATOR_TOKEN),
        batch_max_wait_ms=0,
        publisher_poll_ms=50,
    )
    upgrade(settings.database_url)
    context = BureauContext.from_settings(settings)
    try:
        with serve(create_app(settings, context=context), lifespan=True) as url:
            operator = network.registries(network.operator).participants
            operator.update_endpoint(network.bureau.address, url)
            yield ServedBureau(url, context, deployment_file)
    finally:
        context.engine.dispose()


@dataclass
class WalletCli:
    """``trustshare patient …`` as the patient runs it, on this network."""

    env: dict[str, str]
    keystore: Path

    def __call__(
        self, *args: str, password: str | None = PASSWORD, input_text: str | None = None
    ) -> Result:
        env = dict(self.env)
        if password is not None:
            env["TRUSTSHARE_WALLET_PASSWORD"] = password
        return CliRunner().invoke(app, ["patient", *args], env=env, input=input_text)


@pytest.fixture
def wallet_cli(network: Network, served_bureau: ServedBureau, tmp_path: Path) -> WalletCli:
    keystore = tmp_path / "patient" / "keystore.json"
    env = {
        "TRUSTSHARE_WALLET_RPC_URL": str(network.w3.provider.endpoint_uri),  # type: ignore[attr-defined]
        "TRUSTSHARE_WALLET_DEPLOYMENT_FILE": str(served_bureau.deployment_file),
        "TRUSTSHARE_WALLET_KEYSTORE": str(keystore),
    }
    return WalletCli(env, keystore)


def address_in(output: str) -> str:
    """The address a ``create`` printed."""
    line = next(line for line in output.splitlines() if line.startswith("address:"))
    return line.split()[1]


@pytest.fixture
def bound_wallet(wallet_cli: WalletCli, served_bureau: ServedBureau, network: Network) -> str:
    """A wallet created and bound through the CLI; its address."""
    created = wallet_cli("create")
    assert created.exit_code == 0, created.output
    bound = wallet_cli("bind", "--voucher", served_bureau.issue_voucher())
    assert bound.exit_code == 0, bound.output
    address = address_in(created.output)
    assert network.registries().consents.binding_of(PSEUDONYM)[0] == address
    return address
