"""``trustshare bench``: the project's headline figures, measured on this machine in one run."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from trustshare.cli.bureau_ingest import default_workers


def bench(
    as_json: Annotated[
        bool, typer.Option("--json", help="Print one JSON object (the figures, machine, date).")
    ] = False,
    json_file: Annotated[
        Path | None,
        typer.Option("--json-file", help="Also write the JSON object to this file."),
    ] = None,
    quick: Annotated[
        bool,
        typer.Option("--quick", hidden=True, help="Tiny sizes that only exercise the machinery."),
    ] = False,
) -> None:
    """Measure every headline figure on this machine (3–4 minutes; progress on stderr).

    The settlement engine; bulk clearing and its gas; hospital confirm, real-time authorisation
    and fast-claim latencies; claims per second; consent grant to effective. Without --json, a
    table with each figure next to its target and anchor (method: docs/BENCHMARKS.md).
    """
    from trustshare.bench.report import render_table  # measurement code only when measuring
    from trustshare.bench.runner import QUICK, STANDARD, run_bench

    sizes = QUICK if quick else STANDARD.with_workers(default_workers())
    run = run_bench(sizes, progress=lambda line: typer.echo(line, err=True))
    if json_file is not None:
        json_file.write_text(json.dumps(run.to_json_dict()) + "\n", encoding="utf-8")
    if as_json:
        typer.echo(json.dumps(run.to_json_dict()))
    else:
        typer.echo(render_table(run))
