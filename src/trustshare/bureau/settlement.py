"""One-stop settlement for hospitals: trial, confirm, cancel, refund, read back (issue 5 §4).

- **Who.** The request names the patient by ``id_number``; the bureau turns it into the keyed
  pseudonym and forgets it (never stored, never returned, not even inside the idempotency
  fingerprint, which hashes the pseudonym instead).
- **Accumulators.** The year-to-date accumulators come with the request (the hospital's HIS
  reads them from the national platform, as it does today); absent means none used this year.
  The bureau does not derive them from its own records.
- **Confirm.** Settle, obtain each commercial layer's real-time authorisation
  (:mod:`trustshare.bureau.realtime`), commit the record (salted disclosure groups,
  :mod:`trustshare.bureau.settlement_records`), and store it with ``batch_id`` NULL — which is
  what queues it for clearing — together with the idempotency answer, in one transaction.
- **Corrections.** A cancellation (every amount 0) or a refund (a new, lower bill) is a new
  record that supersedes the old one: the new row, the old row's ``superseded_by`` and the
  outbox entry ``supersede_settlement`` are one transaction. Refunds ask nobody again
  (:func:`~trustshare.bureau.realtime.carry_over_authorisations`).
"""

from __future__ import annotations

import json
import secrets
from collections.abc import Sequence
from contextlib import ExitStack
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from trustshare.bureau.context import BureauContext
from trustshare.bureau.outbox import enqueue
from trustshare.bureau.realtime import (
    Answer,
    AskInsurer,
    PayerOutcome,
    PolicyCodeProblem,
    PresentedPolicy,
    RealtimeClient,
    authorise_layers,
    carry_over_authorisations,
    check_policy_codes,
    has_direct_settlement_consent,
)
from trustshare.bureau.settlement_records import (
    AMOUNT_FIELDS,
    SOURCE_PREFIX,
    combined_answer,
    committed_row,
    disclosure_groups,
    hex_or_none,
    summary_of,
)
from trustshare.crypto import local_id_of_reference, pseudonym_of, settlement_id
from trustshare.crypto.errors import InvalidIdNumberError
from trustshare.crypto.policy_code import PolicyCodeDomain, SignedPolicyCode
from trustshare.domain import (
    Accumulators,
    Bill,
    CommercialPayment,
    InvalidBill,
    Settlement,
)
from trustshare.gateway.errors import Conflict, NotFound, Unprocessable
from trustshare.gateway.idempotency import (
    ClaimedKey,
    StoredResponse,
    request_fingerprint,
    run_once,
)
from trustshare.gateway.realtime_contract import RealtimeAuthorisationRequest
from trustshare.storage.database import transaction
from trustshare.storage.models import SettlementRow
from trustshare.storage.settlements import (
    CANCELLATION,
    add_settlement,
    mark_superseded,
    reference_taken,
    settlement_by_reference,
)


class InvalidSettlementInput(Unprocessable):
    """422 with every (field path, reason) found, as ``problems``."""

    def __init__(
        self, problems: Sequence[tuple[str, str]], code: str = "invalid_settlement"
    ) -> None:
        """Refuse the request for ``problems``; the first one is the headline."""
        path, reason = problems[0]
        super().__init__(code, reason, field=path)
        self.problems = list(problems)

    def body(self) -> dict[str, Any]:
        """The common error body plus the ``problems`` list."""
        body = super().body()
        body["error"]["problems"] = [{"field": p, "message": r} for p, r in self.problems]
        return body


@dataclass(frozen=True)
class SettlementInput:
    """A bill to settle, whose it is, what the year has seen and the policy codes presented."""

    bill: Bill
    id_number: str = field(repr=False)
    accumulators: Accumulators | None = None
    policy_codes: tuple[SignedPolicyCode, ...] = ()


def new_reference() -> str:
    """A settlement number for a record the bureau itself creates (corrections, or none given)."""
    return "TS" + secrets.token_hex(12).upper()


