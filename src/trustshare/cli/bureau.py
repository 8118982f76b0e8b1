"""``trustshare bureau``: run a bureau node, migrate its database, ingest bulk records."""

from __future__ import annotations

from typing import Annotated

import typer

from trustshare.bureau.settings import CONFIG_FILE_ENV, BureauSettings
from trustshare.chain.errors import ChainError
from trustshare.cli import node_commands as node
from trustshare.cli.bureau_ingest import ingest
from trustshare.storage.migrate import BUREAU_MIGRATIONS

bureau_app = typer.Typer(
    help=(
        "The bureau node: settle bills for hospitals, clear them in Merkle batches, release "
        "sealed records to insurers under consent. Settings come from TRUSTSHARE_BUREAU_* "
        f"environment variables and the TOML file named by {CONFIG_FILE_ENV}."
    ),
    no_args_is_help=True,
)
bureau_app.command("ingest")(ingest)


@bureau_app.command("migrate")
def migrate() -> None:
    """Bring the node's database to the current schema (safe to repeat)."""
    node.migrate(node.load_settings(BureauSettings, "bureau").database_url, BUREAU_MIGRATIONS)


@bureau_app.command("serve")
def serve(
    host: Annotated[str, typer.Option(help="Interface to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on.")] = 8701,
) -> None:
    """Migrate the database, then serve the node's API with its clearing publisher (1 worker)."""
    from trustshare.bureau.app import create_app

    settings = node.load_settings(BureauSettings, "bureau")
    BUREAU_MIGRATIONS.upgrade(settings.database_url)
    node.serve(lambda: create_app(settings), host=host, port=port, refusals=(ChainError,))
