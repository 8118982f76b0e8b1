"""Relaying patients' signed consent grants and revocations to the chain (patients pay no gas).

A relay is checked before it is queued: the signed call is simulated against the latest block
(``eth_call`` as the bureau), so a grant the ConsentRegistry would refuse — a signer who is not
the wallet bound to the pseudonym, a nonce other than ``nonceOf``, a passed deadline, an inactive
insurer, bad terms — is answered at once with a 4xx and never reaches the outbox. A grant with
the same pseudonym and nonce (or a revocation of the same consent) already in flight is 409.
Accepted relays are queued with :func:`trustshare.bureau.outbox.enqueue` and sent by the
publisher; :func:`relay_status` reports their progress.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlalchemy.orm import Session
from web3.contract.contract import ContractFunction

from trustshare.bureau.context import BureauContext
from trustshare.bureau.outbox import enqueue
from trustshare.chain.errors import ContractRevert
from trustshare.chain.sender import call_checked
from trustshare.crypto.eip712 import ConsentTerms, consent_id
from trustshare.gateway.errors import ApiError, Conflict, NotFound, Unauthenticated, Unprocessable
from trustshare.storage import access

_REFUSALS: dict[str, Callable[[str], ApiError]] = {
    "ConsentRegistryInvalidSignature": lambda m: Unauthenticated("bad_signature", m),
    "ConsentRegistryMalformedSignature": lambda m: Unauthenticated("bad_signature", m),
    "ConsentRegistryMalleableSignature": lambda m: Unauthenticated("bad_signature", m),
    "ConsentRegistryUnboundPseudonym": lambda m: Unprocessable("pseudonym_unbound", m),
    "ConsentRegistryInvalidNonce": lambda m: Unprocessable("wrong_nonce", m, field="nonce"),
    "ConsentRegistryExpiredSignature": lambda m: Unprocessable(
        "deadline_passed", m, field="deadline"
    ),
    "ConsentRegistryInsurerInactive": lambda m: Unprocessable("insurer_inactive", m),
    "ConsentRegistryInvalidWindow": lambda m: Unprocessable("invalid_terms", m),
    "ConsentRegistryInvalidScopesOrPurposes": lambda m: Unprocessable("invalid_terms", m),
    "ConsentRegistryConsentNotCurrent": lambda m: Conflict("consent_not_current", m),
    "ConsentRegistryAlreadyRevoked": lambda m: Conflict("already_revoked", m),
}


def _hex(value: bytes) -> str:
    return "0x" + value.hex()


def _simulate(context: BureauContext, function: ContractFunction) -> None:
    try:
        call_checked(function, **{"from": context.address})
    except ContractRevert as revert:
        refusal = _REFUSALS.get(revert.error_name)
        message = f"the consent registry would refuse this: {revert}"
        raise (refusal or (lambda m: Unprocessable("rejected_by_chain", m)))(message) from revert


def relay_grant(
    context: BureauContext,
    session: Session,
    terms: ConsentTerms,
    nonce: int,
    deadline: int,
    signature: bytes,
) -> dict[str, Any]:
    """Check and queue a signed grant; return the outbox id and the consent id it will have."""
    in_flight = access.unfinished_relays(session, "grant_consent")
    pseudonym = _hex(terms.pseudonym)
    if any(_field(p, "terms", "pseudonym") == pseudonym and p["nonce"] == nonce for p in in_flight):
        raise Conflict("relay_in_flight", "a grant with this nonce is already being relayed")
    contract = context.registries.consents.contract
    _simulate(
        context, contract.functions.grantBySig(terms.as_abi_tuple(), nonce, deadline, signature)
    )
    payload = {
        "terms": {
            "pseudonym": pseudonym,
            "insurer": terms.insurer,
            "scopes": terms.scopes,
            "purposes": terms.purposes,
            "not_before": terms.not_before,
            "not_after": terms.not_after,
        },
        "nonce": nonce,
        "deadline": deadline,
        "signature": _hex(signature),
    }
    entry = enqueue(session, "grant_consent", payload)
    session.commit()
    return {
        "outbox_id": entry.id,
        "consent_id": _hex(consent_id(terms, nonce)),
        "status": entry.status,
    }


def relay_revocation(
    context: BureauContext,
    session: Session,
    pseudonym: bytes,
    insurer: str,
    revoked_consent_id: bytes,
    deadline: int,
    signature: bytes,
) -> dict[str, Any]:
    """Check and queue a signed revocation; return the outbox id."""
    in_flight = access.unfinished_relays(session, "revoke_consent")
    if any(p.get("consent_id") == _hex(revoked_consent_id) for p in in_flight):
        raise Conflict("relay_in_flight", "this consent's revocation is already being relayed")
    contract = context.registries.consents.contract
    _simulate(
        context,
        contract.functions.revokeBySig(pseudonym, insurer, revoked_consent_id, deadline, signature),
    )
    payload = {
        "pseudonym": _hex(pseudonym),
        "insurer": insurer,
        "consent_id": _hex(revoked_consent_id),
        "deadline": deadline,
        "signature": _hex(signature),
    }
    entry = enqueue(session, "revoke_consent", payload)
    session.commit()
    return {
        "outbox_id": entry.id,
        "consent_id": _hex(revoked_consent_id),
        "status": entry.status,
    }


def relay_status(session: Session, outbox_id: int) -> dict[str, Any]:
    """Where a relay stands: ``pending``, ``sent``, ``done`` or ``failed``, with its tx."""
    entry = access.relay_entry(session, outbox_id)
    if entry is None:
        raise NotFound("relay_not_found", f"no consent relay {outbox_id}")
    return {
        "outbox_id": entry.id,
        "kind": entry.kind,
        "status": entry.status,
        "tx_hash": entry.tx_hash,
        "block_number": entry.block_number,
        "error": entry.error,
    }


def _field(payload: dict[str, object], outer: str, inner: str) -> object:
    nested = payload.get(outer)
    return nested.get(inner) if isinstance(nested, dict) else None
