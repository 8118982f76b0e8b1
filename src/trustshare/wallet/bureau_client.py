"""The wallet's client of a bureau node: binding requests, consent relays, the access log.

Requests that need the wallet's authority (binding, access log) are signed with its key by the
gateway's signed-request scheme (``X-TrustShare-*`` headers); relayed consents carry their own
EIP-712 signature. Errors arrive in the nodes' common shape and become :class:`BureauRefused`.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import httpx
from eth_account.signers.local import LocalAccount

from trustshare.crypto.eip712 import ConsentTerms
from trustshare.gateway.signing import sign_request
from trustshare.wallet.errors import BureauRefused, BureauUnreachable, WalletError

ACCESS_LOG_PAGE = 200
RELAY_POLL_S = 0.25


@dataclass(frozen=True)
class BindingReceipt:
    """The bureau accepted the binding and queued ``bindWallet``."""

    pseudonym: bytes
    bureau: str
    outbox_id: int
    repeated: bool


@dataclass(frozen=True)
class RelayReceipt:
    """A relayed grant or revocation, queued by the bureau."""

    outbox_id: int
    consent_id: bytes


@dataclass(frozen=True)
class RelayState:
    """Where a relay stands: ``pending``, ``sent``, ``done`` or ``failed``."""

    status: str
    tx_hash: str | None
    block_number: int | None
    error: str | None


def _bytes(text: str) -> bytes:
    return bytes.fromhex(text.removeprefix("0x"))


class BureauClient:
    """One bureau node at ``base_url``."""

    def __init__(
        self,
        base_url: str,
        *,
        transport: httpx.BaseTransport | None = None,
        clock: Callable[[], float] = time.time,
        timeout_s: float = 30.0,
    ) -> None:
        """Talk to the node at ``base_url``; ``clock`` times the signed requests."""
        self.base_url = base_url.rstrip("/")
        self._clock = clock
        self._http = httpx.Client(base_url=self.base_url, transport=transport, timeout=timeout_s)

    def close(self) -> None:
        """Release the connection pool."""
        self._http.close()

    def __enter__(self) -> BureauClient:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()

    # -- plumbing -------------------------------------------------------------------------------

    def _send(
        self,
        method: str,
        target: str,
        *,
        body: dict[str, Any] | None = None,
        signer: LocalAccount | None = None,
    ) -> Any:
        content = b"" if body is None else json.dumps(body).encode()
        headers = {"Content-Type": "application/json"} if body is not None else {}
        if signer is not None:
            headers |= sign_request(signer, method, target, content, now=self._clock())
        try:
            response = self._http.request(method, target, content=content, headers=headers)
        except httpx.HTTPError as error:
            raise BureauUnreachable(
                f"no answer from the bureau at {self.base_url}: {error}",
                hint="check the node is running, or give another with --bureau URL",
            ) from error
        if response.is_success:
            return response.json()
        try:
            problem = response.json()["error"]
            code, message = str(problem["code"]), str(problem["message"])
        except (ValueError, KeyError, TypeError):
            code, message = "unexpected_answer", response.text[:200]
        raise BureauRefused(response.status_code, code, message)

    # -- what the patient asks ------------------------------------------------------------------

    def health(self) -> str:
        """The bureau's chain address, as its node states it."""
        return str(self._send("GET", "/v1/health")["bureau"])

    def request_binding(self, wallet: LocalAccount, voucher: str) -> BindingReceipt:
        """Redeem ``voucher`` for ``wallet``, proving the key by signing the request."""
        answer = self._send(
            "POST", "/v1/binding-requests", body={"voucher": voucher.strip()}, signer=wallet
        )
        return BindingReceipt(
            _bytes(answer["pseudonym"]),
            str(answer["bureau"]),
            int(answer["outbox_id"]),
            bool(answer["repeated"]),
        )

    def relay_grant(
        self, terms: ConsentTerms, nonce: int, deadline: int, signature: bytes
    ) -> RelayReceipt:
        """Hand a signed grant to the bureau for the chain."""
        body = {
            "terms": {
                "pseudonym": "0x" + terms.pseudonym.hex(),
                "insurer": terms.insurer,
                "scopes": terms.scopes,
                "purposes": terms.purposes,
                "not_before": terms.not_before,
                "not_after": terms.not_after,
            },
            "nonce": nonce,
            "deadline": deadline,
            "signature": "0x" + signature.hex(),
        }
        answer = self._send("POST", "/v1/consents/grants", body=body)
        return RelayReceipt(int(answer["outbox_id"]), _bytes(answer["consent_id"]))

    def relay_revocation(
        self, pseudonym: bytes, insurer: str, consent_id: bytes, deadline: int, signature: bytes
    ) -> RelayReceipt:
        """Hand a signed revocation to the bureau for the chain."""
        body = {
            "pseudonym": "0x" + pseudonym.hex(),
            "insurer": insurer,
            "consent_id": "0x" + consent_id.hex(),
            "deadline": deadline,
            "signature": "0x" + signature.hex(),
        }
        answer = self._send("POST", "/v1/consents/revocations", body=body)
        return RelayReceipt(int(answer["outbox_id"]), _bytes(answer["consent_id"]))

    def relay_state(self, outbox_id: int) -> RelayState:
        """The relay's progress."""
        answer = self._send("GET", f"/v1/consents/relays/{outbox_id}")
        return RelayState(
            str(answer["status"]), answer["tx_hash"], answer["block_number"], answer["error"]
        )

    def follow_relay(self, outbox_id: int, timeout_s: float) -> RelayState:
        """Poll the relay until it is ``done``; a ``failed`` relay or the timeout is an error."""
        deadline = time.monotonic() + timeout_s
        while True:
            state = self.relay_state(outbox_id)
            if state.status == "done":
                return state
            if state.status == "failed":
                raise WalletError(
                    f"the chain refused relay {outbox_id}: {state.error}",
                    hint="see `trustshare patient consents` for what stands now",
                )
            if time.monotonic() >= deadline:
                raise WalletError(
                    f"relay {outbox_id} is still {state.status} after {timeout_s:g} s",
                    hint="the bureau will keep sending it; check with `trustshare patient "
                    "consents` later",
                )
            time.sleep(RELAY_POLL_S)

    def access_log(self, wallet: LocalAccount, pseudonym: bytes) -> list[dict[str, Any]]:
        """Every entry of the pseudonym's access log, oldest first (all pages)."""
        entries: list[dict[str, Any]] = []
        after = 0
        while True:
            target = (
                f"/v1/patients/0x{pseudonym.hex()}/access-log?after={after}&limit={ACCESS_LOG_PAGE}"
            )
            page = self._send("GET", target, signer=wallet)
            entries.extend(page["entries"])
            if page["next_after"] is None:
                return entries
            after = int(page["next_after"])
