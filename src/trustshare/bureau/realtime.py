"""The bureau's side of real-time authorisation: presented policy codes → insurers' answers.

Order of work for one settlement (see :mod:`trustshare.gateway.realtime_contract`):

1. :func:`check_policy_codes` — every presented 商保码 must verify (signature by the insurer it
   names, not expired, short-lived, issued to the bill's person), its insurer must be active on
   chain, and the codes must match the bill's ``products`` one to one. Anything else is the
   hospital's bad input (422), found before anything is asked or stored.
2. :func:`authorise_layers` — in the engine's payer order: no consent → ``no_consent``; a layer
   the engine computes as 0 → ``nothing_due``; otherwise ask the insurer. A layer left out
   entirely (refused, timed out, no consent) is removed from the bill and the bill re-settled,
   so the later payers' layers are computed as if it had never been presented. A *partial*
   authorisation keeps the later layers as computed (they never pay more than the engine says);
   the shortfall stays with the patient.
3. :class:`RealtimeClient` — one signed HTTP call per layer, with the node's per-insurer deadline.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import httpx
from eth_account.signers.local import LocalAccount
from pydantic import ValidationError

from trustshare.chain.registries import Registries
from trustshare.chain.registries.consent import PermissionStatus
from trustshare.crypto.policy_code import (
    PolicyCodeDomain,
    PolicyCodeRejected,
    SignedPolicyCode,
    verify_policy_code,
)
from trustshare.crypto.vocabulary import Purpose, Scope
from trustshare.domain import Accumulators, Bill, CommercialPayment, RuleSet, Settlement, settle
from trustshare.gateway.realtime_contract import (
    REALTIME_AUTHORISATION_PATH,
    PayerStatus,
    RealtimeAuthorisationRequest,
    RealtimeAuthorisationResponse,
)
from trustshare.gateway.signing import sign_request


class PolicyCodeProblem(ValueError):
    """A presented policy code (or its absence) the bureau cannot accept; ``path`` names it."""

    def __init__(self, path: str, reason: str) -> None:
        """Say which code (``policy_codes[1]``) or bill product is wrong and why."""
        super().__init__(f"{path}: {reason}")
        self.path = path
        self.reason = reason


@dataclass(frozen=True)
class PresentedPolicy:
    """A verified policy code, with where its insurer's node answers."""

    product: str
    insurer: str
    policy_number: str
    endpoint: str


@dataclass(frozen=True)
class Answer:
    """An insurer's verdict on one layer."""

    status: PayerStatus
    authorised_fen: int
    authorisation_id: str | None = None
    reason: str = ""


@dataclass(frozen=True)
class PayerOutcome:
    """One commercial layer of the combined answer."""

    order: int
    product: str
    insurer: str | None
    policy_number: str | None
    computed_fen: int
    authorised_fen: int
    authorisation_id: str | None
    status: PayerStatus
    reason: str

    def to_dict(self) -> dict[str, Any]:
        """JSON form (as stored and returned)."""
        return {
            "order": self.order,
            "product": self.product,
            "insurer": self.insurer,
            "policy_number": self.policy_number,
            "computed_fen": self.computed_fen,
            "authorised_fen": self.authorised_fen,
            "authorisation_id": self.authorisation_id,
            "status": self.status.value,
            "reason": self.reason,
        }


def check_policy_codes(
    codes: Sequence[SignedPolicyCode],
    bill: Bill,
    *,
    pseudonym: bytes,
    domain: PolicyCodeDomain,
    registries: Registries,
    now: float,
    require_all: bool,
) -> dict[str, PresentedPolicy]:
    """Verify the presented codes against the bill; return them by product id.

    With ``require_all`` (a confirmation) every product of the bill needs a code; a trial may
    estimate products whose codes are not presented yet. Raises :class:`PolicyCodeProblem`.
    """
    billed = {holding.product for holding in bill.products}
    presented: dict[str, PresentedPolicy] = {}
    for index, signed in enumerate(codes):
        path = f"policy_codes[{index}]"
        try:
            code = verify_policy_code(signed, domain, pseudonym=pseudonym, now=now)
        except PolicyCodeRejected as error:
            raise PolicyCodeProblem(path, str(error)) from None
        if code.product not in billed:
            raise PolicyCodeProblem(
                f"{path}.product", f"product {code.product!r} is not in the bill's payer order"
            )
        if code.product in presented:
            raise PolicyCodeProblem(
                f"{path}.product", f"a second code for product {code.product!r}"
            )
        insurer = registries.participants.participant(code.insurer)
        if not registries.participants.is_active_insurer(code.insurer):
            raise PolicyCodeProblem(
                f"{path}.insurer", f"{code.insurer} is not an active insurer of the network"
            )
        presented[code.product] = PresentedPolicy(
            code.product, code.insurer, code.policy_number, insurer.endpoint
        )
    if require_all:
        for index, holding in enumerate(bill.products):
            if holding.product not in presented:
                raise PolicyCodeProblem(
                    f"bill.products[{index}].product",
                    f"no policy code was presented for product {holding.product!r}",
                )
    return presented


