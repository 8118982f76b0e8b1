"""A whole local TrustShare network on one command: chain, registries, bureaus, insurers.

``Network.start(state_dir)`` returns a :class:`RunningNetwork` (a context manager) whose
``bureaus`` and ``insurers`` each run as a separate ``trustshare … serve`` process, registered on
chain with their endpoints; ``Network.stop(state_dir)`` stops one started by another process.
See docs/NETWORK.md.
"""

from trustshare.network.errors import (
    NetworkCancelled,
    NetworkError,
    NodeFailed,
    PlanError,
    PortBusy,
    StateDirBusy,
)
from trustshare.network.network import DEFAULT_STATE_DIR, Network, StopReport
from trustshare.network.nodes import BureauNode, InsurerNode, NetworkDescription
from trustshare.network.plan import DEFAULT_PLAN, BureauPlan, InsurerPlan, NetworkPlan
from trustshare.network.ports import PortPlan
from trustshare.network.running import RunningNetwork

__all__ = [
    "DEFAULT_PLAN",
    "DEFAULT_STATE_DIR",
    "BureauNode",
    "BureauPlan",
    "InsurerNode",
    "InsurerPlan",
    "Network",
    "NetworkCancelled",
    "NetworkDescription",
    "NetworkError",
    "NetworkPlan",
    "NodeFailed",
    "PlanError",
    "PortBusy",
    "PortPlan",
    "RunningNetwork",
    "StateDirBusy",
    "StopReport",
]
