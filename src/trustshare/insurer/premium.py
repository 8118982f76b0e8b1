"""Premiums paid from the patient's personal medical-insurance account (个人账户), via the bureau.

The patient's app signs a :class:`~trustshare.crypto.premium.PremiumDebit` with the wallet bound
to the pseudonym and sends it with the one-click enrollment request. The node then:

1. checks it locally, before asking the bureau anything: it is for this person, pays this
   insurer, names the bureau that bound the wallet, its ``policyReference`` is the product id,
   it is signed by the bound wallet (422 ``premium_invalid``, the field named);
2. if its ``debitId`` already pays a policy of this node, answers that policy — after finishing
   its payment if that is still open (a retry after a lost answer or a crash);
3. otherwise checks the deadline, settles any earlier unfinished payment of the same person and
   product (its stored authorisation re-sent: the bureau either replays its receipt or refuses,
   it never books a debit id twice) and underwrites (:func:`~trustshare.insurer.enrollment.
   underwrite`: every check of one-click enrollment);
4. stores the policy ``awaiting_premium`` with the signed debit, **committed before the bureau is
   asked**, so that a crash after the bureau booked the debit leaves a row that says so;
5. forwards the signed debit to the bureau (``POST /v1/premium-debits``, signed with the
   insurer's chain key) and believes the answer only if it is a receipt signed by that bureau for
   exactly this debit;
6. receipt → the policy becomes ``active``, the receipt stored beside the debit; a refusal by the
   bureau → the row is deleted, no policy, 422/409 ``premium_refused`` with the bureau's code;
   unknown outcome (bureau unreachable, 5xx, our request refused, receipt unverifiable) → the row
   stays ``awaiting_premium`` and the answer is 503 ``premium_pending``: sending the same request
   again is safe, since the bureau books each debit id once.
"""

from __future__ import annotations

import datetime as dt
import json
import time
from collections.abc import Callable
from typing import Any, Final
from urllib.parse import urlsplit

import httpx
from pydantic import ValidationError
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from trustshare.chain.registries import Registries
from trustshare.crypto.errors import SignatureError, TypedDataError
from trustshare.crypto.premium import PremiumDomain, SignedPremiumDebit, SignedPremiumReceipt
from trustshare.gateway.premium_contract import PREMIUM_DEBITS_PATH, PremiumReceiptBody
from trustshare.gateway.signing import sign_request
from trustshare.insurer.bureau_client import BureauClient
from trustshare.insurer.context import InsurerContext
from trustshare.insurer.enrollment import EnrollmentRefused, PolicyOffer, underwrite
from trustshare.insurer.keystore import Keystore
from trustshare.storage.insurer_models import PolicyRow, PolicyStatus

DEFINITIVE_REFUSALS: Final = frozenset({403, 404, 409, 422})
"""Bureau answers that mean "this authorisation was not, and will not be, booked"."""


class PremiumRefused(Exception):
    """The bureau refused the debit: nothing was booked under its id. Its status and error."""

    def __init__(self, status_code: int, error: dict[str, Any]) -> None:
        """Keep the bureau's status and error object."""
        self.status_code = status_code
        self.code = str(error.get("code", "bureau_error"))
        self.message = str(error.get("message", ""))
        super().__init__(f"bureau refused the debit ({status_code} {self.code}): {self.message}")


class PremiumUndetermined(Exception):
    """Whether the bureau booked the debit is not known; ``code`` says why."""

    def __init__(self, code: str, reason: str) -> None:
        """Name what went wrong."""
        super().__init__(f"{code}: {reason}")
        self.code = code
        self.reason = reason