def has_direct_settlement_consent(registries: Registries, pseudonym: bytes, insurer: str) -> bool:
    """Whether the patient lets ``insurer`` settle directly (DIRECT_SETTLEMENT, SUMMARY)."""
    status = registries.consents.permission_of(
        pseudonym, insurer, Scope.SETTLEMENT_SUMMARY, Purpose.DIRECT_SETTLEMENT
    )
    return status is PermissionStatus.PERMITTED


AskInsurer = Callable[[PresentedPolicy, CommercialPayment, Settlement], Answer]
"""Ask one insurer to authorise its layer of a settlement (the engine's figures)."""


def authorise_layers(
    bill: Bill,
    accumulators: Accumulators | None,
    rules: RuleSet,
    presented: dict[str, PresentedPolicy],
    *,
    consented: Callable[[PresentedPolicy], bool],
    ask: AskInsurer | None,
) -> tuple[Settlement, list[PayerOutcome]]:
    """Settle ``bill`` and obtain each commercial layer's authorisation, in payer order.

    ``ask`` None is a trial: every layer is the engine's estimate and nobody is asked. Returns
    the final engine settlement (without the layers left out) and one outcome per product of
    the bill, in its payer order.
    """
    settlement = settle(bill, accumulators, rules)
    outcomes: list[PayerOutcome] = []
    kept = list(bill.products)
    for position, holding in enumerate(bill.products):
        order = position + 2
        line = next(p for p in settlement.commercial if p.product_id == holding.product)
        policy = presented.get(holding.product)
        if ask is None:
            answer = Answer(PayerStatus.ESTIMATED, line.paid_fen)
        elif policy is None:  # pragma: no cover - confirmations require a code per product
            answer = Answer(PayerStatus.NO_CONSENT, 0, reason="no policy code presented")
        elif not consented(policy):
            answer = Answer(
                PayerStatus.NO_CONSENT, 0, reason="no DIRECT_SETTLEMENT consent to this insurer"
            )
        elif line.paid_fen == 0:
            answer = Answer(PayerStatus.NOTHING_DUE, 0, reason="the layer computes to 0")
        else:
            answer = ask(policy, line, settlement)
        outcomes.append(
            PayerOutcome(
                order=order,
                product=holding.product,
                insurer=policy.insurer if policy else None,
                policy_number=policy.policy_number if policy else None,
                computed_fen=line.paid_fen,
                authorised_fen=answer.authorised_fen,
                authorisation_id=answer.authorisation_id,
                status=answer.status,
                reason=answer.reason,
            )
        )
        if answer.authorised_fen == 0 and line.paid_fen > 0:
            kept.remove(holding)
            settlement = settle(replace_products(bill, kept), accumulators, rules)
    return settlement, outcomes


def replace_products(bill: Bill, products: Sequence[Any]) -> Bill:
    """``bill`` with another payer order (a layer left out)."""
    return bill.model_copy(update={"products": list(products)})


def carry_over_authorisations(
    bill: Bill,
    accumulators: Accumulators | None,
    rules: RuleSet,
    previous: Sequence[dict[str, Any]],
) -> tuple[Settlement, list[PayerOutcome]]:
    """Settle a refunded (lower) bill, keeping each layer's earlier authorisation as a cap.

    A refund never raises an insurer's liability, so nobody is asked again: a layer becomes
    the lesser of what its insurer authorised (``previous``, the stored payer outcomes, in
    payer order) and what the new bill computes, under the same authorisation id. Layers left
    out at confirmation stay out. Raises :class:`~trustshare.domain.InvalidBill`.
    """
    pairs = list(zip(bill.products, previous, strict=True))
    kept = [holding for holding, before in pairs if before["authorised_fen"] > 0]
    computed = settle(replace_products(bill, kept), accumulators, rules)
    lines = {line.product_id: line for line in computed.commercial}
    outcomes = []
    for holding, before in pairs:
        line = lines.get(holding.product)
        computed_fen = 0 if line is None else line.paid_fen
        authorised = min(before["authorised_fen"], computed_fen)
        if line is None:
            status, reason = PayerStatus(before["status"]), "left out at confirmation"
        elif computed_fen == 0:
            status, reason = PayerStatus.NOTHING_DUE, "the refunded bill computes to 0"
        else:
            partial = authorised < computed_fen
            status = PayerStatus.PARTIALLY_AUTHORISED if partial else PayerStatus.AUTHORISED
            lowered = authorised < before["authorised_fen"]
            reason = f"lowered by the refund from {before['authorised_fen']} fen" if lowered else ""
        outcomes.append(
            PayerOutcome(
                order=before["order"],
                product=holding.product,
                insurer=before["insurer"],
                policy_number=before["policy_number"],
                computed_fen=computed_fen,
                authorised_fen=authorised,
                authorisation_id=before["authorisation_id"],
                status=status,
                reason=reason,
            )
        )
    return computed, outcomes


