"""The dev chain starts on a free port, stops cleanly and keeps its state in a file."""

from __future__ import annotations

from pathlib import Path

import pytest
from web3 import Web3

from trustshare.chain.deployment import Deployment, deploy_registries
from trustshare.chain.devchain import DevChain, dev_accounts
from trustshare.chain.errors import DeploymentError, DevChainError
from trustshare.chain.sender import TransactionSender


def test_state_file_survives_a_restart(tmp_path: Path) -> None:
    state = tmp_path / "chain-state.json"
    with DevChain.start(state_file=state) as chain:
        w3 = Web3(Web3.HTTPProvider(chain.rpc_url))
        deployment = deploy_registries(TransactionSender(w3, dev_accounts(1)[0]))
    assert not chain.is_running()
    assert state.exists()
    with DevChain.start(state_file=state) as again:
        w3 = Web3(Web3.HTTPProvider(again.rpc_url))
        deployment.check(w3)  # the registries' code is still there


def test_busy_port_is_refused_by_name(dev_chain: DevChain) -> None:
    with pytest.raises(DevChainError, match=f"port {dev_chain.port} .* already in use"):
        DevChain.start(port=dev_chain.port)


def test_deployment_file_round_trips_and_checks_the_chain(tmp_path: Path, w3: Web3) -> None:
    deployment = deploy_registries(TransactionSender(w3, dev_accounts(7)[6]))
    path = tmp_path / "deployment.json"
    deployment.write(path)
    assert Deployment.read(path) == deployment
    deployment.check(w3)
    wrong_chain = Deployment(**{**deployment.__dict__, "chain_id": 1})
    with pytest.raises(DeploymentError, match="chain 1 but the node is on chain 31337"):
        wrong_chain.check(w3)


def test_malformed_deployment_file_is_named(tmp_path: Path) -> None:
    path = tmp_path / "deployment.json"
    path.write_text('{"chain_id": 1}')
    with pytest.raises(DeploymentError, match="not a TrustShare deployment file"):
        Deployment.read(path)


def test_the_chain_keeps_its_old_states_in_a_folder_of_its_own_removed_at_stop() -> None:
    with DevChain.start() as chain:
        cache = chain._cache
        assert cache is not None and cache.is_dir()
        assert not str(cache).startswith(str(Path.home() / ".foundry"))
    assert not cache.exists()
