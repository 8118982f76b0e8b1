"""What the bureau node does for the page: its files, its config, a read-only chain window."""

from __future__ import annotations

import dataclasses
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient
from web3 import Web3

from trustshare.bureau.app import create_app
from trustshare.chain.devchain import free_port
from trustshare.crypto.vocabulary import Purpose, Scope

from ..conftest import Network
from .conftest import BureauNode

pytestmark = pytest.mark.chain

CHAIN = "/v1/patient-page/chain"


def rpc(node: BureauNode, method: str, params: list[Any]) -> dict[str, Any]:
    request = {"jsonrpc": "2.0", "id": 7, "method": method, "params": params}
    answer = httpx.post(node.url + CHAIN, json=request, timeout=30)
    assert answer.status_code == 200, answer.text
    body: dict[str, Any] = answer.json()
    assert body["id"] == 7
    return body


def test_the_page_and_its_files_are_served_with_a_strict_policy(bureau_node: BureauNode) -> None:
    moved = httpx.get(bureau_node.url + "/patient", timeout=30)
    assert moved.status_code == 308
    assert moved.headers["location"] == "/patient/"
    page = httpx.get(bureau_node.page_url, timeout=30)
    assert page.status_code == 200
    assert page.headers["content-type"].startswith("text/html")
    assert "script-src 'self'" in page.headers["content-security-policy"]
    assert '<script type="module" src="app.js">' in page.text
    script = httpx.get(bureau_node.page_url + "app.js", timeout=30)
    assert script.headers["content-type"].startswith("text/javascript")
    for name in ("nothing.js", "..%2Fapi%2Fpatient_page.py", "%2E%2E"):
        missing = httpx.get(bureau_node.page_url + name, timeout=30)
        assert missing.status_code == 404, name


def test_config_names_the_chain_the_registries_and_the_vocabulary(
    bureau_node: BureauNode, network: Network
) -> None:
    config = httpx.get(bureau_node.url + "/v1/patient-page/config", timeout=30).json()
    assert config["bureau"] == network.bureau.address
    chain = config["chain"]
    assert chain["chain_id"] == network.deployment.chain_id
    assert chain["deployed_at_block"] == network.deployment.deployed_at_block
    consents = chain["contracts"]["consent_registry"]
    assert consents["address"] == network.deployment.consent_registry
    assert any(entry.get("name") == "consentOf" for entry in consents["abi"])
    scopes = config["vocabulary"]["scopes"]
    assert [(s["bit"], s["zh"]) for s in scopes] == [(int(s), s.label_zh) for s in Scope]
    purposes = config["vocabulary"]["purposes"]
    assert [(p["key"], p["en"]) for p in purposes] == [(p.key, p.label_en) for p in Purpose]


def test_the_chain_window_forwards_registry_reads_and_nothing_else(
    bureau_node: BureauNode, network: Network
) -> None:
    assert int(rpc(bureau_node, "eth_chainId", [])["result"], 16) == network.deployment.chain_id
    registry = network.registries().consents.contract
    call = registry.encode_abi("nonceOf", [bytes(32)])
    to = network.deployment.consent_registry
    assert (
        int(rpc(bureau_node, "eth_call", [{"to": to, "data": call}, "latest"])["result"], 16) == 0
    )
    logs = {"address": to, "topics": [], "fromBlock": "0x0", "toBlock": "latest"}
    assert isinstance(rpc(bureau_node, "eth_getLogs", [logs])["result"], list)

    refused: list[tuple[str, list[Any]]] = [
        ("eth_sendRawTransaction", ["0x00"]),
        ("eth_call", [{"to": network.patient.address, "data": call}, "latest"]),
        ("eth_call", [{"to": to, "data": "not hex"}, "latest"]),
        ("eth_getLogs", [{**logs, "address": network.patient.address}]),
        ("eth_getLogs", [{**logs, "fromBlock": "earliest; drop"}]),
        ("eth_getBlockByNumber", [{"not": "a block"}]),
        ("anvil_setBalance", [network.patient.address, "0x1"]),
    ]
    for method, params in refused:
        answer = rpc(bureau_node, method, params)
        assert answer["error"]["code"] == -32601, (method, answer)
        assert "result" not in answer
    assert network.w3.eth.get_balance(network.patient.address) == 0


def test_an_unreachable_chain_is_said_in_json_rpc(bureau_node: BureauNode) -> None:
    dead = Web3(Web3.HTTPProvider(f"http://127.0.0.1:{free_port()}"))
    settings = bureau_node.context.settings.model_copy(update={"run_publisher": False})
    context = dataclasses.replace(bureau_node.context, settings=settings, w3=dead)
    with TestClient(create_app(settings, context=context)) as client:
        request = {"jsonrpc": "2.0", "id": 1, "method": "eth_blockNumber", "params": []}
        answer = client.post(CHAIN, json=request).json()
    assert answer["error"]["code"] == -32004
    assert "cannot reach its chain node" in answer["error"]["message"]
