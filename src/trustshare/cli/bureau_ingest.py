"""``trustshare bureau ingest FILE``: load a bulk file of national-platform settlements.

Two modes (docs/INGESTION.md):

- HTTP (``--url``): stream the file to a running node's ``POST /v1/ingest/settlements`` with
  the operator token read from the environment variable named by ``--token-env``;
- direct (default): write straight into the node's database (``--database-url``, or the node's
  settings), with the node's pseudonym key and chain address from its settings.

Exit codes: 0 every line stored (or already stored), 1 the ingestion could not run or stopped,
3 it ran to the end but refused some lines.
"""

from __future__ import annotations

import json
import multiprocessing
import os
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Annotated, Any, BinaryIO, NoReturn

import httpx
import typer
from eth_account import Account
from pydantic import ValidationError
from rich.console import Console
from rich.progress import (
    BarColumn,
    DownloadColumn,
    Progress,
    TextColumn,
    TimeRemainingColumn,
    TransferSpeedColumn,
)
from sqlalchemy.exc import SQLAlchemyError

from trustshare.bureau.ingestion import (
    DEFAULT_CHUNK_LINES,
    DEFAULT_SOURCE,
    MAX_CHUNK_LINES,
    IngestReport,
    SettlementIngestor,
    lines_of,
)
from trustshare.bureau.settings import BureauSettings
from trustshare.crypto.pseudonym import PseudonymKey
from trustshare.storage.database import make_engine, make_session_factory

EXIT_FAILED = 1
EXIT_SOME_REJECTED = 3
READ_BLOCK_BYTES = 1 << 16
INGEST_PATH = "/v1/ingest/settlements"


def _fail(message: str) -> NoReturn:
    typer.echo(f"error: {message}", err=True)
    raise typer.Exit(EXIT_FAILED)


def _blocks(stream: BinaryIO, advance: Callable[[int], None]) -> Iterator[bytes]:
    while block := stream.read(READ_BLOCK_BYTES):
        advance(len(block))
        yield block


def _progress(enabled: bool) -> Progress:
    return Progress(
        TextColumn("[bold]ingest[/bold]"),
        BarColumn(),
        DownloadColumn(),
        TransferSpeedColumn(),
        TimeRemainingColumn(),
        TextColumn("{task.fields[totals]}"),
        console=Console(stderr=True),
        disable=not enabled,
    )


def _totals(report: IngestReport) -> str:
    return (
        f"{report.lines:,} lines · {report.accepted:,} accepted · "
        f"{report.already_stored:,} already stored · {report.rejected:,} rejected"
    )


def default_workers() -> int:
    """Worker processes for direct mode: one per core (at most 8) where fork exists, else 0."""
    cores = os.cpu_count() or 1
    if cores < 2 or "fork" not in multiprocessing.get_all_start_methods():
        return 0
    return min(cores, 8)


def _ingest_directly(
    file: Path,
    database_url: str | None,
    source: str,
    chunk_lines: int,
    workers: int,
    progress: Progress,
) -> dict[str, Any]:
    try:
        settings = BureauSettings(database_url=database_url) if database_url else BureauSettings()
    except ValidationError as error:
        problems = "; ".join(
            f"{'.'.join(str(part) for part in problem['loc'])}: {problem['msg']}"
            for problem in error.errors(include_url=False, include_input=False)
        )
        _fail(f"bureau settings are incomplete ({problems}); direct mode needs the node's keys")
    engine = make_engine(settings.database_url)
    ingestor = SettlementIngestor(
        make_session_factory(engine),
        bureau=str(Account.from_key(settings.chain_key.get_secret_value()).address),
        pseudonym_key=PseudonymKey.from_hex(settings.pseudonym_key.get_secret_value()),
        source=source,
    )
    task = progress.add_task("ingest", total=file.stat().st_size, totals="")
    try:
        with file.open("rb") as stream:
            ingestor.ingest(
                lines_of(_blocks(stream, lambda n: progress.advance(task, n))),
                chunk_lines=chunk_lines,
                workers=workers,
                on_chunk=lambda report: progress.update(task, totals=_totals(report)),
            )
    except SQLAlchemyError as error:
        done = ingestor.report.accepted + ingestor.report.already_stored
        _fail(
            f"database {engine.url.render_as_string(hide_password=True)} refused the records: "
            f"{error.__class__.__name__}: {str(error).splitlines()[0]} ({done:,} lines were "
            "stored before; running the same file again resumes without doubling them)"
        )
    finally:
        engine.dispose()
    return ingestor.report.to_json_dict()


