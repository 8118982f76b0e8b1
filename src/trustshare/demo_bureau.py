"""The demo's second act: a bureau node over HTTP settles bills, clears them, releases records.

A real bureau app (uvicorn on a loopback port, SQLite, its clearing publisher running) on the
demo network: a hospital confirms bills, the publisher commits the batch, one insurer is refused
a release (its consent was revoked in the first act) and another receives the sealed record and
verifies it against the commitment and the chain.
"""

from __future__ import annotations

import json
import secrets
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx
import uvicorn
from fastapi import FastAPI
from pydantic import SecretStr
from sqlalchemy import select

from trustshare.bureau.app import create_app
from trustshare.bureau.context import BureauContext
from trustshare.bureau.settings import BureauSettings
from trustshare.chain.devchain import free_port
from trustshare.chain.registries import SettlementLeaf
from trustshare.chain.toolchain import find_checkout
from trustshare.crypto.commitment import Disclosure, verify_disclosure
from trustshare.crypto.sealing import SealedRecord, open_sealed
from trustshare.devnet import DemoInsurer, DevNetwork
from trustshare.domain import format_yuan
from trustshare.gateway.signing import sign_request
from trustshare.storage.migrate import upgrade
from trustshare.storage.models import Batch, OutboxEntry

Echo = Callable[[str], None]
Then = Callable[[httpx.Client, BureauContext, dict[str, str]], None]
DEMO_BILLS = ("bill-beijing-inpatient.json", "bill-shanghai-special-drug.json")


@contextmanager
def serving(app: FastAPI) -> Iterator[str]:
    """Serve ``app`` on a free loopback port in a thread; yield its base URL."""
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.02)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=20)