def trial_settlement(
    context: BureauContext, hospital: str, request: SettlementInput
) -> dict[str, Any]:
    """The full breakdown of a bill, with no insurer asked and nothing stored."""
    pseudonym = _pseudonym(context, request.id_number)
    presented = _check_codes(context, request, pseudonym, require_all=False)
    computed, outcomes = _settle(context, request.bill, request, presented, pseudonym, ask=None)
    summary = summary_of(request.bill, computed, outcomes, hospital=hospital, kind="trial")
    return combined_answer(summary, computed, outcomes, pseudonym=pseudonym)


def confirm_settlement(
    context: BureauContext, hospital: str, request: SettlementInput, *, key: str, path: str
) -> StoredResponse:
    """Settle, authorise, commit and queue the bill once per ``key`` (201)."""
    pseudonym = _pseudonym(context, request.id_number)
    fingerprint = request_fingerprint("POST", path, _document(request, pseudonym))

    def perform(claim: ClaimedKey) -> StoredResponse:
        reference = request.bill.setl_id or new_reference()
        bill = request.bill.model_copy(update={"setl_id": reference})
        if bill.products:  # before asking insurers; otherwise the unique index answers
            _refuse_taken_reference(context, reference)
        presented = _check_codes(context, request, pseudonym, require_all=True)
        on_chain_id = settlement_id(context.address, local_id_of_reference(reference))
        with ExitStack() as stack:
            client = None
            if bill.products:  # an HTTP client only when someone may be asked
                client = stack.enter_context(
                    RealtimeClient(
                        context.account,
                        deadline_ms=context.settings.realtime_deadline_ms,
                        clock=context.clock,
                    )
                )
            ask = _asker(context, client, reference, on_chain_id, pseudonym)
            computed, outcomes = _settle(context, bill, request, presented, pseudonym, ask=ask)
        summary = summary_of(bill, computed, outcomes, hospital=hospital, kind="settlement")
        row = committed_row(
            disclosure_groups(bill, summary, computed, outcomes),
            hospital=hospital,
            reference=reference,
            mdtrt_id=bill.mdtrt_id,
            pseudonym=pseudonym,
            on_chain_id=on_chain_id,
            claim_ceiling_fen=computed.claim_ceiling_fen,
            rules_digest=context.rules.digest,
        )
        body = combined_answer(summary, computed, outcomes, pseudonym=pseudonym, row=row)
        return _store(context, claim, row, body, supersedes=None)

    quick = not request.bill.products  # nobody to ask: one transaction, no in-flight claim
    return run_once(
        context.sessions, hospital, key, fingerprint, perform, now=context.clock(), quick=quick
    )


def cancel_settlement(
    context: BureauContext, hospital: str, setl_id: str, *, reason: str, key: str, path: str
) -> StoredResponse:
    """Reverse a settlement with a cancellation record that supersedes it (201)."""
    fingerprint = request_fingerprint("POST", path, {"reason": reason})

    def perform(claim: ClaimedKey) -> StoredResponse:
        old = _correctable(context, hospital, setl_id)
        reference = new_reference()
        summary = {
            "kind": "cancellation",
            "setl_id": reference,
            "mdtrt_id": old.mdtrt_id,
            "cancels": old.setl_id,
            "reason": reason,
            "hospital": hospital,
            **dict.fromkeys(AMOUNT_FIELDS, 0),
        }
        groups: dict[str, dict[str, Any]] = {"settlement_summary": summary}
        enrollment = json.loads(old.record_json).get("enrollment")
        if enrollment is not None:
            groups["enrollment"] = enrollment
        row = committed_row(
            groups,
            hospital=hospital,
            reference=reference,
            mdtrt_id=old.mdtrt_id,
            pseudonym=old.pseudonym,
            on_chain_id=settlement_id(context.address, local_id_of_reference(reference)),
            claim_ceiling_fen=0,
            rules_digest=context.rules.digest,
        )
        row.status, row.supersedes = CANCELLATION, old.settlement_id
        body = combined_answer(summary, None, [], pseudonym=old.pseudonym, row=row)
        return _store(context, claim, row, body, supersedes=old)

    return run_once(context.sessions, hospital, key, fingerprint, perform, now=context.clock())