def _ingest_over_http(
    file: Path, url: str, token_env: str, source: str, progress: Progress
) -> dict[str, Any]:
    token = os.environ.get(token_env)
    if not token:
        _fail(f"set {token_env} to the node's operator token (HTTP mode)")
    task = progress.add_task("ingest", total=file.stat().st_size, totals="sending…")
    headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/x-ndjson"}
    timeout = httpx.Timeout(30.0, read=600.0)
    try:
        with file.open("rb") as stream, httpx.Client(timeout=timeout) as client:
            answer = client.post(
                url.rstrip("/") + INGEST_PATH,
                params={"source": source},
                headers=headers,
                content=_blocks(stream, lambda n: progress.advance(task, n)),
            )
    except httpx.HTTPError as error:
        _fail(f"could not reach {url}: {error}")
    if answer.status_code != 200:
        try:
            detail = answer.json()["error"]["message"]
        except (ValueError, KeyError, TypeError):
            detail = answer.text[:200]
        _fail(f"{url} answered {answer.status_code}: {detail}")
    report: dict[str, Any] = answer.json()
    progress.update(task, totals=f"{report['accepted']:,} accepted")
    return report


def ingest(
    file: Annotated[
        Path,
        typer.Argument(
            exists=True, dir_okay=False, readable=True, help="JSON-lines file (docs/INGESTION.md)."
        ),
    ],
    url: Annotated[
        str | None,
        typer.Option(
            help="Send to the running node at this URL (HTTP mode) instead of its database.",
            envvar="TRUSTSHARE_BUREAU_URL",
        ),
    ] = None,
    token_env: Annotated[
        str, typer.Option(help="Environment variable holding the operator token (HTTP mode).")
    ] = "TRUSTSHARE_BUREAU_OPERATOR_TOKEN",
    database_url: Annotated[
        str | None,
        typer.Option(help="Direct mode: this database instead of the node's settings' one."),
    ] = None,
    source: Annotated[
        str, typer.Option(help="Where the records come from (stored with each record).")
    ] = DEFAULT_SOURCE,
    chunk_lines: Annotated[
        int,
        typer.Option(
            min=1, max=MAX_CHUNK_LINES, help="Direct mode: lines per database transaction."
        ),
    ] = DEFAULT_CHUNK_LINES,
    workers: Annotated[
        int,
        typer.Option(
            min=0,
            max=32,
            help="Direct mode: processes validating and committing lines (0: none, all here).",
        ),
    ] = default_workers(),
    progress: Annotated[bool, typer.Option(help="Show a progress bar on standard error.")] = True,
    as_json: Annotated[
        bool, typer.Option("--json", help="Print the report as one JSON object.")
    ] = False,
) -> None:
    """Ingest settlements settled by the national platform, pending clearing in batches."""
    with _progress(progress) as bar:
        if url:
            report = _ingest_over_http(file, url, token_env, source, bar)
        else:
            report = _ingest_directly(file, database_url, source, chunk_lines, workers, bar)
    if as_json:
        typer.echo(json.dumps(report))
    else:
        typer.echo(
            f"{report['lines']:,} lines: {report['accepted']:,} accepted, "
            f"{report['already_stored']:,} already stored, {report['rejected']:,} rejected"
        )
        for reject in report["rejects"]:
            where = f"{reject['field']}: " if reject["field"] else ""
            typer.echo(f"  line {reject['line']}: {where}{reject['reason']}")
        if report["rejects_truncated"]:
            typer.echo(f"  … and {report['rejected'] - len(report['rejects']):,} more")
    if report["rejected"]:
        raise typer.Exit(EXIT_SOME_REJECTED)
