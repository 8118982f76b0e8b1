"""``trustshare chain``: run a local chain with the registries deployed."""

from __future__ import annotations

import signal
import threading
from pathlib import Path
from typing import Annotated

import typer

from trustshare.chain.errors import ChainError
from trustshare.devnet import start_dev_network

chain_app = typer.Typer(
    help="Run a local development chain with the registries.", no_args_is_help=True
)


@chain_app.command("up")
def up(
    port: Annotated[
        int,
        typer.Option(
            help="Loopback port for JSON-RPC (0 picks a free one).", envvar="TRUSTSHARE_CHAIN_PORT"
        ),
    ] = 8545,
    state_dir: Annotated[
        Path | None,
        typer.Option(
            help="Keep the chain, deployment and dev keys here across restarts.",
            envvar="TRUSTSHARE_STATE_DIR",
        ),
    ] = None,
    block_time: Annotated[
        float | None, typer.Option(help="Seconds per block (default: one block per transaction).")
    ] = None,
) -> None:
    """Start anvil, deploy the registries, register a demo bureau and insurers; Ctrl-C stops."""
    try:
        network = start_dev_network(port=port or None, state_dir=state_dir, block_time=block_time)
    except ChainError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(1) from exc
    deployment = network.deployment
    typer.echo(f"chain        {network.chain.rpc_url}  (chain id {deployment.chain_id})")
    typer.echo(f"operator     {deployment.operator}")
    typer.echo(f"Participants        {deployment.participants}")
    typer.echo(f"ConsentRegistry     {deployment.consent_registry}")
    typer.echo(f"AttestationRegistry {deployment.attestation_registry}")
    typer.echo(f"ClaimRegistry       {deployment.claim_registry}")
    typer.echo(f"bureau       {network.bureau.address}")
    for insurer in network.insurers:
        public = insurer.sealing_key.public_key().hex()
        typer.echo(f"insurer      {insurer.account.address}  {insurer.name}  x25519 {public}")
    if state_dir:
        typer.echo(f"state        {state_dir} (deployment.json, chain-state.json, dev-keys.json)")
    stopped = threading.Event()
    for stop_signal in (signal.SIGINT, signal.SIGTERM):
        signal.signal(stop_signal, lambda *_: stopped.set())
    typer.echo("running — press Ctrl-C to stop")
    try:
        while not stopped.wait(0.5):
            if not network.chain.is_running():
                typer.echo("error: anvil exited", err=True)
                raise typer.Exit(1)
    finally:
        network.stop()
        typer.echo("stopped")