class BureauScenario:
    """Steps 8–10 of the demo, against a bureau node over HTTP."""

    def __init__(self, network: DevNetwork, echo: Echo, workdir: Path, id_number: str) -> None:
        self.network = network
        self.echo = echo
        self.id_number = id_number
        self.hospital_token = secrets.token_urlsafe(24)
        self.operator_token = secrets.token_urlsafe(24)
        deployment_file = workdir / "deployment.json"
        network.deployment.write(deployment_file)
        self.settings = BureauSettings(
            database_url=f"sqlite:///{workdir / 'bureau.db'}",
            rpc_url=network.chain.rpc_url,
            deployment_file=deployment_file,
            chain_key=SecretStr(bytes(network.bureau.key).hex()),
            pseudonym_key=SecretStr(network.bureau_pseudonym_key.reveal_bytes().hex()),
            hospital_tokens={"Demo People's Hospital": SecretStr(self.hospital_token)},
            operator_token=SecretStr(self.operator_token),
            batch_max_wait_ms=300,
            publisher_poll_ms=100,
        )

    def run(self, then: Then | None = None) -> None:
        """Serve the node and walk the steps; ``then`` continues while the node still runs."""
        upgrade(self.settings.database_url)
        context = BureauContext.from_settings(self.settings)
        with serving(create_app(self.settings, context=context)) as url:
            self.echo(f"\n[8] Bureau node at {url} (SQLite, clearing publisher running)")
            self.echo(f"    Patient consent page: {url}/patient/")
            operator = self.network.registries(self.network.operator).participants
            operator.update_endpoint(self.network.bureau.address, url)  # insurers find it here
            with httpx.Client(base_url=url, timeout=30) as client:
                setl_ids = self.settle_bills(client)
                self.await_clearing(context, setl_ids)
                self.releases(client, context, setl_ids[0])
                if then is not None:
                    tokens = {"hospital": self.hospital_token, "operator": self.operator_token}
                    then(client, context, tokens)

    def settle_bills(self, client: httpx.Client) -> list[str]:
        """Step 8: the hospital confirms bills; a repeated request is answered from the record."""
        examples = find_checkout().root / "docs" / "examples"
        headers = {"Authorization": f"Bearer {self.hospital_token}"}
        setl_ids = []
        for number, name in enumerate(DEMO_BILLS, start=1):
            bill = json.loads((examples / name).read_text(), parse_float=Decimal)
            bill["products"] = []  # statutory layers only: no insurer node runs in this demo
            bill["setl_id"] = f"DEMO-{number:04d}"
            body = json.loads(json.dumps({"id_number": self.id_number, "bill": bill}, default=str))
            key = {"Idempotency-Key": f"demo-confirm-{number}"}
            answer = client.post("/v1/settlements", json=body, headers={**headers, **key})
            answer.raise_for_status()
            settled = answer.json()
            setl_ids.append(settled["setl_id"])
            self.echo(
                f"    confirm {settled['setl_id']} ({bill['region']}): total "
                f"{format_yuan(settled['medfee_sumamt'])}, basic fund "
                f"{format_yuan(settled['basic_fund_fen'])}, critical illness "
                f"{format_yuan(settled['critical_illness_fen'])}, patient pays "
                f"{format_yuan(settled['patient_remainder_fen'])} yuan"
            )
            again = client.post("/v1/settlements", json=body, headers={**headers, **key})
            replayed = again.headers.get("Idempotent-Replayed") == "true"
            self.echo(
                f"      same Idempotency-Key again → {again.status_code}, replayed={replayed}"
            )
        return setl_ids

    def await_clearing(self, context: BureauContext, setl_ids: list[str]) -> None:
        """Step 9: the publisher batches the confirmed records and commits the root."""
        self.echo("\n[9] Clearing: the publisher batches pending records and commits the root")
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            with context.sessions() as session:
                batch = session.scalars(
                    select(Batch).where(Batch.kind == "SETTLEMENT", Batch.status == "final")
                ).first()
                if batch is not None:
                    outbox = session.scalars(
                        select(OutboxEntry).where(OutboxEntry.batch_id == batch.id)
                    ).one()
                    self.echo(
                        f"    batch root 0x{batch.root.hex()[:16]}…  {batch.leaf_count} "
                        f"settlements  tx {(batch.tx_hash or '')[:18]}…  block "
                        f"{batch.block_number}  gas {outbox.gas_used or 0:,}"
                    )
                    return
            time.sleep(0.2)
        raise RuntimeError(f"the publisher did not commit {setl_ids} within 60 s")

    def releases(self, client: httpx.Client, context: BureauContext, setl_id: str) -> None:
        """Step 10: a release refused without consent, and one released, sealed and verified."""
        self.echo("\n[10] Record release to insurers (signed requests, consent checked on-chain)")
        record = client.get(
            f"/v1/settlements/{setl_id}",
            headers={"Authorization": f"Bearer {self.hospital_token}"},
        ).json()
        for insurer in reversed(self.network.insurers):
            answer = self.request_release(client, insurer, record["settlement_id"])
            if answer.status_code != 200:
                error = answer.json()["error"]
                self.echo(
                    f"    {insurer.name} asks for {setl_id} → {answer.status_code} "
                    f"{error['code']} ({error.get('permission_status', error['message'])}); logged"
                )
                continue
            released = answer.json()
            disclosure = self.open(insurer, released)
            leaf = SettlementLeaf(
                bytes.fromhex(released["leaf"]["settlement_id"][2:]),
                bytes.fromhex(released["leaf"]["pseudonym"][2:]),
                bytes.fromhex(released["leaf"]["record_commitment"][2:]),
                int(released["leaf"]["claim_ceiling_fen"]),
            )
            verify_disclosure(disclosure, leaf.record_commitment)
            proof = [bytes.fromhex(node[2:]) for node in released["batch"]["proof"]]
            root = bytes.fromhex(released["batch"]["root"][2:])
            on_chain = context.registries.attestations.verify_settlement(root, leaf, proof)
            self.echo(
                f"    {insurer.name} asks for {setl_id} → 200: decrypted "
                f"{'+'.join(released['groups_released'])}, commitment verified, "
                f"proof verified on-chain: {on_chain}"
            )

    def request_release(
        self, client: httpx.Client, insurer: DemoInsurer, settlement_id: str
    ) -> httpx.Response:
        """The insurer's signed release request."""
        body = json.dumps(
            {
                "record_type": "settlement",
                "record_id": settlement_id,
                "purpose": "claim",
                "scopes": ["settlement_summary", "fund_breakdown"],
            }
        ).encode()
        headers = sign_request(insurer.account, "POST", "/v1/releases", body, now=time.time())
        headers["Content-Type"] = "application/json"
        return client.post("/v1/releases", content=body, headers=headers)

    @staticmethod
    def open(insurer: DemoInsurer, released: dict[str, Any]) -> Disclosure:
        """Decrypt the sealed disclosure with the insurer's key."""
        sealed = SealedRecord.from_json_dict(released["sealed_disclosure"])
        record_id = bytes.fromhex(released["record_id"][2:])
        plaintext = open_sealed(sealed, insurer.sealing_key, record_id, insurer.account.address)
        return Disclosure.from_json_dict(json.loads(plaintext))
