"""A bureau node as its counter staff and its hospitals use it, over HTTP.

The counter (operator token) verifies a person, records their enrollment, credits employee
contributions and issues binding vouchers; hospitals (bearer tokens) confirm and refund
settlements. Every refusal the scenario does not expect becomes a :class:`ScenarioError` with the
node's status, code and message.
"""

from __future__ import annotations

import json
import time
from datetime import date
from typing import Any

import httpx
from eth_account.signers.local import LocalAccount

from trustshare.gateway.signing import sign_request
from trustshare.network import BureauNode
from trustshare.scenario.cast import Person
from trustshare.scenario.waiting import ScenarioError

TIMEOUT_S = 30.0


def refusal(response: httpx.Response) -> tuple[str, str]:
    """The error ``code`` and message of a node's refusal (the common error shape)."""
    try:
        problem = response.json()["error"]
        return str(problem["code"]), str(problem["message"])
    except (ValueError, KeyError, TypeError):
        return "unexpected_answer", response.text[:200]


def answer(response: httpx.Response, what: str) -> dict[str, Any]:
    """The JSON body of a successful answer; :class:`ScenarioError` naming ``what`` otherwise."""
    if response.is_success:
        body: dict[str, Any] = response.json()
        return body
    code, message = refusal(response)
    raise ScenarioError(f"{what}: {response.status_code} {code}: {message}")


class BureauDesk:
    """One bureau node: its counter, and the hospitals holding a token there."""

    def __init__(self, node: BureauNode, hospital_tokens: dict[str, str]) -> None:
        """Talk to ``node`` as its operator and as the hospitals of ``hospital_tokens``."""
        self.node = node
        token = node.settings().operator_token
        if token is None:
            raise ScenarioError(f"{node.name} has no operator token in its config")
        self._operator = {"Authorization": f"Bearer {token.get_secret_value()}"}
        self._hospitals = hospital_tokens
        self._http = httpx.Client(base_url=node.url, timeout=TIMEOUT_S)

    @property
    def name(self) -> str:
        """The bureau's registered name."""
        return self.node.name

    def close(self) -> None:
        """Release the connections."""
        self._http.close()

    # -- the counter ----------------------------------------------------------------------------

    def record_enrollment(self, person: Person, year: int) -> dict[str, Any]:
        """The person's enrollment record for ``year``, as the national platform reports it."""
        body = {
            "id_number": person.id_number,
            "insurance_type": person.insurance_type,
            "person_category": person.category,
            "region": person.region,
            "valid_from": date(year, 1, 1).isoformat(),
            "valid_to": date(year, 12, 31).isoformat(),
        }
        response = self._http.post("/v1/enrollments", json=body, headers=self._operator)
        return answer(response, f"{self.name}: enrollment record of {person.name}")

    def credit(self, person: Person, amount_fen: int, reference: str) -> dict[str, Any]:
        """A contribution credited to the person's personal account."""
        body = {"id_number": person.id_number, "amount_fen": amount_fen, "reference": reference}
        response = self._http.post(
            "/v1/personal-accounts/credits", json=body, headers=self._operator
        )
        return answer(response, f"{self.name}: contribution for {person.name}")

    def voucher(self, person: Person) -> str:
        """A binding voucher for a person the counter has just verified."""
        response = self._http.post(
            "/v1/binding-vouchers", json={"id_number": person.id_number}, headers=self._operator
        )
        return str(answer(response, f"{self.name}: voucher for {person.name}")["voucher"])

    def statement(self, wallet: LocalAccount, pseudonym: bytes) -> dict[str, Any]:
        """The personal account as its holder's wallet reads it (a signed request)."""
        path = f"/v1/patients/0x{pseudonym.hex()}/personal-account"
        headers = sign_request(wallet, "GET", path, b"", now=time.time())
        return answer(self._http.get(path, headers=headers), f"{self.name}: statement")

    # -- hospitals ------------------------------------------------------------------------------

    def _hospital(self, hospital: str, key: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self._hospitals[hospital]}", "Idempotency-Key": key}

    def send_bill(
        self,
        hospital: str,
        person: Person,
        bill: dict[str, Any],
        policy_codes: list[dict[str, Any]] | None = None,
    ) -> httpx.Response:
        """The hospital confirms ``bill`` (answer as it comes, refusals included)."""
        body = {"id_number": person.id_number, "bill": bill, "policy_codes": policy_codes or []}
        content = json.dumps(body, ensure_ascii=False).encode()
        headers = {**self._hospital(hospital, bill["setl_id"]), "Content-Type": "application/json"}
        return self._http.post("/v1/settlements", content=content, headers=headers)

    def confirm(
        self,
        hospital: str,
        person: Person,
        bill: dict[str, Any],
        policy_codes: list[dict[str, Any]] | None = None,
    ) -> dict[str, Any]:
        """The combined answer of a confirmed settlement."""
        response = self.send_bill(hospital, person, bill, policy_codes)
        return answer(response, f"{self.name}: settlement {bill['setl_id']} of {hospital}")

    def refund(self, hospital: str, setl_id: str, bill: dict[str, Any]) -> dict[str, Any]:
        """Re-settle ``setl_id`` on the lower ``bill``: a new record that supersedes it."""
        content = json.dumps({"bill": bill}, ensure_ascii=False).encode()
        headers = {**self._hospital(hospital, bill["setl_id"]), "Content-Type": "application/json"}
        response = self._http.post(
            f"/v1/settlements/{setl_id}/refund", content=content, headers=headers
        )
        return answer(response, f"{self.name}: refund of {setl_id}")

    def settlement(self, hospital: str, setl_id: str) -> dict[str, Any]:
        """A settlement as the hospital reads it back (its current status)."""
        headers = {"Authorization": f"Bearer {self._hospitals[hospital]}"}
        return answer(self._http.get(f"/v1/settlements/{setl_id}", headers=headers), setl_id)
