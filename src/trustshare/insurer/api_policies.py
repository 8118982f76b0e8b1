"""The insurer node's API for patients' apps: one-click enrollment and policy codes.

Both requests are signed (``X-TrustShare-*`` headers, :mod:`trustshare.gateway.signing`) by
the patient's wallet: the one bound on chain (``ConsentRegistry.bindingOf``) to the pseudonym
the request is about. Mounted by ``create_app``; ``router`` is this module's.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request, status
from pydantic import BaseModel, ConfigDict, Field

from trustshare.crypto.errors import TypedDataError
from trustshare.gateway.errors import ApiError, Conflict, NotFound, Unprocessable
from trustshare.gateway.premium_contract import PremiumReceiptBody, SignedPremiumDebitBody
from trustshare.gateway.signing import SignedRequest, read_signed_request
from trustshare.insurer.api import ContextDep
from trustshare.insurer.bureau_client import BureauClient
from trustshare.insurer.context import InsurerContext
from trustshare.insurer.enrollment import EnrollmentRefused, one_click_enroll
from trustshare.insurer.policy_codes import PolicyCodeRefused, issue_policy_code
from trustshare.insurer.premium import PremiumPayer, enroll_with_premium, premium_receipt
from trustshare.insurer.records import InsurerNonceStore, policy_by_number
from trustshare.storage.insurer_models import PolicyRow

router = APIRouter(tags=["patients"])
SignedRequestDep = Annotated[SignedRequest, Depends(read_signed_request)]


def get_bureau_client(request: Request) -> BureauClient:
    """The app's bureau client (``app.state.bureau_client``), made on first use."""
    client: BureauClient | None = getattr(request.app.state, "bureau_client", None)
    if client is None:
        context: InsurerContext = request.app.state.context
        client = BureauClient(context.keystore, context.registries)
        request.app.state.bureau_client = client
    return client


BureauClientDep = Annotated[BureauClient, Depends(get_bureau_client)]


def get_premium_payer(request: Request) -> PremiumPayer:
    """The app's premium payer (``app.state.premium_payer``), made on first use."""
    payer: PremiumPayer | None = getattr(request.app.state, "premium_payer", None)
    if payer is None:
        payer = PremiumPayer.of_node(request.app.state.context)
        request.app.state.premium_payer = payer
    return payer


PremiumPayerDep = Annotated[PremiumPayer, Depends(get_premium_payer)]


class EnrollmentIn(BaseModel):
    """A patient's request for a policy of ``product``."""

    model_config = ConfigDict(extra="forbid")

    pseudonym: str = Field(pattern=r"^0x[0-9a-fA-F]{64}$", description="as bound at the bureau")
    product: str = Field(min_length=1, max_length=64, description="a product id of the rules")
    start: dt.date | None = Field(default=None, description="first day of cover (default today)")
    premium: SignedPremiumDebitBody | None = Field(
        default=None,
        description="the premium, paid from the personal account: a PremiumDebit signed by the "
        "bound wallet (policy_reference = product); the policy is issued once it is paid",
    )


class PolicyOut(BaseModel):
    """An issued policy."""

    policy_number: str
    pseudonym: str
    product: str
    insurer: str
    status: str
    valid_from: dt.datetime
    valid_to: dt.datetime = Field(description="exclusive end of cover")
    premium_receipt: PremiumReceiptBody | None = Field(
        default=None, description="the bureau's signed receipt of the premium debit, if any"
    )


class EnrollmentError(ApiError):
    """A refused enrollment, with the refusal's extra evidence in the error body."""

    def __init__(self, refused: EnrollmentRefused) -> None:
        """Answer with the refusal's status, code and details."""
        super().__init__(
            refused.code, refused.reason, field=refused.field, status_code=refused.status_code
        )
        self.details = refused.details

    def body(self) -> dict[str, Any]:
        """The common error body plus the refusal's details."""
        body = super().body()
        body["error"].update(self.details)
        return body


def _wallet_of(context: InsurerContext, pseudonym: bytes) -> tuple[str, str]:
    wallet, bureau = context.registries.consents.binding_of(pseudonym)
    return wallet, bureau


def _verify_wallet(context: InsurerContext, signed: SignedRequest, wallet: str) -> None:
    signed.verify(
        now=context.clock(),
        nonces=InsurerNonceStore(context.sessions),
        may_sign=lambda signer: int(wallet, 16) != 0 and signer.lower() == wallet.lower(),
        window=context.settings.request_window_s,
    )


