"""``trustshare contracts``: build the artifacts that ship inside the package."""

from __future__ import annotations

import typer

from trustshare.chain.compiled import build
from trustshare.chain.errors import ChainError

contracts_app = typer.Typer(
    help="Compile the registries (solc-js via the shim) into the package's artifacts.",
    no_args_is_help=True,
)


@contracts_app.command("build")
def build_command() -> None:
    """Recompile contracts/src and rewrite the shipped ABI + bytecode and typed errors."""
    try:
        written = build()
    except ChainError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(1) from exc
    for path in written:
        typer.echo(f"wrote {path}")