class RealtimeClient:
    """Signs and sends authorisation requests; one instance per settlement (one HTTP pool)."""

    def __init__(
        self,
        account: LocalAccount,
        *,
        deadline_ms: int,
        clock: Callable[[], float] = time.time,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        """Ask as ``account``; every insurer gets ``deadline_ms`` to answer."""
        self._account = account
        self._deadline_s = deadline_ms / 1000
        self._clock = clock
        self._http = httpx.Client(transport=transport, follow_redirects=False)

    def close(self) -> None:
        """Release the connections."""
        self._http.close()

    def __enter__(self) -> RealtimeClient:
        """Use as a context manager."""
        return self

    def __exit__(self, *_: object) -> None:
        """Close on the way out."""
        self.close()

    def ask(
        self, endpoint: str, request_for: Callable[[int], RealtimeAuthorisationRequest]
    ) -> Answer:
        """POST the request built by ``request_for(deadline_unix_ms)`` to ``endpoint``."""
        if not endpoint:
            return Answer(PayerStatus.REFUSED, 0, reason="the insurer has no registered endpoint")
        started = time.monotonic()
        deadline_unix_ms = int((self._clock() + self._deadline_s) * 1000)
        request = request_for(deadline_unix_ms)
        body = request.model_dump_json().encode("utf-8")
        url = httpx.URL(endpoint.rstrip("/") + REALTIME_AUTHORISATION_PATH)
        headers = sign_request(
            self._account, "POST", url.raw_path.decode("ascii"), body, now=self._clock()
        )
        headers["Content-Type"] = "application/json"
        try:
            reply = self._http.post(url, content=body, headers=headers, timeout=self._deadline_s)
        except httpx.TimeoutException:
            return Answer(
                PayerStatus.TIMED_OUT, 0, reason=f"no answer within {self._deadline_ms} ms"
            )
        except httpx.HTTPError as error:
            return Answer(
                PayerStatus.REFUSED, 0, reason=f"insurer unreachable: {type(error).__name__}"
            )
        if time.monotonic() - started > self._deadline_s:
            return Answer(PayerStatus.TIMED_OUT, 0, reason=f"answered after {self._deadline_ms} ms")
        return _judge(reply, request.computed_fen)

    @property
    def _deadline_ms(self) -> int:
        return round(self._deadline_s * 1000)


def _judge(reply: httpx.Response, computed_fen: int) -> Answer:
    if reply.status_code != 200:
        return Answer(PayerStatus.REFUSED, 0, reason=f"insurer answered HTTP {reply.status_code}")
    try:
        answer = RealtimeAuthorisationResponse.model_validate_json(reply.content)
    except ValidationError:
        return Answer(PayerStatus.REFUSED, 0, reason="insurer's answer breaks the contract")
    if answer.authorised_fen > computed_fen:
        return Answer(
            PayerStatus.REFUSED,
            0,
            reason=f"insurer authorised {answer.authorised_fen} fen, more than the layer's "
            f"{computed_fen}",
        )
    if answer.authorised_fen == 0:
        return Answer(PayerStatus.REFUSED, 0, answer.authorisation_id, "insurer authorised 0")
    status = (
        PayerStatus.AUTHORISED
        if answer.authorised_fen == computed_fen
        else PayerStatus.PARTIALLY_AUTHORISED
    )
    return Answer(status, answer.authorised_fen, answer.authorisation_id)


__all__ = [
    "Answer",
    "AskInsurer",
    "PayerOutcome",
    "PolicyCodeProblem",
    "PresentedPolicy",
    "RealtimeClient",
    "authorise_layers",
    "carry_over_authorisations",
    "check_policy_codes",
    "has_direct_settlement_consent",
    "replace_products",
]
