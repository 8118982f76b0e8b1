"""``trustshare insurer``: make and rotate the insurer's keys, migrate, run the node."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from trustshare.chain.errors import ChainError
from trustshare.cli import node_commands as node
from trustshare.insurer.context import InsurerContext
from trustshare.insurer.keystore import Keystore, KeystoreError
from trustshare.insurer.reconcile import reconcile
from trustshare.insurer.settings import CONFIG_FILE_ENV, InsurerSettings
from trustshare.storage.insurer_migrate import INSURER_MIGRATIONS

insurer_app = typer.Typer(
    help=(
        "The insurer node: authorise its layer in real time at the hospital window. Settings "
        "come from TRUSTSHARE_INSURER_* environment variables and the TOML file named by "
        f"{CONFIG_FILE_ENV}; keys live in the keystore file written by `keygen`."
    ),
    no_args_is_help=True,
)

KeystoreOption = Annotated[
    Path,
    typer.Option(
        "--keystore",
        help="The keystore file.",
        envvar="TRUSTSHARE_INSURER_KEYSTORE_FILE",
    ),
]


def load_settings() -> InsurerSettings:
    """The node's settings, or a readable exit naming what is missing or wrong."""
    return node.load_settings(InsurerSettings, "insurer")


@insurer_app.command("keygen")
def keygen(
    out: Annotated[Path, typer.Option("--out", help="Where to write the new keystore (0600).")],
) -> None:
    """Make a chain key and an X25519 sealing key; print only the address and public key."""
    keystore = Keystore.generate()
    try:
        keystore.write(out)
    except KeystoreError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(1) from exc
    typer.echo(f"address:        {keystore.address}")
    typer.echo(f"encryption key: {keystore.current.public.hex()}")
    typer.echo(f"keystore:       {out} (mode 0600; back it up, never share it)")


@insurer_app.command("rotate-key")
def rotate_key(keystore_file: KeystoreOption) -> None:
    """Add a new current sealing key (older ones stay readable); print its public key.

    Register it with ``Participants.rotateEncryptionKey`` (the insurer or the operator).
    """
    try:
        rotated = Keystore.read(keystore_file).rotated()
        rotated.write(keystore_file, overwrite=True)
    except KeystoreError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(1) from exc
    typer.echo(f"address:            {rotated.address}")
    typer.echo(f"new encryption key: {rotated.current.public.hex()}")
    typer.echo(f"keys kept:          {len(rotated.sealing_keys)}")


@insurer_app.command("migrate")
def migrate() -> None:
    """Bring the node's database to the current schema (safe to repeat)."""
    node.migrate(load_settings().database_url, INSURER_MIGRATIONS)


@insurer_app.command("reconcile")
def reconcile_ledger() -> None:
    """Compare this insurer's claims on chain with its payouts ledger; exit 1 on a difference."""
    settings = load_settings()
    try:
        context = InsurerContext.from_settings(settings)
    except (ChainError, KeystoreError) as error:
        typer.echo(f"error: {error}", err=True)
        raise typer.Exit(1) from error
    try:
        differences = reconcile(context)
    finally:
        context.engine.dispose()
    if not differences:
        typer.echo("ledger and chain agree: every payout has its claim on chain, and back")
        return
    for difference in differences:
        typer.echo(
            f"0x{difference.settlement_id.hex()}  chain {difference.chain_fen} fen  "
            f"ledger {difference.ledger_fen} fen"
        )
    raise typer.Exit(1)


@insurer_app.command("serve")
def serve(
    host: Annotated[str, typer.Option(help="Interface to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on.")] = 8801,
) -> None:
    """Migrate the database, then serve the node's API (one worker process)."""
    from trustshare.insurer.app import create_app

    settings = load_settings()
    INSURER_MIGRATIONS.upgrade(settings.database_url)
    node.serve(
        lambda: create_app(settings), host=host, port=port, refusals=(ChainError, KeystoreError)
    )
