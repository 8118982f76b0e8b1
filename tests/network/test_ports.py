"""Ports: fixed ones checked before anything starts, free ones never shared."""

from __future__ import annotations

import socket
from collections.abc import Iterator

import pytest

from trustshare.chain.devchain import free_port
from trustshare.network import PlanError, PortBusy, PortPlan
from trustshare.network.ports import assign_ports

BUREAUS = ["Beijing bureau", "Shanghai bureau"]
INSURERS = ["Insurer A", "Insurer B"]


@pytest.fixture
def listening() -> Iterator[int]:
    """A port another program listens on."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as server:
        server.bind(("127.0.0.1", 0))
        server.listen()
        yield int(server.getsockname()[1])


def test_fixed_ports_count_up_from_each_first_port() -> None:
    base = free_port()
    plan = PortPlan(chain=0, bureau=base, insurer=base + 10)
    try:
        assigned = assign_ports(plan, BUREAUS, INSURERS)
    except PortBusy:
        pytest.skip("another program took a port next to a free one")
    assert assigned.bureaus == (base, base + 1)
    assert assigned.insurers == (base + 10, base + 11)
    assert assigned.chain not in (*assigned.bureaus, *assigned.insurers)


def test_free_ports_are_all_different() -> None:
    assigned = assign_ports(PortPlan.free(), BUREAUS, INSURERS)
    ports = [assigned.chain, *assigned.bureaus, *assigned.insurers]
    assert len(set(ports)) == len(ports) and all(ports)


def test_a_busy_port_is_refused_naming_it_its_owner_and_the_option(listening: int) -> None:
    with pytest.raises(PortBusy) as refused:
        assign_ports(PortPlan(chain=0, bureau=0, insurer=listening), BUREAUS, INSURERS)
    assert refused.value.port == listening
    message = str(refused.value)
    assert f"port {listening}" in message and "Insurer A" in message
    assert "--insurer-port" in message and "0 picks free ports" in message


def test_busy_chain_port_is_refused(listening: int) -> None:
    with pytest.raises(PortBusy, match=rf"port {listening} .*the chain .*--chain-port"):
        assign_ports(PortPlan(chain=listening, bureau=0, insurer=0), BUREAUS, INSURERS)


def test_overlapping_or_impossible_ports_are_refused() -> None:
    with pytest.raises(PlanError, match="would serve both Shanghai bureau and Insurer A"):
        assign_ports(PortPlan(chain=0, bureau=20_000, insurer=20_001), BUREAUS, INSURERS)
    with pytest.raises(PlanError, match=r"65536 .* not a TCP port"):
        assign_ports(PortPlan(chain=0, bureau=0, insurer=65_535), BUREAUS, INSURERS)