def _receipt_out(policy: PolicyRow) -> PremiumReceiptBody | None:
    receipt = premium_receipt(policy)
    return None if receipt is None else PremiumReceiptBody.model_validate(receipt)


def _policy_out(context: InsurerContext, policy: PolicyRow) -> PolicyOut:
    return PolicyOut(
        policy_number=policy.policy_number,
        pseudonym="0x" + policy.pseudonym.hex(),
        product=policy.product,
        insurer=context.address,
        status=policy.status,
        valid_from=policy.valid_from,
        valid_to=policy.valid_to,
        premium_receipt=_receipt_out(policy),
    )


@router.post(
    "/v1/enrollments",
    status_code=status.HTTP_201_CREATED,
    response_model=PolicyOut,
    responses={
        401: {"description": "not signed by the wallet bound to the pseudonym"},
        403: {"description": "the bureau refused: no UNDERWRITING consent (its status given)"},
        409: {
            "description": "already insured; the record is not committed on chain (yet); the "
            "premium's debit id is used by another authorisation"
        },
        422: {
            "description": "unknown product, not enrolled, validity, region, unverifiable; "
            "premium_invalid; premium_refused (the bureau's bureau_code, e.g. "
            "insufficient_balance)"
        },
        502: {"description": "the bureau answered with an unexpected error"},
        503: {
            "description": "the bureau cannot be reached; premium_pending: whether the premium "
            "was debited is not known, send the same request again"
        },
    },
)
def post_enrollment(
    body: EnrollmentIn,
    signed: SignedRequestDep,
    context: ContextDep,
    bureau_client: BureauClientDep,
    payer: PremiumPayerDep,
) -> PolicyOut:
    """One-click enrollment (一键投保): a policy on the person's verified enrollment record.

    The node fetches the record from the bureau that bound the wallet, under the patient's
    UNDERWRITING consent, verifies it against the chain, and issues a one-year policy. With a
    ``premium`` the policy is issued only once that bureau has debited the personal account
    (its signed receipt is in the answer); a retry with the same authorisation never pays twice.
    """
    pseudonym = bytes.fromhex(body.pseudonym[2:])
    wallet, bureau = _wallet_of(context, pseudonym)
    _verify_wallet(context, signed, wallet)
    try:
        premium = body.premium.signed() if body.premium is not None else None
    except TypedDataError as error:
        raise Unprocessable("premium_invalid", str(error), field="premium") from None
    with context.sessions() as session:
        try:
            if premium is not None:
                policy = enroll_with_premium(
                    context,
                    session,
                    bureau_client,
                    payer,
                    premium,
                    pseudonym=pseudonym,
                    wallet=wallet,
                    product=body.product,
                    bureau=bureau,
                    start=body.start,
                )
            else:
                policy = one_click_enroll(
                    context,
                    session,
                    bureau_client,
                    pseudonym=pseudonym,
                    product=body.product,
                    bureau=bureau,
                    start=body.start,
                )
        except EnrollmentRefused as refused:
            raise EnrollmentError(refused) from refused
        return _policy_out(context, policy)


@router.post(
    "/v1/policies/{policy_number}/code",
    status_code=status.HTTP_201_CREATED,
    responses={
        201: {"description": "a 商保码 as the bureau's hospital API accepts it in policy_codes"},
        401: {"description": "not signed by the wallet bound to the policy holder"},
        404: {"description": "no such policy"},
        409: {"description": "the policy is not active or not in force now"},
    },
)
def post_policy_code(
    policy_number: str, signed: SignedRequestDep, context: ContextDep
) -> dict[str, Any]:
    """A short-lived policy code (商保码) for the holder to show at the hospital window."""
    with context.sessions() as session:
        policy = policy_by_number(session, policy_number)
    if policy is None:
        raise NotFound("no_policy", "no policy with this number")
    wallet, _ = _wallet_of(context, policy.pseudonym)
    _verify_wallet(context, signed, wallet)
    try:
        code = issue_policy_code(context, policy, now=context.clock())
    except PolicyCodeRefused as refused:
        raise Conflict(refused.code, refused.reason) from refused
    return code.to_json_dict()
