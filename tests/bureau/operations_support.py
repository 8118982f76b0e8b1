"""Helpers of the identity, enrollment and ingestion tests: an operator's client, ID numbers."""

from __future__ import annotations

import dataclasses
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from fastapi.testclient import TestClient
from pydantic import SecretStr

from trustshare.bureau.api import operations
from trustshare.bureau.app import create_app
from trustshare.bureau.context import BureauContext
from trustshare.bureau.settings import BureauSettings
from trustshare.crypto.pseudonym import resident_check_character

OPERATOR_TOKEN = "operator-token-for-tests-only-0123456789"
REPO = Path(__file__).resolve().parents[2]


def resident_id(first_17: str) -> str:
    """A valid resident ID number from its first 17 digits."""
    return first_17 + resident_check_character(first_17)


ID_NUMBER = resident_id("11010519491231002")
OTHER_ID_NUMBER = resident_id("31010419800704123")


def with_operator_token(context: BureauContext, token: str | None) -> BureauContext:
    """The same node, with ``token`` as its operator token (None: no token configured)."""
    settings = context.settings.model_copy(
        update={"operator_token": SecretStr(token) if token else None}
    )
    return dataclasses.replace(context, settings=settings)


@contextmanager
def operator_client(
    context: BureauContext, *, token: str | None = OPERATOR_TOKEN, send_token: bool = True
) -> Iterator[TestClient]:
    """A client of the node's app, sending the operator token unless told not to."""
    node = with_operator_token(context, token)
    settings: BureauSettings = node.settings
    app = create_app(settings, context=node)
    if not any(getattr(route, "path", "") == "/v1/identities" for route in app.routes):
        app.include_router(operations.router)
    headers = {"Authorization": f"Bearer {OPERATOR_TOKEN}"} if send_token else {}
    with TestClient(app, headers=headers) as client:
        yield client


def make_bulk_file(path: Path, records: int, *, seed: int = 7, line_items: float = 0.3) -> Path:
    """A generated bulk file, written by the project's generator script as an operator would."""
    subprocess.run(
        [
            sys.executable,
            str(REPO / "scripts" / "make_bulk_records.py"),
            str(path),
            "--records",
            str(records),
            "--seed",
            str(seed),
            "--templates",
            "50",
            "--line-items",
            str(line_items),
        ],
        check=True,
    )
    return path
