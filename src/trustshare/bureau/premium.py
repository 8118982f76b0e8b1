"""Premiums paid from the personal account: the patient's signed debit, booked once, receipted.

An insurer node forwards the patient's :class:`~trustshare.crypto.premium.SignedPremiumDebit`
in a request signed with its own chain key (``POST /v1/premium-debits``; the API checks that an
active insurer signed it). Then, in order, each refusal changing nothing:

1. the authorisation names this bureau (422 ``wrong_bureau``) and, as the insurer, the one that
   signed the request (403 ``insurer_mismatch``): an insurer cannot cash another's authorisation;
2. its signature recovers a signer (403 ``bad_signature``);
3. a debit with its ``debitId`` is booked already: the same authorisation, signed by the same
   wallet, gets that debit's receipt again (``replayed``) — also after its deadline, so that an
   insurer whose first answer was lost can always learn that it was paid; any other content is
   409 ``debit_id_reused``;
4. the signer is the wallet the chain binds to the pseudonym (``ConsentRegistry.bindingOf``;
   422 ``pseudonym_unbound``, 403 ``bad_signature``): only the account holder moves the money;
5. the deadline has not passed (422 ``expired``) and is at most
   :data:`MAX_AUTHORISATION_SECONDS` ahead (422 ``deadline_too_far``); the amount is positive
   (422 ``invalid_amount``);
6. an account is open for the pseudonym (422 ``no_personal_account``) and holds the amount
   (422 ``insufficient_balance``; the balance itself is not revealed).

Then, in one transaction: the balance is lowered by a conditional update, the debit entry is
appended under the key ``debit:0x<debitId>``, and the receipt, signed by the bureau's chain key,
is stored with it. The answer is that receipt; a repeat answers the stored one, byte for byte.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any, Final

from sqlalchemy.exc import IntegrityError

from trustshare.bureau.context import BureauContext
from trustshare.crypto.errors import SignatureError
from trustshare.crypto.premium import (
    PremiumDomain,
    PremiumReceipt,
    SignedPremiumDebit,
    sign_premium_receipt,
)
from trustshare.gateway.errors import ApiError, Conflict, Forbidden, Unprocessable
from trustshare.storage import personal_accounts as ledger
from trustshare.storage.database import transaction
from trustshare.storage.models import PersonalAccountEntry, utc_now

MAX_AUTHORISATION_SECONDS: Final = 24 * 3600
"""An authorisation still valid for longer than this is refused: they are for one purchase."""


@dataclass(frozen=True)
class DebitAnswer:
    """The signed receipt (JSON form) and whether it is a repeat of an earlier debit's."""

    receipt: dict[str, Any]
    replayed: bool


def premium_domain(context: BureauContext) -> PremiumDomain:
    """The EIP-712 domain of personal-account messages on the node's network."""
    return PremiumDomain(context.deployment.chain_id, context.deployment.consent_registry)


def debit_premium(context: BureauContext, insurer: str, signed: SignedPremiumDebit) -> DebitAnswer:
    """Book ``signed`` (forwarded by ``insurer``) once; raises :class:`ApiError` (module doc)."""
    debit = signed.debit
    if debit.bureau != context.address:
        raise Unprocessable(
            "wrong_bureau",
            f"the authorisation is for bureau {debit.bureau}, not this one",
            field="authorisation.bureau",
        )
    if debit.insurer != insurer:
        raise Forbidden(
            "insurer_mismatch",
            f"the authorisation pays {debit.insurer}, but {insurer} signed the request",
            field="authorisation.insurer",
        )
    domain = premium_domain(context)
    try:
        signer = signed.signer(domain)
    except SignatureError as error:
        raise Forbidden("bad_signature", str(error), field="signature") from error
    move = ledger.Move(
        pseudonym=debit.pseudonym,
        kind=ledger.DEBIT,
        amount_fen=debit.amount_fen,
        entry_key=f"debit:0x{debit.debit_id.hex()}",
        fingerprint=debit.digest(domain).hex(),
        reference=debit.policy_reference,
        counterparty=debit.insurer,
        signer=signer,
    )
    earlier = _earlier(context, move)
    if earlier is not None:
        return earlier
    _check_authorisation(context, signed, signer)
    now = context.clock()
    try:
        with transaction(context.sessions) as session:
            entry = ledger.append(session, move, utc_now())
            if entry is None:
                raise Unprocessable(
                    "insufficient_balance",
                    "the personal account does not hold the amount",
                    field="authorisation.amount_fen",
                )
            receipt = PremiumReceipt.of(debit, entry_id=entry.id, paid_at=int(now))
            answer = sign_premium_receipt(context.account, domain, receipt).to_json_dict()
            entry.receipt_json = json.dumps(answer)
    except IntegrityError:  # the same debit id, booked by a concurrent request
        earlier = _earlier(context, move)
        if earlier is None:
            raise
        return earlier
    return DebitAnswer(answer, replayed=False)


def _earlier(context: BureauContext, move: ledger.Move) -> DebitAnswer | None:
    """The stored answer to an earlier booking of ``move``'s debit id, or None."""
    with context.sessions() as session:
        entry: PersonalAccountEntry | None = ledger.entry_by_key(session, move.entry_key)
    if entry is None:
        return None
    if entry.fingerprint != move.fingerprint:
        raise Conflict(
            "debit_id_reused",
            "this debit id was already used by another authorisation",
            field="authorisation.debit_id",
        )
    if entry.signer != move.signer or entry.receipt_json is None:
        raise Forbidden("bad_signature", "the authorisation was booked with another signature")
    return DebitAnswer(json.loads(entry.receipt_json), replayed=True)


def _check_authorisation(context: BureauContext, signed: SignedPremiumDebit, signer: str) -> None:
    """Steps 4–6 of the module doc, before any write."""
    debit = signed.debit
    wallet, _bureau = context.registries.consents.binding_of(debit.pseudonym)
    if int(wallet, 16) == 0:
        raise Unprocessable(
            "pseudonym_unbound",
            "no wallet is bound to this pseudonym",
            field="authorisation.pseudonym",
        )
    if signer != wallet:
        raise Forbidden(
            "bad_signature",
            "the authorisation is not signed by the wallet bound to the pseudonym",
            field="signature",
        )
    now = context.clock()
    problem: ApiError | None = None
    if debit.deadline < now:
        problem = Unprocessable("expired", f"the authorisation expired at {debit.deadline}")
    elif debit.deadline > now + MAX_AUTHORISATION_SECONDS:
        problem = Unprocessable(
            "deadline_too_far",
            f"an authorisation may be valid for at most {MAX_AUTHORISATION_SECONDS} s",
        )
    if problem is not None:
        problem.field = "authorisation.deadline"
        raise problem
    if debit.amount_fen <= 0:
        raise Unprocessable(
            "invalid_amount", "the amount must be positive", field="authorisation.amount_fen"
        )
    with context.sessions() as session:
        if ledger.account_of(session, debit.pseudonym) is None:
            raise Unprocessable(
                "no_personal_account",
                "no personal account is open for this pseudonym",
                field="authorisation.pseudonym",
            )
