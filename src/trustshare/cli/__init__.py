"""The ``trustshare`` command line: one entry point, one sub-command group per concern."""

from __future__ import annotations

import typer

from trustshare.cli.bench import bench
from trustshare.cli.bureau import bureau_app
from trustshare.cli.chain import chain_app
from trustshare.cli.contracts import contracts_app
from trustshare.cli.demo import demo
from trustshare.cli.insurer import insurer_app
from trustshare.cli.network import network_app
from trustshare.cli.patient import patient_app
from trustshare.cli.settle import settle

app = typer.Typer(
    name="trustshare",
    help=(
        "TrustShare: one-stop settlement of basic (医保) and commercial (商保) health insurance "
        "over a trusted data-sharing chain."
    ),
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
app.add_typer(chain_app, name="chain")
app.add_typer(bureau_app, name="bureau")
app.add_typer(insurer_app, name="insurer")
app.add_typer(patient_app, name="patient")
app.add_typer(network_app, name="network")
app.add_typer(contracts_app, name="contracts")
app.command("demo")(demo)
app.command("settle")(settle)
app.command("bench")(bench)


def main() -> None:
    """Console-script entry point."""
    app()