def refund_settlement(
    context: BureauContext,
    hospital: str,
    setl_id: str,
    bill: Bill,
    accumulators: Accumulators | None,
    *,
    key: str,
    path: str,
) -> StoredResponse:
    """Re-settle a lower bill as a record that supersedes ``setl_id`` (201)."""
    document = {
        "bill": bill.model_dump(mode="json"),
        "accumulators": accumulators.to_dict() if accumulators else None,
    }
    fingerprint = request_fingerprint("POST", path, document)

    def perform(claim: ClaimedKey) -> StoredResponse:
        old = _correctable(context, hospital, setl_id)
        before = json.loads(old.result_json or "{}")
        previous: list[dict[str, Any]] = before.get("payers", [])
        if bill.mdtrt_id != old.mdtrt_id:
            raise InvalidSettlementInput([("bill.mdtrt_id", f"the visit was {old.mdtrt_id}")])
        if [h.product for h in bill.products] != [p["product"] for p in previous]:
            raise InvalidSettlementInput([("bill.products", "a refund keeps the payer order")])
        reference = bill.setl_id or new_reference()
        _refuse_taken_reference(context, reference)
        refunded = bill.model_copy(update={"setl_id": reference})
        try:
            computed, outcomes = carry_over_authorisations(
                refunded, accumulators, context.rules, previous
            )
        except InvalidBill as error:
            raise _invalid_bill(error) from None
        if computed.record.medfee_sumamt >= before["medfee_sumamt"]:
            was = before["medfee_sumamt"]
            raise InvalidSettlementInput([("bill.lines", f"a refund must lower {was} fen")])
        summary = summary_of(refunded, computed, outcomes, hospital=hospital, kind="refund")
        summary["refunds"] = old.setl_id
        row = committed_row(
            disclosure_groups(refunded, summary, computed, outcomes),
            hospital=hospital,
            reference=reference,
            mdtrt_id=bill.mdtrt_id,
            pseudonym=old.pseudonym,
            on_chain_id=settlement_id(context.address, local_id_of_reference(reference)),
            claim_ceiling_fen=computed.claim_ceiling_fen,
            rules_digest=context.rules.digest,
        )
        row.supersedes = old.settlement_id
        body = combined_answer(summary, computed, outcomes, pseudonym=old.pseudonym, row=row)
        return _store(context, claim, row, body, supersedes=old)

    return run_once(context.sessions, hospital, key, fingerprint, perform, now=context.clock())


def settlement_view(session: Session, hospital: str, setl_id: str) -> dict[str, Any]:
    """The stored answer of one of ``hospital``'s settlements, with its current status."""
    row = _own(session, hospital, setl_id)
    body: dict[str, Any] = json.loads(row.result_json or "{}")
    body["status"] = row.status
    body["superseded_by"] = hex_or_none(row.superseded_by)
    return body


# -- settling ---------------------------------------------------------------------------------


def _asker(
    context: BureauContext,
    client: RealtimeClient | None,
    reference: str,
    on_chain_id: bytes,
    pseudonym: bytes,
) -> AskInsurer:
    rules_version = context.rules.digest

    def ask(policy: PresentedPolicy, line: CommercialPayment, computed: Settlement) -> Answer:
        assert client is not None, "a bill with products gets a real-time client"

        def request_for(deadline_unix_ms: int) -> RealtimeAuthorisationRequest:
            return RealtimeAuthorisationRequest(
                settlement_reference=reference,
                settlement_id="0x" + on_chain_id.hex(),
                bureau=context.address,
                pseudonym="0x" + pseudonym.hex(),
                product=policy.product,
                policy_number=policy.policy_number,
                payer_order=line.order,
                computed_fen=line.paid_fen,
                prior_payers_paid_fen=line.prior_payers_paid_fen,
                claim_ceiling_fen=computed.claim_ceiling_fen,
                rules_version=rules_version,
                deadline_unix_ms=deadline_unix_ms,
            )

        return client.ask(policy.endpoint, request_for)

    return ask


