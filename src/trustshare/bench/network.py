"""The network a measurement runs on: anvil with the demo parties, and nodes served for real.

Each measurement starts its own chain (:func:`trustshare.devnet.start_dev_network`: the
registries deployed, the bureau and two insurers registered) and serves the nodes it needs as
``trustshare <bureau|insurer> serve`` in processes of their own, configured through their
``TRUSTSHARE_<NODE>_*`` environment variables, each with a fresh SQLite file.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Literal

from trustshare.chain.devchain import free_port
from trustshare.devnet import DemoInsurer, DevNetwork, start_dev_network
from trustshare.insurer.keystore import Keystore, SealingKeyEntry
from trustshare.network.processes import (
    NODE_ENV_PREFIXES,
    NodeProcess,
    stop_all,
    wait_until_healthy,
)

NodeRole = Literal["bureau", "insurer"]


@contextmanager
def dev_network() -> Iterator[DevNetwork]:
    """A fresh local chain with the demo parties registered; stopped on leaving."""
    network = start_dev_network()
    try:
        yield network
    finally:
        network.stop()


def _chain_values(network: DevNetwork, workdir: Path, database: str) -> dict[str, str]:
    """A node's database (a fresh SQLite file), chain and deployment file in ``workdir``."""
    deployment_file = workdir / "deployment.json"
    network.deployment.write(deployment_file)
    return {
        "DATABASE_URL": f"sqlite:///{workdir / database}",
        "RPC_URL": network.chain.rpc_url,
        "DEPLOYMENT_FILE": str(deployment_file),
    }


def bureau_values(network: DevNetwork, workdir: Path) -> dict[str, str]:
    """The demo bureau's settings on ``network``, with a fresh SQLite file in ``workdir``."""
    return {
        **_chain_values(network, workdir, "bureau.db"),
        "CHAIN_KEY": bytes(network.bureau.key).hex(),
        "PSEUDONYM_KEY": network.bureau_pseudonym_key.reveal_bytes().hex(),
    }


def insurer_values(network: DevNetwork, insurer: DemoInsurer, workdir: Path) -> dict[str, str]:
    """A demo insurer's settings: its keystore written in ``workdir``, a fresh SQLite file."""
    keystore = Keystore(insurer.account, (SealingKeyEntry(insurer.sealing_key, 0),))
    keystore.write(workdir / "insurer-keys.json")
    return {
        **_chain_values(network, workdir, "insurer.db"),
        "KEYSTORE_FILE": str(workdir / "insurer-keys.json"),
    }


def settings_of(values: Mapping[str, str]) -> dict[str, str]:
    """``values`` as the keyword names of the node's settings class (``DATABASE_URL`` → …)."""
    return {name.lower(): value for name, value in values.items()}


def node_environment(role: NodeRole, values: Mapping[str, str]) -> dict[str, str]:
    """The environment of this process without node settings, plus ``values`` as ``role``'s."""
    inherited = {k: v for k, v in os.environ.items() if not k.startswith(NODE_ENV_PREFIXES)}
    prefix = f"TRUSTSHARE_{role.upper()}_"
    return inherited | {prefix + name: value for name, value in values.items()}


@contextmanager
def served(
    role: NodeRole, values: Mapping[str, str], workdir: Path, port: int | None = None
) -> Iterator[NodeProcess]:
    """``trustshare <role> serve`` with ``values``, until the block ends; yields it once healthy.

    The node logs to ``<role>-<port>.log`` in ``workdir``; a node that exits or does not answer
    ``/v1/health`` within 60 s raises :class:`trustshare.network.errors.NodeFailed` with the
    log's tail.
    """
    port = port or free_port()
    command: Sequence[str] = (
        sys.executable,
        *("-m", "trustshare.cli", role, "serve", "--port", str(port)),
    )
    node = NodeProcess.spawn(
        role,
        f"http://127.0.0.1:{port}",
        command,
        node_environment(role, values),
        workdir / f"{role}-{port}.log",
    )
    try:
        wait_until_healthy([node], timeout=60)
        yield node
    finally:
        stop_all([node])


def cpu_seconds(pid: int) -> float:
    """User + system CPU seconds of process ``pid`` so far (Linux ``/proc``)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def percentile(sorted_values: Sequence[float], fraction: float) -> float:
    """The nearest-rank percentile of already-sorted values (``fraction`` 0.5 for p50)."""
    if not sorted_values:
        raise ValueError("no values to take a percentile of")
    rank = max(1, round(fraction * len(sorted_values)))
    return sorted_values[min(rank, len(sorted_values)) - 1]