class PremiumPayer:
    """Forwards patient-signed debits to the bureau keeping the account; verifies receipts."""

    def __init__(
        self,
        keystore: Keystore,
        registries: Registries,
        domain: PremiumDomain,
        *,
        http: httpx.Client | None = None,
        timeout: float = 5.0,
        clock: Callable[[], float] = time.time,
    ) -> None:
        """Sign as ``keystore``'s account; find bureaus' endpoints through ``registries``."""
        self._keystore = keystore
        self._registries = registries
        self._domain = domain
        self._http = http or httpx.Client(timeout=timeout)
        self._clock = clock

    @classmethod
    def of_node(cls, context: InsurerContext, *, http: httpx.Client | None = None) -> PremiumPayer:
        """The payer of the node ``context`` describes."""
        domain = PremiumDomain(context.deployment.chain_id, context.deployment.consent_registry)
        return cls(context.keystore, context.registries, domain, http=http, clock=context.clock)

    @property
    def domain(self) -> PremiumDomain:
        """The EIP-712 domain of the network's personal-account messages."""
        return self._domain

    def pay(self, signed: SignedPremiumDebit) -> SignedPremiumReceipt:
        """The bureau's verified receipt of ``signed``.

        Raises :class:`PremiumRefused` (nothing booked) or :class:`PremiumUndetermined`.
        """
        bureau = signed.debit.bureau
        participants = self._registries.participants
        if not participants.is_active_bureau(bureau):
            raise PremiumUndetermined("bureau_unavailable", f"{bureau} is not an active bureau")
        endpoint = participants.participant(bureau).endpoint.rstrip("/")
        if not endpoint.startswith(("http://", "https://")):
            raise PremiumUndetermined("bureau_unavailable", f"bureau {bureau} has no endpoint")
        raw = json.dumps(signed.to_json_dict()).encode()
        path = urlsplit(endpoint).path + PREMIUM_DEBITS_PATH
        headers = sign_request(self._keystore.account, "POST", path, raw, now=self._clock())
        headers["Content-Type"] = "application/json"
        try:
            response = self._http.post(endpoint + PREMIUM_DEBITS_PATH, content=raw, headers=headers)
            data = response.json()
        except httpx.HTTPError as error:
            raise PremiumUndetermined("bureau_unavailable", f"no answer: {error}") from error
        except ValueError:
            data = None
        if response.status_code in DEFINITIVE_REFUSALS:
            refusal = data.get("error") if isinstance(data, dict) else None
            raise PremiumRefused(response.status_code, refusal if isinstance(refusal, dict) else {})
        if response.status_code not in (200, 201):
            raise PremiumUndetermined("bureau_error", f"the bureau answered {response.status_code}")
        try:
            receipt = PremiumReceiptBody.model_validate(data).signed()
            receipt.verify(self._domain, signed.debit)
        except (ValidationError, TypedDataError, SignatureError) as error:
            raise PremiumUndetermined("receipt_not_verifiable", str(error)) from error
        return receipt


def enroll_with_premium(
    context: InsurerContext,
    session: Session,
    bureau_client: BureauClient,
    payer: PremiumPayer,
    signed: SignedPremiumDebit,
    *,
    pseudonym: bytes,
    wallet: str,
    product: str,
    bureau: str,
    start: dt.date | None = None,
) -> PolicyRow:
    """One-click enrollment paid by ``signed`` (module doc). Raises :class:`EnrollmentRefused`.

    ``wallet`` and ``bureau`` are the chain's binding of ``pseudonym``; ``start`` as for
    :func:`~trustshare.insurer.enrollment.one_click_enroll`.
    """
    _check_authorisation(context, payer.domain, signed, pseudonym, wallet, product, bureau)
    paid = policy_paid_by(session, signed.debit.debit_id)
    if paid is not None:
        if stored_debit(paid).debit != signed.debit:
            raise EnrollmentRefused(
                "debit_id_reused",
                "this debit id already pays another authorisation",
                status_code=409,
                field="premium.authorisation.debit_id",
            )
        return _settle(session, payer, paid) if _awaiting(paid) else paid
    if signed.debit.deadline < context.clock():
        raise _invalid("deadline", f"the authorisation expired at {signed.debit.deadline}")
    for earlier in session.scalars(
        select(PolicyRow).where(
            PolicyRow.pseudonym == pseudonym,
            PolicyRow.product == product,
            PolicyRow.status == PolicyStatus.AWAITING_PREMIUM,
        )
    ).all():
        try:
            _settle(session, payer, earlier)
        except EnrollmentRefused as refused:
            if refused.code != "premium_refused":  # still unknown: do not risk paying twice
                raise
    offer = underwrite(
        context,
        session,
        bureau_client,
        pseudonym=pseudonym,
        product=product,
        bureau=bureau,
        start=start,
    )
    return _settle(session, payer, _reserve(session, offer, signed))


