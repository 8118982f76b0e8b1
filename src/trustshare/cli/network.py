"""``trustshare network``: a whole local network (chain, bureaus, insurers) on one command."""

from __future__ import annotations

import signal
import threading
from pathlib import Path
from typing import Annotated

import typer

from trustshare.network import (
    DEFAULT_STATE_DIR,
    InsurerPlan,
    Network,
    NetworkDescription,
    NetworkError,
    NetworkPlan,
    PortPlan,
)
from trustshare.network.plan import DEFAULT_PLAN
from trustshare.network.ports import DEFAULT_BUREAU_PORT, DEFAULT_CHAIN_PORT, DEFAULT_INSURER_PORT

network_app = typer.Typer(
    help=(
        "A local network on embedded defaults: anvil, the registries, bureaus and insurers, "
        "each node its own process with a SQLite database under the state dir."
    ),
    no_args_is_help=True,
)

StateDirOption = Annotated[
    Path,
    typer.Option(
        "--state-dir",
        help="Chain state, keys, configs, databases and logs of the network.",
        envvar="TRUSTSHARE_NETWORK_DIR",
    ),
]


def _fail(error: Exception) -> typer.Exit:
    typer.echo(f"error: {error}", err=True)
    return typer.Exit(1)


def _plan(bureaus: list[str] | None, insurers: list[str] | None) -> NetworkPlan | None:
    if not bureaus and not insurers:
        return None  # the saved network's parties, or the default ones
    regions = bureaus or [bureau.region for bureau in DEFAULT_PLAN.bureaus]
    parsed = [InsurerPlan.parse(text) for text in insurers] if insurers else DEFAULT_PLAN.insurers
    return NetworkPlan.of(regions, parsed)


def echo_network(network: NetworkDescription) -> None:
    """Print the chain, the registries and one line per node (name, role, address, URLs)."""
    deployment = network.deployment
    typer.echo(f"chain     {network.rpc_url}  (chain id {deployment.chain_id})")
    typer.echo(f"operator  {deployment.operator}")
    typer.echo(f"registry  Participants {deployment.participants}")
    typer.echo(f"state     {network.state_dir}")
    width = max(len(node.name) for node in network.nodes)
    typer.echo("")
    for node in network.nodes:
        typer.echo(f"{node.name:<{width}}  {node.role:<7}  {node.address}  {node.detail}")
        typer.echo(f"{'':<{width}}  url {node.url}  OpenAPI {node.docs_url}")


@network_app.command("up")
def up(
    state_dir: StateDirOption = DEFAULT_STATE_DIR,
    chain_port: Annotated[
        int, typer.Option(help="Port of the chain's JSON-RPC (0: a free one).")
    ] = DEFAULT_CHAIN_PORT,
    bureau_port: Annotated[
        int, typer.Option(help="Port of the first bureau; the next ones count up (0: free ones).")
    ] = DEFAULT_BUREAU_PORT,
    insurer_port: Annotated[
        int, typer.Option(help="Port of the first insurer; the next ones count up (0: free ones).")
    ] = DEFAULT_INSURER_PORT,
    bureau: Annotated[
        list[str] | None,
        typer.Option(help="A bureau's region (repeat for more; default: beijing and shanghai)."),
    ] = None,
    insurer: Annotated[
        list[str] | None,
        typer.Option(help="An insurer as NAME=PRODUCT[,PRODUCT…] (repeat for more)."),
    ] = None,
    fresh: Annotated[
        bool,
        typer.Option(help="Delete the saved network in the state dir (chain, keys, databases)."),
    ] = False,
) -> None:
    """Start the chain, deploy, register and start every node; serve until Ctrl-C.

    A restart with the same state dir brings back the same network (keys, databases, chain).
    """
    stop = threading.Event()
    for stop_signal in (signal.SIGINT, signal.SIGTERM):
        signal.signal(stop_signal, lambda *_: stop.set())
    try:
        plan = _plan(bureau, insurer)
        running = Network.start(
            state_dir,
            plan=plan,
            ports=PortPlan(chain_port, bureau_port, insurer_port),
            fresh=fresh,
            progress=typer.echo,
            cancel=stop,
        )
    except NetworkError as error:
        raise _fail(error) from error
    try:
        typer.echo("")
        echo_network(running.description)
        typer.echo("\nrunning — press Ctrl-C (or run `trustshare network down`) to stop")
        running.serve_until(stop)
    except NetworkError as error:
        raise _fail(error) from error
    finally:
        typer.echo("stopping the nodes and the chain")
        running.stop()
        typer.echo("stopped; nothing of the network is left running")


@network_app.command("down")
def down(state_dir: StateDirOption = DEFAULT_STATE_DIR) -> None:
    """Stop the network started by `network up` in this state dir (safe to repeat)."""
    report = Network.stop(state_dir)
    if not report.found:
        typer.echo(f"no network is running in {state_dir}")
        return
    if report.stale:
        typer.echo(f"the network's starter was gone; stopped what it left in {state_dir}")
    typer.echo(f"stopped: {', '.join(report.stopped) or 'nothing was left running'}")


@network_app.command("status")
def status(state_dir: StateDirOption = DEFAULT_STATE_DIR) -> None:
    """Print the network running in this state dir; exit 1 if none runs."""
    network = Network.describe(state_dir)
    if network is None:
        typer.echo(f"no network is running in {state_dir}", err=True)
        raise typer.Exit(1)
    echo_network(network)
