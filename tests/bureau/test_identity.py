"""Identity binding: ID number → keyed pseudonym → wallet, queued in the outbox, then on chain."""

from __future__ import annotations

import json

from sqlalchemy import select

from trustshare.bureau.context import BureauContext
from trustshare.bureau.publisher import Publisher
from trustshare.crypto.pseudonym import pseudonym_of
from trustshare.storage.database import transaction
from trustshare.storage.models import OutboxEntry, WalletBinding

from ..conftest import Network
from .operations_support import (
    ID_NUMBER,
    OPERATOR_TOKEN,
    OTHER_ID_NUMBER,
    operator_client,
)

WALLET = "0x90F79bf6EB2c4f870365E785982E1f101E93b906"
NEW_WALLET = "0x15d34AAf54267DB7D7c367839AAf71A00a2C6A65"


def stored_outbox(context: BureauContext) -> list[OutboxEntry]:
    with transaction(context.sessions) as session:
        return list(session.scalars(select(OutboxEntry).order_by(OutboxEntry.id)))


def test_binding_queues_the_chain_write_and_the_publisher_puts_it_on_chain(
    bureau_context: BureauContext,
) -> None:
    pseudonym = pseudonym_of(ID_NUMBER, bureau_context.pseudonym_key)
    with operator_client(bureau_context) as client:
        answer = client.post("/v1/identities", json={"id_number": ID_NUMBER, "wallet": WALLET})
        assert answer.status_code == 202, answer.text
        body = answer.json()
        assert body["pseudonym"] == "0x" + pseudonym.hex()
        assert body["wallet"] == WALLET and body["repeated"] is False

        [entry] = stored_outbox(bureau_context)
        assert (entry.id, entry.kind, entry.status) == (body["outbox_id"], "bind_wallet", "pending")
        assert json.loads(entry.payload_json) == {"pseudonym": body["pseudonym"], "wallet": WALLET}
        with transaction(bureau_context.sessions) as session:
            binding = session.get(WalletBinding, pseudonym)
            assert binding is not None and binding.outbox_id == entry.id
        assert ID_NUMBER not in answer.text + entry.payload_json

        pending = client.get(f"/v1/identities/{body['pseudonym']}").json()
        assert (pending["state"], pending["chain_wallet"]) == ("pending", None)

        Publisher(bureau_context).run_once()

        assert bureau_context.registries.consents.binding_of(pseudonym) == (
            WALLET,
            bureau_context.address,
        )
        synced = client.get(f"/v1/identities/{body['pseudonym']}").json()
        assert synced["state"] == "synced"
        assert (synced["wallet"], synced["chain_wallet"]) == (WALLET, WALLET)
        assert synced["chain_bureau"] == bureau_context.address
        assert synced["outbox_status"] == "done"


def test_rebinding_after_key_loss_moves_the_binding_to_the_new_wallet(
    bureau_context: BureauContext,
) -> None:
    with operator_client(bureau_context) as client:
        first = client.post("/v1/identities", json={"id_number": ID_NUMBER, "wallet": WALLET})
        Publisher(bureau_context).run_once()
        again = client.post(
            "/v1/identities", json={"id_number": f" {ID_NUMBER.lower()} ", "wallet": NEW_WALLET}
        )
        assert again.status_code == 202
        assert again.json()["pseudonym"] == first.json()["pseudonym"]
        assert again.json()["outbox_id"] != first.json()["outbox_id"]
        Publisher(bureau_context).run_once()

        status = client.get(f"/v1/identities/{first.json()['pseudonym']}").json()
        assert (status["state"], status["chain_wallet"]) == ("synced", NEW_WALLET)


def test_repeating_a_binding_queues_no_second_chain_write(bureau_context: BureauContext) -> None:
    with operator_client(bureau_context) as client:
        first = client.post("/v1/identities", json={"id_number": ID_NUMBER, "wallet": WALLET})
        repeat = client.post(
            "/v1/identities", json={"id_number": ID_NUMBER, "wallet": WALLET.lower()}
        )
    assert repeat.status_code == 202
    assert repeat.json()["repeated"] is True
    assert repeat.json()["outbox_id"] == first.json()["outbox_id"]
    assert len(stored_outbox(bureau_context)) == 1