def _settle(
    context: BureauContext,
    bill: Bill,
    request: SettlementInput,
    presented: dict[str, PresentedPolicy],
    pseudonym: bytes,
    *,
    ask: AskInsurer | None,
) -> tuple[Settlement, list[PayerOutcome]]:
    served = context.settings.regions
    if served and bill.region not in served:
        raise InvalidSettlementInput(
            [("bill.region", f"this bureau settles the insured of {', '.join(served)} only")],
            code="region_not_served",
        )

    def consented(policy: PresentedPolicy) -> bool:
        return has_direct_settlement_consent(context.registries, pseudonym, policy.insurer)

    try:
        return authorise_layers(
            bill, request.accumulators, context.rules, presented, consented=consented, ask=ask
        )
    except InvalidBill as error:
        raise _invalid_bill(error) from None


def _store(
    context: BureauContext,
    claim: ClaimedKey,
    row: SettlementRow,
    body: dict[str, Any],
    *,
    supersedes: SettlementRow | None,
) -> StoredResponse:
    row.result_json = json.dumps(body)
    try:
        with transaction(context.sessions) as session:
            if supersedes is not None:
                if not mark_superseded(session, supersedes, row.settlement_id):
                    raise Conflict(
                        "already_superseded", f"{supersedes.setl_id} is already superseded"
                    )
                payload = {
                    "old_settlement_id": hex_or_none(supersedes.settlement_id),
                    "new_settlement_id": hex_or_none(row.settlement_id),
                }
                enqueue(session, "supersede_settlement", payload)
            stored = claim.complete(session, 201, body)  # first: a racing repeat shows here
            add_settlement(session, row)
            return stored
    except IntegrityError:
        raise Conflict("settlement_exists", f"settlement {row.setl_id} is already stored") from None


# -- small helpers ------------------------------------------------------------------------------


def _document(request: SettlementInput, pseudonym: bytes) -> dict[str, Any]:
    """The request as fingerprinted: the pseudonym stands in for the ID number."""
    return {
        "person": hex_or_none(pseudonym),
        "bill": request.bill.model_dump(mode="json"),
        "accumulators": request.accumulators.to_dict() if request.accumulators else None,
        "policy_codes": [code.to_json_dict() for code in request.policy_codes],
    }


def _pseudonym(context: BureauContext, id_number: str) -> bytes:
    try:
        return pseudonym_of(id_number, context.pseudonym_key)
    except InvalidIdNumberError as error:
        raise InvalidSettlementInput([("id_number", str(error))]) from None


def _check_codes(
    context: BureauContext, request: SettlementInput, pseudonym: bytes, *, require_all: bool
) -> dict[str, PresentedPolicy]:
    domain = PolicyCodeDomain(context.deployment.chain_id, context.deployment.participants)
    try:
        return check_policy_codes(
            request.policy_codes,
            request.bill,
            pseudonym=pseudonym,
            domain=domain,
            registries=context.registries,
            now=context.clock(),
            require_all=require_all,
        )
    except PolicyCodeProblem as problem:
        raise InvalidSettlementInput(
            [(problem.path, problem.reason)], "invalid_policy_code"
        ) from None


def _invalid_bill(error: InvalidBill) -> InvalidSettlementInput:
    def under_bill(path: str) -> str:
        if not path:
            return "bill"
        return f"bill{path}" if path.startswith("[") else f"bill.{path}"

    return InvalidSettlementInput([(under_bill(path), reason) for path, reason in error.problems])


def _refuse_taken_reference(context: BureauContext, reference: str) -> None:
    with context.sessions() as session:
        if reference_taken(session, reference):
            raise Conflict(
                "settlement_exists",
                f"settlement {reference} is already stored",
                field="bill.setl_id",
            )


def _own(session: Session, hospital: str, setl_id: str) -> SettlementRow:
    row = settlement_by_reference(session, setl_id)
    if row is None or row.source != SOURCE_PREFIX + hospital:
        raise NotFound("unknown_settlement", f"no settlement {setl_id} of this hospital")
    return row


def _correctable(context: BureauContext, hospital: str, setl_id: str) -> SettlementRow:
    with context.sessions() as session:
        old = _own(session, hospital, setl_id)
    if old.superseded_by is not None:
        raise Conflict("already_superseded", f"{setl_id} is already superseded")
    if old.status == CANCELLATION:
        raise Conflict("cancellation_is_final", f"{setl_id} is a cancellation; it stays as it is")
    return old
