"""``trustshare demo``: the whole network on this machine, walked through every flow."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from trustshare.network import NetworkError
from trustshare.scenario.run import run_demo


def demo(
    state_dir: Annotated[
        Path | None,
        typer.Option(
            "--state-dir",
            help="Run the network here and keep it afterwards (chain, keys, databases, logs; a "
            "network saved there before is replaced). Default: a temporary directory, removed.",
            show_default=False,
        ),
    ] = None,
    short: Annotated[
        bool,
        typer.Option("--short", help="Fewer patients and steps, every kind of flow once (tests)."),
    ] = False,
) -> None:
    """Start a network of two bureaus and two insurers and play patients through every flow.

    Binding, consent, one-click enrollment, discharge with two commercial layers at the window,
    clearing, a cross-province fast claim, a refund that reverses a claim, a revoked consent and
    a tampered record refused. Exits 0 only if every expected outcome happened; the network is
    stopped at the end (also on Ctrl-C).
    """
    try:
        happened = run_demo(typer.echo, state_dir=state_dir, short_form=short)
    except NetworkError as error:
        typer.echo(f"error: {error}", err=True)
        raise typer.Exit(1) from error
    except KeyboardInterrupt as interrupt:
        typer.echo("\ninterrupted: the network was stopped", err=True)
        raise typer.Exit(130) from interrupt
    if not happened:
        raise typer.Exit(1)
