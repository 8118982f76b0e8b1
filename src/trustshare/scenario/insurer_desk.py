"""An insurer node as patients' apps and its claims staff use it, over HTTP.

Patients' requests (enrollment, policy codes) are signed by their wallets; claims are filed by
the insurer's claims staff with the node's operator token and followed until they settle.
"""

from __future__ import annotations

import json
import time
from typing import Any

import httpx
from eth_account.signers.local import LocalAccount

from trustshare.crypto.premium import SignedPremiumDebit
from trustshare.gateway.signing import sign_request
from trustshare.network import InsurerNode
from trustshare.scenario.bureau_desk import answer, refusal
from trustshare.scenario.waiting import ScenarioError, poll

TIMEOUT_S = 30.0
ENROLL_TIMEOUT_S = 60.0
CLAIM_TIMEOUT_S = 90.0
SETTLED = frozenset({"recorded", "refused", "reversed"})


class InsurerDesk:
    """One insurer node."""

    def __init__(self, node: InsurerNode) -> None:
        """Talk to ``node``, as patients and as its claims staff."""
        self.node = node
        token = node.settings().operator_token
        if token is None:
            raise ScenarioError(f"{node.name} has no operator token in its config")
        self._staff = {"Authorization": f"Bearer {token.get_secret_value()}"}
        self._http = httpx.Client(base_url=node.url, timeout=TIMEOUT_S)

    @property
    def name(self) -> str:
        """The insurer's registered name."""
        return self.node.name

    @property
    def address(self) -> str:
        """The insurer's chain address."""
        return self.node.address

    def close(self) -> None:
        """Release the connections."""
        self._http.close()

    def _signed_post(self, wallet: LocalAccount, path: str, body: bytes) -> httpx.Response:
        headers = sign_request(wallet, "POST", path, body, now=time.time())
        if body:
            headers["Content-Type"] = "application/json"
        return self._http.post(path, content=body, headers=headers)

    # -- patients -------------------------------------------------------------------------------

    def enroll(
        self,
        wallet: LocalAccount,
        pseudonym: bytes,
        product: str,
        premium: SignedPremiumDebit | None = None,
    ) -> dict[str, Any]:
        """One-click enrollment; waits while the enrollment record's batch is not committed."""
        document: dict[str, Any] = {"pseudonym": "0x" + pseudonym.hex(), "product": product}
        if premium is not None:
            document["premium"] = premium.to_json_dict()
        body = json.dumps(document).encode()

        def attempt() -> httpx.Response | None:
            response = self._signed_post(wallet, "/v1/enrollments", body)
            waiting = response.status_code in (409, 503) and refusal(response)[0] in (
                "enrollment_not_committed",
                "record_not_verifiable",
                "premium_pending",
            )
            return None if waiting else response

        response = poll(attempt, timeout_s=ENROLL_TIMEOUT_S, what=f"enrollment with {self.name}")
        return answer(response, f"{self.name}: enrollment in {product}")

    def policy_code(self, wallet: LocalAccount, policy_number: str) -> dict[str, Any]:
        """A fresh 商保码 for the policy, as the hospital's API takes it."""
        response = self._signed_post(wallet, f"/v1/policies/{policy_number}/code", b"")
        return answer(response, f"{self.name}: policy code for {policy_number}")

    # -- claims staff ---------------------------------------------------------------------------

    def file_claim(self, settlement_id: str, product: str, key: str) -> dict[str, Any]:
        """File a fast claim on a settlement (the answer: queued, pending or refused)."""
        body = {"settlement_id": settlement_id, "product": product}
        headers = {**self._staff, "Idempotency-Key": key}
        response = self._http.post("/v1/claims", json=body, headers=headers)
        return answer(response, f"{self.name}: claim on {settlement_id}")

    def claim(self, claim_id: str) -> dict[str, Any] | None:
        """The claim as it stands, or None while the node has none by that id."""
        response = self._http.get(f"/v1/claims/{claim_id}", headers=self._staff)
        if response.status_code == 404:
            return None
        return answer(response, f"{self.name}: claim {claim_id}")

    def follow(
        self, claim_id: str, until: frozenset[str] = SETTLED, timeout_s: float = CLAIM_TIMEOUT_S
    ) -> dict[str, Any]:
        """The claim once its status is one of ``until``."""

        def settled() -> dict[str, Any] | None:
            claim = self.claim(claim_id)
            return claim if claim is not None and claim["status"] in until else None

        return poll(settled, timeout_s=timeout_s, what=f"{self.name}'s claim {claim_id} settling")
