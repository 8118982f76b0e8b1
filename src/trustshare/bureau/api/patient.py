"""Patient API: consent relay (no gas needed) and the patient's own access log."""

from __future__ import annotations

from typing import Annotated, Any

from eth_utils.address import to_checksum_address
from fastapi import APIRouter, Depends, Path, Query
from pydantic import BaseModel, ConfigDict, Field

from trustshare.bureau.access_log import MAX_PAGE, access_log_of
from trustshare.bureau.api.deps import ContextDep, SessionDep
from trustshare.bureau.consent_relay import relay_grant, relay_revocation, relay_status
from trustshare.crypto.eip712 import ConsentTerms
from trustshare.crypto.errors import CryptoError
from trustshare.gateway.errors import NotFound, Unprocessable
from trustshare.gateway.signing import SignedRequest, read_signed_request
from trustshare.storage.access import SeenNonceStore

router = APIRouter(tags=["patients"])

Bytes32Hex = Annotated[str, Field(pattern=r"^0x[0-9a-fA-F]{64}$")]
AddressHex = Annotated[str, Field(pattern=r"^0x[0-9a-fA-F]{40}$")]
SignatureHex = Annotated[str, Field(pattern=r"^0x[0-9a-fA-F]{130}$")]
Uint48 = Annotated[int, Field(ge=0, lt=2**48)]
Uint256 = Annotated[int, Field(ge=0, lt=2**256)]
Uint32 = Annotated[int, Field(ge=0, lt=2**32)]
SignedRequestDep = Annotated[SignedRequest, Depends(read_signed_request)]


class ConsentTermsBody(BaseModel):
    """``ConsentTerms`` as the patient signed them."""

    model_config = ConfigDict(extra="forbid")

    pseudonym: Bytes32Hex
    insurer: AddressHex
    scopes: Uint32
    purposes: Uint32
    not_before: Uint48
    not_after: Uint48


class GrantBody(BaseModel):
    """A grant signed by the patient's wallet (``sign_grant``), to relay."""

    model_config = ConfigDict(extra="forbid")

    terms: ConsentTermsBody
    nonce: Uint256
    deadline: Uint256
    signature: SignatureHex


class RevocationBody(BaseModel):
    """A revocation signed by the patient's wallet (``sign_revocation``), to relay."""

    model_config = ConfigDict(extra="forbid")

    pseudonym: Bytes32Hex
    insurer: AddressHex
    consent_id: Bytes32Hex
    deadline: Uint256
    signature: SignatureHex


def _bytes(text: str) -> bytes:
    return bytes.fromhex(text[2:])


def _address(text: str) -> str:
    # web3 refuses an address that is not checksummed; the JSON may carry any case.
    return str(to_checksum_address(text))


_REFUSED: dict[int | str, dict[str, Any]] = {
    401: {"description": "the signature is not the bound wallet's"},
    409: {"description": "a relay of the same grant or revocation is in flight"},
    422: {"description": "the consent registry would refuse it (code says why)"},
}


@router.post("/v1/consents/grants", status_code=202, responses=_REFUSED)
def post_grant(body: GrantBody, context: ContextDep, session: SessionDep) -> dict[str, Any]:
    """Queue a patient-signed grant for the chain; the answer names the consent id it will get."""
    try:
        terms = ConsentTerms(
            _bytes(body.terms.pseudonym),
            body.terms.insurer,
            body.terms.scopes,
            body.terms.purposes,
            body.terms.not_before,
            body.terms.not_after,
        )
    except CryptoError as error:
        raise Unprocessable("invalid_terms", str(error), field="terms") from error
    return relay_grant(context, session, terms, body.nonce, body.deadline, _bytes(body.signature))


@router.post("/v1/consents/revocations", status_code=202, responses=_REFUSED)
def post_revocation(
    body: RevocationBody, context: ContextDep, session: SessionDep
) -> dict[str, Any]:
    """Queue a patient-signed revocation for the chain (effective from the block it lands in)."""
    return relay_revocation(
        context,
        session,
        _bytes(body.pseudonym),
        _address(body.insurer),
        _bytes(body.consent_id),
        body.deadline,
        _bytes(body.signature),
    )


@router.get("/v1/consents/relays/{outbox_id}", responses={404: {"description": "no such relay"}})
def get_relay(
    outbox_id: Annotated[int, Path(ge=1, lt=2**63)], session: SessionDep
) -> dict[str, Any]:
    """Where a relayed grant or revocation stands: pending, sent, done or failed (with its tx)."""
    return relay_status(session, outbox_id)


@router.get(
    "/v1/patients/{pseudonym}/access-log",
    responses={
        401: {"description": "not signed by the wallet bound to this pseudonym"},
        404: {"description": "the pseudonym is bound to no wallet"},
    },
)
def get_access_log(
    pseudonym: Annotated[str, Path(pattern=r"^0x[0-9a-fA-F]{64}$")],
    signed: SignedRequestDep,
    context: ContextDep,
    session: SessionDep,
    after: Annotated[int, Query(ge=0, lt=2**63)] = 0,
    limit: Annotated[int, Query(ge=1, le=MAX_PAGE)] = 100,
) -> dict[str, Any]:
    """Who accessed (or tried to access) the patient's records, with proofs of commitment.

    Signed (``X-TrustShare-*`` headers) by the wallet bound on chain to ``pseudonym``.
    """
    subject = _bytes(pseudonym)
    wallet, _bureau = context.registries.consents.binding_of(subject)
    if int(wallet, 16) == 0:
        raise NotFound("pseudonym_unbound", "no wallet is bound to this pseudonym")
    signed.verify(
        now=context.clock(),
        nonces=SeenNonceStore(context.sessions),
        may_sign=lambda signer: signer == wallet,
        window=context.settings.request_window_s,
    )
    return access_log_of(session, subject, after_id=after, limit=limit)