def policy_paid_by(session: Session, debit_id: bytes) -> PolicyRow | None:
    """The policy (active or awaiting its premium) the debit ``debit_id`` pays."""
    return session.scalar(select(PolicyRow).where(PolicyRow.premium_debit_id == debit_id))


def stored_debit(policy: PolicyRow) -> SignedPremiumDebit:
    """The signed debit stored with ``policy``."""
    return SignedPremiumDebit.from_json_dict(json.loads(policy.premium_json or "{}"))


def premium_receipt(policy: PolicyRow) -> dict[str, Any] | None:
    """The bureau's signed receipt stored with ``policy`` (JSON form), if it was paid so."""
    if policy.premium_json is None:
        return None
    receipt: dict[str, Any] | None = json.loads(policy.premium_json).get("receipt")
    return receipt


def _awaiting(policy: PolicyRow) -> bool:
    return policy.status == PolicyStatus.AWAITING_PREMIUM


def _invalid(field: str, reason: str) -> EnrollmentRefused:
    return EnrollmentRefused(
        "premium_invalid", reason, status_code=422, field=f"premium.authorisation.{field}"
    )


def _check_authorisation(
    context: InsurerContext,
    domain: PremiumDomain,
    signed: SignedPremiumDebit,
    pseudonym: bytes,
    wallet: str,
    product: str,
    bureau: str,
) -> None:
    debit = signed.debit
    expected = {
        "pseudonym": ("0x" + debit.pseudonym.hex(), "0x" + pseudonym.hex()),
        "insurer": (debit.insurer, context.address),
        "bureau": (debit.bureau.lower(), bureau.lower()),
        "policy_reference": (debit.policy_reference, product),
    }
    for field, (stated, wanted) in expected.items():
        if stated != wanted:
            raise _invalid(field, f"the authorisation names {stated}, this enrollment {wanted}")
    if debit.amount_fen <= 0:
        raise _invalid("amount_fen", "the amount must be positive")
    try:
        signer = signed.signer(domain)
    except SignatureError as error:
        raise _invalid("signature", str(error)) from error
    if signer.lower() != wallet.lower():
        raise _invalid("signature", "the authorisation is not signed by the bound wallet")


def _reserve(session: Session, offer: PolicyOffer, signed: SignedPremiumDebit) -> PolicyRow:
    """Store the offer as a policy awaiting its premium, committed before anything is paid."""
    policy = PolicyRow(
        policy_number=offer.policy_number,
        pseudonym=offer.pseudonym,
        product=offer.product,
        status=PolicyStatus.AWAITING_PREMIUM,
        valid_from=offer.valid_from,
        valid_to=offer.valid_to,
        premium_debit_id=signed.debit.debit_id,
        premium_json=json.dumps(signed.to_json_dict()),
    )
    session.add(policy)
    try:
        session.commit()
    except IntegrityError:
        session.rollback()
        if policy_paid_by(session, signed.debit.debit_id) is not None:
            raise EnrollmentRefused(
                "premium_in_flight",
                "this authorisation is being paid by a concurrent request; retry it",
                status_code=409,
            ) from None
        raise EnrollmentRefused(
            "already_insured",
            f"a policy of {offer.product} for this person already starts then",
            status_code=409,
        ) from None
    return policy


def _settle(session: Session, payer: PremiumPayer, policy: PolicyRow) -> PolicyRow:
    """Pay ``policy``'s stored debit: active with its receipt, deleted if refused, else kept."""
    signed = stored_debit(policy)
    try:
        receipt = payer.pay(signed)
    except PremiumRefused as refused:
        session.delete(policy)
        session.commit()
        raise EnrollmentRefused(
            "premium_refused",
            f"the bureau refused the premium debit: {refused.message}",
            status_code=409 if refused.status_code == 409 else 422,
            details={"bureau_status": refused.status_code, "bureau_code": refused.code},
        ) from refused
    except PremiumUndetermined as unknown:
        raise EnrollmentRefused(
            "premium_pending",
            "whether the premium was debited is not known yet; send the same request again "
            f"(it is never debited twice): {unknown.reason}",
            status_code=503,
            details={"check": unknown.code},
        ) from unknown
    policy.status = PolicyStatus.ACTIVE
    policy.premium_json = json.dumps({**signed.to_json_dict(), "receipt": receipt.to_json_dict()})
    session.commit()
    return policy
