"""`trustshare network up` / `down` as a user runs them: real processes, chain and nodes."""

from __future__ import annotations

import signal
import socket
import subprocess
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from web3 import Web3

from trustshare.chain.deployment import Deployment
from trustshare.chain.devchain import port_in_use
from trustshare.chain.registries import Registries
from trustshare.chain.registries.participants import ParticipantRole

from .support import TRUSTSHARE, PrintedNode, UpProcess, network_up, processes_using

RUNNING = "running — press Ctrl-C"


@pytest.fixture
def up(tmp_path: Path) -> Iterator[UpProcess]:
    """A network started with `network up`; killed at the end if the test left it running."""
    started = network_up(tmp_path / "network")
    yield started
    if started.process.poll() is None:
        started.process.send_signal(signal.SIGINT)
        started.finish()


def _down(state_dir: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*TRUSTSHARE, "network", "down", "--state-dir", str(state_dir)],
        capture_output=True,
        text=True,
        timeout=90,
    )


def _check_nodes_answer_and_are_registered(up: UpProcess, state_dir: Path) -> list[PrintedNode]:
    nodes = up.nodes()
    assert sorted(node.role for node in nodes) == ["bureau", "bureau", "insurer", "insurer"]
    registries = Registries.connect(
        Web3(Web3.HTTPProvider(up.rpc_url)), Deployment.read(state_dir / "deployment.json")
    )
    for node in nodes:
        health = httpx.get(f"{node.url}/v1/health", timeout=5).json()
        assert health["status"] == "ok" and health[node.role] == node.address
        assert httpx.get(node.docs, timeout=5).status_code == 200
        on_chain = registries.participants.participant(node.address)
        assert on_chain.active and on_chain.name == node.name
        assert on_chain.role == ParticipantRole[node.role.upper()]
        assert on_chain.endpoint == node.url  # how the other nodes find this one
        if node.role == "insurer":
            assert "0x" + on_chain.encryption_key.hex() == health["encryption_key"]
    regions = {node.name.split()[0] for node in nodes if node.role == "bureau"}
    assert regions == {"Beijing", "Shanghai"}
    return nodes


def test_up_serves_registered_nodes_until_ctrl_c_then_leaves_nothing(
    up: UpProcess, tmp_path: Path
) -> None:
    state_dir = tmp_path / "network"
    up.read_until(RUNNING)
    nodes = _check_nodes_answer_and_are_registered(up, state_dir)
    assert processes_using(state_dir)  # the network, anvil and four nodes
    second = network_up(state_dir)
    assert second.finish() == 1
    assert f"state dir {state_dir}" in second.output and "in use" in second.output

    up.process.send_signal(signal.SIGINT)
    assert up.finish() == 0, up.output
    assert "nothing of the network is left running" in up.output
    assert processes_using(state_dir) == []
    assert not (state_dir / "network.pid").exists()
    assert not any(port_in_use(int(node.url.rsplit(":", 1)[1])) for node in nodes)


def test_down_from_another_terminal_stops_the_network_and_can_be_repeated(
    up: UpProcess, tmp_path: Path
) -> None:
    state_dir = tmp_path / "network"
    up.read_until(RUNNING)
    stopped = _down(state_dir)
    assert stopped.returncode == 0, stopped.stderr
    assert "stopped: anvil, Beijing Medical Insurance Bureau" in stopped.stdout
    assert up.finish() == 0, up.output
    assert processes_using(state_dir) == []
    again = _down(state_dir)
    assert again.returncode == 0 and "no network is running" in again.stdout


def test_a_busy_port_is_refused_by_number_before_anything_starts(tmp_path: Path) -> None:
    state_dir = tmp_path / "network"
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as other_program:
        other_program.bind(("127.0.0.1", 0))
        other_program.listen()
        busy = other_program.getsockname()[1]
        refused = network_up(state_dir, "--bureau-port", str(busy))
        assert refused.finish() == 1
    assert f"error: port {busy} on 127.0.0.1 (for Beijing Medical Insurance Bureau)" in (
        refused.output
    )
    assert "--bureau-port N (0 picks free ports)" in refused.output
    assert not (state_dir / "deployment.json").exists()  # no chain was started
    assert processes_using(state_dir) == []


@pytest.mark.parametrize(
    ("arguments", "says"),
    [
        (["--bureau", "atlantis"], "no rules for region 'atlantis'; known regions: beijing,"),
        (["--insurer", "Insurer C"], "is not NAME=PRODUCT[,PRODUCT…]"),
        (["--insurer", "Insurer C=no-such-plan"], "no rules for product 'no-such-plan'"),
    ],
)
def test_unknown_parties_are_refused_with_what_to_type(
    tmp_path: Path, arguments: list[str], says: str
) -> None:
    refused = network_up(tmp_path / "network", *arguments)
    assert refused.finish() == 1
    assert says in refused.output
    assert not (tmp_path / "network" / "deployment.json").exists()
