"""Which loopback ports a network's chain and nodes listen on.

Fixed defaults (chain 8545, bureaus from 8701, insurers from 8801, counting up) keep URLs the
same across restarts; 0 picks free ports. Every fixed port is checked before anything starts,
so a busy one is refused by number and owner while nothing has changed yet.
"""

from __future__ import annotations

from dataclasses import dataclass

from trustshare.chain.devchain import free_port, port_in_use
from trustshare.network.errors import PlanError, PortBusy

DEFAULT_CHAIN_PORT = 8545
DEFAULT_BUREAU_PORT = 8701
DEFAULT_INSURER_PORT = 8801


@dataclass(frozen=True)
class PortPlan:
    """The first port of each kind of process; 0 means "any free port"."""

    chain: int = DEFAULT_CHAIN_PORT
    bureau: int = DEFAULT_BUREAU_PORT
    insurer: int = DEFAULT_INSURER_PORT

    @classmethod
    def free(cls) -> PortPlan:
        """Free ports for everything (tests, several networks side by side)."""
        return cls(0, 0, 0)


@dataclass(frozen=True)
class AssignedPorts:
    """The port of each process, in plan order."""

    chain: int
    bureaus: tuple[int, ...]
    insurers: tuple[int, ...]


@dataclass(frozen=True)
class _Want:
    owner: str
    option: str
    port: int  # 0: any free port


def assign_ports(plan: PortPlan, bureaus: list[str], insurers: list[str]) -> AssignedPorts:
    """Ports for the chain and for the named bureaus and insurers.

    Raises :class:`PortBusy` naming the first fixed port in use, or :class:`PlanError` if the
    fixed ranges overlap or run past 65535.
    """
    wants = [_Want("the chain (anvil)", "--chain-port", plan.chain)]
    for first, names, option in (
        (plan.bureau, bureaus, "--bureau-port"),
        (plan.insurer, insurers, "--insurer-port"),
    ):
        wants += [
            _Want(name, option, first + index if first else 0) for index, name in enumerate(names)
        ]
    fixed: dict[int, _Want] = {}
    for want in wants:
        if not 0 <= want.port <= 65_535:
            raise PlanError(f"port {want.port} for {want.owner} is not a TCP port ({want.option})")
        if want.port and want.port in fixed:
            raise PlanError(
                f"port {want.port} would serve both {fixed[want.port].owner} and {want.owner}: "
                f"move {want.option} so the ranges do not overlap"
            )
        if want.port:
            fixed[want.port] = want
    for port, want in fixed.items():
        if port_in_use(port):
            raise PortBusy(port, want.owner, want.option)
    chosen = [want.port or _free_port_outside(fixed) for want in wants]
    return AssignedPorts(
        chosen[0],
        tuple(chosen[1 : 1 + len(bureaus)]),
        tuple(chosen[1 + len(bureaus) :]),
    )


def _free_port_outside(taken: dict[int, _Want]) -> int:
    """A free port not already given to another process of this network."""
    while True:
        port = free_port()
        if port not in taken:
            taken[port] = _Want("", "", port)
            return port
