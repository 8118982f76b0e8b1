"""What ``trustshare bureau`` and ``trustshare insurer`` share: settings, migrate, serve."""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

import typer
from fastapi import FastAPI
from pydantic import ValidationError

from trustshare.gateway.node_settings import NodeSettings
from trustshare.storage.migrations_runner import MigrationSet

SettingsT = TypeVar("SettingsT", bound=NodeSettings)


def load_settings(settings_cls: type[SettingsT], node: str) -> SettingsT:
    """The node's settings, or a readable exit naming each missing or wrong variable."""
    try:
        return settings_cls()
    except ValidationError as exc:
        prefix = str(settings_cls.model_config.get("env_prefix", ""))
        problems = "\n".join(
            f"  {prefix}{'_'.join(map(str, e['loc'])).upper()}: {e['msg']}" for e in exc.errors()
        )
        typer.echo(f"error: the {node}'s settings are incomplete:\n{problems}", err=True)
        raise typer.Exit(1) from exc


def migrate(database_url: str, migrations: MigrationSet) -> None:
    """Bring the database to head and say which revision it is at."""
    migrations.upgrade(database_url)
    typer.echo(f"database at revision {migrations.current_revision(database_url)}")


def serve(
    build_app: Callable[[], FastAPI],
    *,
    host: str,
    port: int,
    refusals: tuple[type[Exception], ...],
) -> None:
    """Build the app (exiting with its error's words on ``refusals``) and serve it, 1 worker."""
    import uvicorn

    try:
        app = build_app()
    except refusals as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(1) from exc
    uvicorn.run(app, host=host, port=port, workers=1, log_level="info")
