"""``trustshare bureau``: run a bureau node, migrate its database, ingest bulk records."""

from __future__ import annotations

from typing import Annotated

import typer
from pydantic import ValidationError

from trustshare.bureau.settings import CONFIG_FILE_ENV, BureauSettings
from trustshare.chain.errors import ChainError
from trustshare.cli.bureau_ingest import ingest
from trustshare.storage.migrate import current_revision, upgrade

bureau_app = typer.Typer(
    help=(
        "The bureau node: settle bills for hospitals, clear them in Merkle batches, release "
        "sealed records to insurers under consent. Settings come from TRUSTSHARE_BUREAU_* "
        f"environment variables and the TOML file named by {CONFIG_FILE_ENV}."
    ),
    no_args_is_help=True,
)
bureau_app.command("ingest")(ingest)


def load_settings() -> BureauSettings:
    """The node's settings, or a readable exit naming what is missing or wrong."""
    try:
        return BureauSettings()
    except ValidationError as exc:
        problems = "\n".join(
            f"  TRUSTSHARE_BUREAU_{'_'.join(map(str, e['loc'])).upper()}: {e['msg']}"
            for e in exc.errors()
        )
        typer.echo(f"error: the bureau's settings are incomplete:\n{problems}", err=True)
        raise typer.Exit(1) from exc


@bureau_app.command("migrate")
def migrate() -> None:
    """Bring the node's database to the current schema (safe to repeat)."""
    settings = load_settings()
    upgrade(settings.database_url)
    typer.echo(f"database at revision {current_revision(settings.database_url)}")


@bureau_app.command("serve")
def serve(
    host: Annotated[str, typer.Option(help="Interface to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on.")] = 8701,
) -> None:
    """Migrate the database, then serve the node's API with its clearing publisher (1 worker)."""
    import uvicorn

    from trustshare.bureau.app import create_app

    settings = load_settings()
    upgrade(settings.database_url)
    try:
        app = create_app(settings)
    except ChainError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(1) from exc
    uvicorn.run(app, host=host, port=port, workers=1, log_level="info")
