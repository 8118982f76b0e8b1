"""``trustshare demo``: the end-to-end scenario on a fresh local network."""

from __future__ import annotations

import typer

from trustshare.chain.errors import ChainError
from trustshare.demo import run_demo


def demo() -> None:
    """Start a local network on embedded defaults and walk the end-to-end scenario."""
    try:
        run_demo(typer.echo)
    except ChainError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(1) from exc
