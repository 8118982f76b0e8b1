"""The bureau app starts on a real chain and database and answers its health check."""

from __future__ import annotations

from fastapi.testclient import TestClient

from ..conftest import Network


def test_health_names_the_bureau_and_chain(bureau_client: TestClient, network: Network) -> None:
    answer = bureau_client.get("/v1/health")
    assert answer.status_code == 200
    assert answer.json() == {
        "status": "ok",
        "bureau": network.bureau.address,
        "chain_id": network.deployment.chain_id,
    }


def test_secrets_never_appear_in_settings_repr(bureau_client: TestClient) -> None:
    context = bureau_client.app.state.context  # type: ignore[attr-defined]
    shown = repr(context.settings) + repr(context)
    assert context.settings.chain_key.get_secret_value() not in shown
    assert context.settings.pseudonym_key.get_secret_value() not in shown
