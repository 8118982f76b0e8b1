"""Patient API: wallet binding, consent relay (no gas needed) and the patient's own access log."""

from __future__ import annotations

from typing import Annotated, Any

from eth_utils.address import to_checksum_address
from fastapi import APIRouter, Depends, Path, Query
from pydantic import BaseModel, ConfigDict, Field

from trustshare.bureau.access_log import MAX_PAGE, access_log_of
from trustshare.bureau.api.deps import ContextDep, SessionDep
from trustshare.bureau.api.operations import require_operator
from trustshare.bureau.binding_requests import (
    VOUCHER_PREFIX,
    VoucherRefused,
    issue_voucher,
    read_voucher,
    redeem_voucher,
)
from trustshare.bureau.consent_relay import relay_grant, relay_revocation, relay_status
from trustshare.bureau.identity import BoundByOtherBureau, OperatorInputError
from trustshare.crypto.eip712 import ConsentTerms
from trustshare.crypto.errors import CryptoError
from trustshare.gateway.errors import Conflict, NotFound, Unprocessable
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


# -- wallet binding at the patient's request ------------------------------------------------


class BindingVoucherCreate(BaseModel):
    """The ID number of a person the bureau has just verified (at the counter)."""

    model_config = ConfigDict(extra="forbid")

    id_number: str = Field(
        min_length=1,
        max_length=64,
        description="as for identity binding; turned into the keyed pseudonym at once, never "
        "stored or put in the voucher",
    )


class BindingVoucherIssued(BaseModel):
    """The voucher to hand to the person, and until when their wallet may redeem it."""

    voucher: str
    expires_at: int = Field(description="unix seconds")


@router.post(
    "/v1/binding-vouchers",
    status_code=201,
    tags=["operations"],
    dependencies=[Depends(require_operator)],
)
def issue_binding_voucher(body: BindingVoucherCreate, context: ContextDep) -> BindingVoucherIssued:
    """Issue a binding voucher for a person verified off-chain (operator token required).

    The person's wallet redeems it with ``POST /v1/binding-requests``, proving its key.
    """
    try:
        text, voucher = issue_voucher(context, body.id_number)
    except OperatorInputError as error:
        raise Unprocessable(f"invalid_{error.field}", error.reason, field=error.field) from None
    return BindingVoucherIssued(voucher=text, expires_at=voucher.expires_at)


class BindingRequestBody(BaseModel):
    """A wallet's request to be bound, carrying the voucher the counter issued."""

    model_config = ConfigDict(extra="forbid")

    voucher: str = Field(
        min_length=len(VOUCHER_PREFIX) + 1, max_length=200, description="from the counter"
    )


class BindingRequested(BaseModel):
    """The pseudonym the wallet will speak for, and the queued chain write."""

    pseudonym: str
    wallet: str
    bureau: str
    outbox_id: int
    repeated: bool = Field(description="the same wallet had already redeemed this voucher")


@router.post(
    "/v1/binding-requests",
    status_code=202,
    responses={
        401: {"description": "unsigned, badly signed, stale or replayed"},
        409: {"description": "voucher spent by another wallet, or pseudonym held elsewhere"},
        422: {"description": "not a voucher of this bureau, or expired"},
    },
)
def request_binding(
    body: BindingRequestBody, signed: SignedRequestDep, context: ContextDep, session: SessionDep
) -> BindingRequested:
    """Bind the signing wallet to the person the voucher names; ``bindWallet`` is queued.

    Signed (``X-TrustShare-*`` headers) by the wallet to bind: the signature proves the wallet
    holds its key, the voucher that the bureau verified the person.
    """
    try:
        voucher = read_voucher(context, body.voucher)
    except VoucherRefused as refused:
        raise Unprocessable(refused.code, refused.message, field="voucher") from None
    wallet = signed.verify(
        now=context.clock(),
        nonces=SeenNonceStore(context.sessions),
        may_sign=lambda _signer: True,  # the voucher, checked above, is the authority
        window=context.settings.request_window_s,
    )
    try:
        queued = redeem_voucher(context, session, voucher, wallet)
    except VoucherRefused as refused:
        raise Conflict(refused.code, refused.message, field="voucher") from None
    except BoundByOtherBureau as error:
        raise Conflict("bound_by_other_bureau", str(error)) from None
    return BindingRequested(
        pseudonym="0x" + queued.pseudonym.hex(),
        wallet=queued.wallet,
        bureau=context.address,
        outbox_id=queued.outbox_id,
        repeated=queued.repeated,
    )
