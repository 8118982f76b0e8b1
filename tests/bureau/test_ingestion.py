"""Bulk ingestion as an operator meets it: the streaming endpoint, the CLI, then clearing."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import typer
import uvicorn
from sqlalchemy import func, select
from typer.testing import CliRunner

from trustshare.bureau.api import operations
from trustshare.bureau.app import create_app
from trustshare.bureau.batching import proof_for, settlement_leaf_of
from trustshare.bureau.context import BureauContext
from trustshare.bureau.ingestion import NATIONAL_PLATFORM_RULES_DIGEST
from trustshare.bureau.publisher import Publisher
from trustshare.chain.devchain import free_port
from trustshare.cli.bureau_ingest import ingest
from trustshare.crypto.pseudonym import pseudonym_of
from trustshare.storage.database import transaction
from trustshare.storage.models import Batch, SettlementRow

from .operations_support import (
    OPERATOR_TOKEN,
    make_bulk_file,
    operator_client,
    with_operator_token,
)

cli = typer.Typer()
cli.command()(ingest)
runner = CliRunner()


def count_settlements(context: BureauContext) -> int:
    with transaction(context.sessions) as session:
        return int(session.scalar(select(func.count()).select_from(SettlementRow)) or 0)


def node_environment(context: BureauContext) -> dict[str, str]:
    settings = context.settings
    return {
        "TRUSTSHARE_BUREAU_CHAIN_KEY": settings.chain_key.get_secret_value(),
        "TRUSTSHARE_BUREAU_PSEUDONYM_KEY": settings.pseudonym_key.get_secret_value(),
        "TRUSTSHARE_BUREAU_OPERATOR_TOKEN": OPERATOR_TOKEN,
    }


def test_a_streamed_file_is_ingested_and_resending_it_changes_nothing(
    bureau_context: BureauContext, tmp_path: Path
) -> None:
    bulk = make_bulk_file(tmp_path / "bulk.ndjson", 1_200)

    def blocks() -> Iterator[bytes]:
        with bulk.open("rb") as stream:
            while block := stream.read(10_000):
                yield block

    with operator_client(bureau_context) as client:
        first = client.post("/v1/ingest/settlements", content=blocks())
        again = client.post("/v1/ingest/settlements", content=blocks())
    assert first.status_code == 200, first.text
    assert first.json() == {
        "lines": 1_200,
        "accepted": 1_200,
        "already_stored": 0,
        "rejected": 0,
        "rejects": [],
        "rejects_truncated": False,
    }
    assert (again.json()["accepted"], again.json()["already_stored"]) == (0, 1_200)
    assert count_settlements(bureau_context) == 1_200

    first_line = json.loads(bulk.read_text(encoding="utf-8").splitlines()[0])
    with transaction(bureau_context.sessions) as session:
        row = session.scalars(
            select(SettlementRow).where(SettlementRow.setl_id == first_line["setl_id"])
        ).one()
    assert row.pseudonym == pseudonym_of(first_line["id_number"], bureau_context.pseudonym_key)
    assert row.claim_ceiling_fen == first_line["psn_part_amt"]


def make_bulk_file_lines(context: BureauContext, count: int) -> list[str]:
    path = Path(context.settings.deployment_file).parent / "few.ndjson"
    return make_bulk_file(path, count, seed=11).read_text(encoding="utf-8").splitlines()


def test_the_endpoint_reports_rejected_lines_by_number(bureau_context: BureauContext) -> None:
    good = make_bulk_file_lines(bureau_context, 2)
    body = "\n".join([good[0], '{"setl_id": "S-2"}', good[1], "nonsense"]) + "\n"
    with operator_client(bureau_context) as client:
        answer = client.post("/v1/ingest/settlements", content=body.encode())
    report = answer.json()
    assert (report["accepted"], report["rejected"]) == (2, 2)
    assert [reject["line"] for reject in report["rejects"]] == [2, 4]
    assert report["rejects"][0]["field"] == "mdtrt_id"  # the first missing field, by position


def test_ingested_records_are_cleared_with_proofs_that_verify_on_chain(
    bureau_context: BureauContext, tmp_path: Path
) -> None:
    bulk = make_bulk_file(tmp_path / "bulk.ndjson", 300)
    with operator_client(bureau_context) as client:
        client.post("/v1/ingest/settlements", content=bulk.read_bytes())
    Publisher(bureau_context).run_once()

    with transaction(bureau_context.sessions) as session:
        rows = list(session.scalars(select(SettlementRow)))
        assert {row.batch_id for row in rows} != {None}
        [batch] = session.scalars(select(Batch)).all()
        assert (batch.kind, batch.leaf_count, batch.status) == ("SETTLEMENT", 300, "final")
        assert batch.rules_version == NATIONAL_PLATFORM_RULES_DIGEST
        for row in rows[:: len(rows) // 5]:
            assert row.leaf_index is not None
            root, proof = proof_for(session, batch.id, row.leaf_index)
            leaf = settlement_leaf_of(row)
            assert bureau_context.registries.attestations.verify_settlement(root, leaf, proof)


def test_the_cli_ingests_straight_into_the_database(
    bureau_context: BureauContext, tmp_path: Path
) -> None:
    bulk = make_bulk_file(tmp_path / "bulk.ndjson", 400)
    arguments = [str(bulk), "--database-url", bureau_context.settings.database_url]
    environment = node_environment(bureau_context)
    result = runner.invoke(cli, [*arguments, "--chunk-lines", "150"], env=environment)
    assert result.exit_code == 0, result.output
    assert "400 lines: 400 accepted, 0 already stored, 0 rejected" in result.output
    assert count_settlements(bureau_context) == 400

    in_process = [*arguments, "--json", "--no-progress", "--workers", "0"]
    again = runner.invoke(cli, in_process, env=environment)
    assert again.exit_code == 0, again.output
    assert json.loads(again.stdout)["already_stored"] == 400

    with bulk.open("a", encoding="utf-8") as stream:
        stream.write('{"setl_id": "broken"}\n')
    partly = runner.invoke(cli, [*arguments, "--no-progress"], env=environment)
    assert partly.exit_code == 3
    assert "line 401: mdtrt_id: Field required" in partly.output


def test_the_cli_without_the_node_keys_says_what_is_missing(tmp_path: Path) -> None:
    bulk = tmp_path / "empty.ndjson"
    bulk.write_text("")
    unset = {"TRUSTSHARE_BUREAU_CHAIN_KEY": None, "TRUSTSHARE_BUREAU_PSEUDONYM_KEY": None}
    result = runner.invoke(
        cli, [str(bulk), "--database-url", f"sqlite:///{tmp_path}/x.db"], env=unset
    )
    assert result.exit_code == 1
    assert "chain_key" in result.output and "pseudonym_key" in result.output


@contextmanager
def serving(context: BureauContext) -> Iterator[str]:
    node = with_operator_token(context, OPERATOR_TOKEN)
    app = create_app(node.settings, context=node)
    if not any(getattr(route, "path", "") == "/v1/identities" for route in app.routes):
        app.include_router(operations.router)
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.02)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(10)


def test_the_cli_streams_to_a_running_node(bureau_context: BureauContext, tmp_path: Path) -> None:
    bulk = make_bulk_file(tmp_path / "bulk.ndjson", 300)
    with serving(bureau_context) as url:
        result = runner.invoke(
            cli, [str(bulk), "--url", url, "--token-env", "NODE_TOKEN"], env={"NODE_TOKEN": ""}
        )
        assert result.exit_code == 1 and "set NODE_TOKEN" in result.output

        refused = runner.invoke(
            cli, [str(bulk), "--url", url, "--token-env", "NODE_TOKEN"], env={"NODE_TOKEN": "no"}
        )
        assert refused.exit_code == 1 and "401" in refused.output

        sent = runner.invoke(
            cli,
            [str(bulk), "--url", url, "--token-env", "NODE_TOKEN", "--source", "platform-2025-06"],
            env={"NODE_TOKEN": OPERATOR_TOKEN},
        )
    assert sent.exit_code == 0, sent.output
    assert "300 lines: 300 accepted" in sent.output
    with transaction(bureau_context.sessions) as session:
        sources = set(session.scalars(select(SettlementRow.source)))
    assert sources == {"platform-2025-06"}