def test_a_bad_id_number_is_refused_by_field_with_the_reason_and_stores_nothing(
    bureau_context: BureauContext,
) -> None:
    mistyped = ID_NUMBER[:-1] + ("0" if ID_NUMBER[-1] != "0" else "1")
    with operator_client(bureau_context) as client:
        for bad, reason in ((mistyped, "check character"), ("1101051949", "18 characters")):
            answer = client.post("/v1/identities", json={"id_number": bad, "wallet": WALLET})
            assert answer.status_code == 422
            error = answer.json()["error"]
            assert error["field"] == "id_number" and reason in error["message"]
            assert bad not in answer.text
    assert stored_outbox(bureau_context) == []


def test_a_bad_wallet_is_refused_by_field(bureau_context: BureauContext) -> None:
    bad_checksum = WALLET[:2] + WALLET[2:].swapcase()
    with operator_client(bureau_context) as client:
        for wallet, reason in (
            ("0x1234", "20-byte"),
            ("not an address", "20-byte"),
            (bad_checksum, "checksum"),
            ("0x" + "00" * 20, "zero address"),
        ):
            answer = client.post("/v1/identities", json={"id_number": ID_NUMBER, "wallet": wallet})
            assert answer.status_code == 422, wallet
            assert answer.json()["error"]["field"] == "wallet"
            assert reason in answer.json()["error"]["message"]
        unknown_field = client.post(
            "/v1/identities", json={"id_number": ID_NUMBER, "wallet": WALLET, "name": "张三"}
        )
        assert unknown_field.status_code == 422
        assert unknown_field.json()["error"]["field"] == "name"
    assert stored_outbox(bureau_context) == []


def test_operator_routes_need_the_operator_token(bureau_context: BureauContext) -> None:
    body = {"id_number": ID_NUMBER, "wallet": WALLET}
    with operator_client(bureau_context, send_token=False) as client:
        assert client.post("/v1/identities", json=body).status_code == 401
        wrong = {"Authorization": f"Bearer {OPERATOR_TOKEN}x"}
        assert client.post("/v1/identities", json=body, headers=wrong).status_code == 401
        basic = {"Authorization": f"Basic {OPERATOR_TOKEN}"}
        assert client.post("/v1/enrollments", json={}, headers=basic).status_code == 401
        assert client.post("/v1/ingest/settlements", content=b"").status_code == 401
    with operator_client(bureau_context, token=None) as client:
        refused = client.post("/v1/identities", json=body)
        assert refused.status_code == 503
        assert "operator token" in refused.json()["error"]["message"]
    assert stored_outbox(bureau_context) == []


def test_status_of_an_unknown_or_malformed_pseudonym(bureau_context: BureauContext) -> None:
    with operator_client(bureau_context) as client:
        unknown = "0x" + pseudonym_of(OTHER_ID_NUMBER, bureau_context.pseudonym_key).hex()
        assert client.get(f"/v1/identities/{unknown}").status_code == 404
        malformed = client.get("/v1/identities/0x1234")
        assert malformed.status_code == 422
        assert malformed.json()["error"]["field"] == "pseudonym"


def test_a_pseudonym_bound_by_another_bureau_is_refused_before_queueing(
    bureau_context: BureauContext, network: Network
) -> None:
    operator = network.registries(network.operator)
    operator.participants.register_bureau(network.outsider.address, "Other", "http://127.0.0.1:1")
    pseudonym = pseudonym_of(ID_NUMBER, bureau_context.pseudonym_key)
    network.registries(network.outsider).consents.bind_wallet(pseudonym, WALLET)
    with operator_client(bureau_context) as client:
        answer = client.post("/v1/identities", json={"id_number": ID_NUMBER, "wallet": NEW_WALLET})
        assert answer.status_code == 409
        assert network.outsider.address in answer.json()["error"]["message"]
        status = client.get(f"/v1/identities/0x{pseudonym.hex()}").json()
        assert (status["state"], status["chain_bureau"]) == ("chain_only", network.outsider.address)
    assert stored_outbox(bureau_context) == []
