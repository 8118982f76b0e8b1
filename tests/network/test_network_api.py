"""The Python API the demo builds on: start, restart the same network, clean up on failure."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest

from trustshare.network import (
    DEFAULT_PLAN,
    InsurerPlan,
    Network,
    NetworkPlan,
    PlanError,
    PortPlan,
)
from trustshare.network.pidfile import StateLock

from .support import processes_using


def test_a_restart_brings_back_the_same_parties_at_their_new_endpoints(tmp_path: Path) -> None:
    with Network.start(tmp_path, ports=PortPlan.free()) as first:
        assert Network.describe(tmp_path) == first.description
        addresses = [node.address for node in first.description.nodes]
        participants = first.deployment.participants
        hospital = first.bureaus[0].settings().hospital_tokens
        assert first.insurers[0].keystore().address == first.insurers[0].address
    assert Network.describe(tmp_path) is None
    with Network.start(tmp_path, ports=PortPlan.free()) as again:
        assert [node.address for node in again.description.nodes] == addresses
        assert again.deployment.participants == participants
        assert again.bureaus[0].settings().hospital_tokens == hospital
        registry = again.registries().participants
        for node in again.description.nodes:
            assert registry.participant(node.address).endpoint == node.url
            assert httpx.get(f"{node.url}/v1/health", timeout=5).status_code == 200
    assert processes_using(tmp_path) == []
    other = NetworkPlan.of(["guangzhou"], DEFAULT_PLAN.insurers)
    with pytest.raises(PlanError, match="--fresh"):
        Network.start(tmp_path, plan=other, ports=PortPlan.free())


def test_a_failed_start_stops_what_it_started_and_frees_the_state_dir(tmp_path: Path) -> None:
    plan = NetworkPlan.of(["beijing"], [InsurerPlan("Insurer A", ("huiminbao-typical",))])
    with pytest.raises(PlanError, match="batch_max_leaves"):
        Network.start(
            tmp_path, plan=plan, ports=PortPlan.free(), bureau_settings={"batch_max_leaves": 0}
        )
    assert processes_using(tmp_path) == []  # anvil was started, and stopped again
    assert not (tmp_path / "network.pid").exists()
    lock = StateLock(tmp_path)
    lock.acquire()
    lock.release()
