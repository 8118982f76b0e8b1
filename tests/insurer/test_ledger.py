"""The payouts ledger and its reconciliation, as the claims staff see them (API and CLI)."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import select
from typer.testing import CliRunner

from trustshare.cli.insurer import insurer_app
from trustshare.crypto.leaves import SettlementLeaf
from trustshare.insurer.claim_outbox import ClaimSender
from trustshare.insurer.context import InsurerContext
from trustshare.storage.database import transaction
from trustshare.storage.insurer_models import PayoutRow

from .claims_support import bureau_url, claimable, claims_client, post_claim

__all__ = ["bureau_url", "claimable"]


def _environment(context: InsurerContext, monkeypatch: pytest.MonkeyPatch, tmp: Path) -> None:
    settings = context.settings
    monkeypatch.delenv("TRUSTSHARE_INSURER_CONFIG", raising=False)
    monkeypatch.setenv("TRUSTSHARE_INSURER_DATABASE_URL", settings.database_url)
    monkeypatch.setenv("TRUSTSHARE_INSURER_RPC_URL", settings.rpc_url)
    monkeypatch.setenv("TRUSTSHARE_INSURER_DEPLOYMENT_FILE", str(settings.deployment_file))
    monkeypatch.setenv("TRUSTSHARE_INSURER_KEYSTORE_FILE", str(settings.keystore_file))


def test_the_ledger_and_reconciliation_show_a_paid_claim_and_a_tampered_ledger(
    insurer_context: InsurerContext,
    claimable: SettlementLeaf,
    bureau_url: str,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> None:
    with claims_client(insurer_context) as client:
        filed = post_claim(client, claimable.settlement_id, "ledger-1").json()
        ClaimSender(insurer_context).run_once()
        (entry,) = client.get("/v1/payouts").json()["entries"]
        assert (entry["kind"], entry["claim_id"]) == ("payout", filed["claim_id"])
        assert entry["settlement_id"] == "0x" + claimable.settlement_id.hex()
        assert client.get("/v1/payouts", params={"after": entry["id"]}).json()["entries"] == []
        assert client.get("/v1/reconciliation").json() == {
            "in_agreement": True,
            "differences": [],
        }
    _environment(insurer_context, monkeypatch, tmp_path)
    agreed = CliRunner().invoke(insurer_app, ["reconcile"])
    assert agreed.exit_code == 0, agreed.output
    assert "agree" in agreed.output

    with transaction(insurer_context.sessions) as session:  # somebody edits the ledger
        session.scalars(select(PayoutRow)).one().amount_fen += 100
    with claims_client(insurer_context) as client:
        (difference,) = client.get("/v1/reconciliation").json()["differences"]
    assert difference["ledger_fen"] == difference["chain_fen"] + 100
    disagreed = CliRunner().invoke(insurer_app, ["reconcile"])
    assert disagreed.exit_code == 1
    assert claimable.settlement_id.hex() in disagreed.output


def test_the_ledger_is_for_the_claims_staff_only(insurer_context: InsurerContext) -> None:
    from fastapi.testclient import TestClient

    from trustshare.insurer.app import create_app

    with TestClient(create_app(insurer_context.settings, context=insurer_context)) as anonymous:
        assert anonymous.get("/v1/payouts").status_code == 401
        assert anonymous.get("/v1/reconciliation").status_code == 401
