"""The real-time authorisation contract between a bureau (client) and an insurer node (server).

When a hospital confirms a settlement whose patient presented an insurer's policy code (商保码)
and consented to that insurer with purpose ``DIRECT_SETTLEMENT`` and scope
``SETTLEMENT_SUMMARY``, the bureau asks the insurer to authorise its commercial layer, in the
engine's payer order, like a card authorisation: the money moves later, at clearing.

**Request.** ``POST {endpoint}/v1/realtime-authorisations`` where ``endpoint`` is the insurer's
endpoint in the Participants registry. The body is :class:`RealtimeAuthorisationRequest` as
JSON (UTF-8). The request is signed by the bureau's chain key with
:func:`trustshare.gateway.signing.sign_request` over the method, the path as sent (for an
endpoint with a base path, ``/base/v1/realtime-authorisations``), the SHA-256 of the exact body
bytes, a timestamp and a single-use nonce; the insurer verifies it with ``verify_request`` and
requires the signer to be an active bureau (``Participants.isActiveBureau``) and the
``settlement_id`` to start with that bureau's address (ids are bureau-scoped).

**Response.** ``200`` with :class:`RealtimeAuthorisationResponse`: ``authorised_fen`` between 0
and ``computed_fen`` (0 is a refusal) and the insurer's ``authorisation_id``, which it will later
match against the committed settlement when it claims. Any other status, a body that does not
parse, or an amount outside ``0..computed_fen`` counts as a refusal. An answer that arrives
after ``deadline_unix_ms`` is ignored (``timed_out``) and the settlement completes without the
layer: the insurer must then treat its authorisation as void (no committed settlement will
ever carry it).

**Idempotency.** The bureau sends each request once per confirmation; a repeat of the same
``(settlement_id, product)`` — after a hospital's retry whose first attempt never completed —
should return the first answer.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated, Final

from pydantic import BaseModel, ConfigDict, Field

REALTIME_AUTHORISATION_PATH: Final = "/v1/realtime-authorisations"
"""The insurer node's endpoint path, relative to its registered endpoint."""

Bytes32Hex = Annotated[str, Field(pattern=r"^0x[0-9a-f]{64}$", description="32 bytes, 0x-hex")]
AddressHex = Annotated[str, Field(pattern=r"^0x[0-9a-fA-F]{40}$", description="20-byte address")]
NonNegativeFen = Annotated[int, Field(ge=0, le=2**53 - 1, strict=True, description="fen")]

_CONTRACT = ConfigDict(extra="forbid", frozen=True)


class RealtimeAuthorisationRequest(BaseModel):
    """What the bureau asks one insurer: authorise your layer of this settlement."""

    model_config = _CONTRACT

    settlement_reference: str = Field(
        min_length=1, max_length=64, description="the platform's settlement number (setl_id)"
    )
    settlement_id: Bytes32Hex = Field(
        description="the on-chain settlement id (bureau address ‖ 96-bit local id)"
    )
    bureau: AddressHex = Field(description="the asking bureau's chain address (the signer)")
    pseudonym: Bytes32Hex = Field(description="the patient's keyed pseudonym")
    product: str = Field(min_length=1, description="product rules id, as in the policy code")
    policy_number: str = Field(min_length=1, description="policy number, as in the policy code")
    payer_order: int = Field(ge=2, strict=True, description="position in the payer order")
    computed_fen: NonNegativeFen = Field(
        description="what the settlement engine computed for this layer: the most to authorise"
    )
    prior_payers_paid_fen: NonNegativeFen = Field(
        description="what every earlier payer (statutory funds, earlier insurers) has paid"
    )
    claim_ceiling_fen: NonNegativeFen = Field(
        description="what all commercial insurers together may pay on this settlement"
    )
    rules_version: str = Field(description="hex SHA-256 of the rule set the engine used")
    deadline_unix_ms: int = Field(
        ge=0, strict=True, description="answers arriving after this instant are ignored"
    )


class RealtimeAuthorisationResponse(BaseModel):
    """The insurer's answer: how much of its layer it authorises, under which id."""

    model_config = _CONTRACT

    authorised_fen: NonNegativeFen = Field(description="0 ≤ authorised ≤ computed_fen; 0 refuses")
    authorisation_id: str = Field(min_length=1, max_length=128, description="the insurer's id")


class PayerStatus(StrEnum):
    """What became of one commercial layer, as the hospital's combined answer reports it."""

    AUTHORISED = "authorised"
    """The insurer authorised the whole computed layer."""
    PARTIALLY_AUTHORISED = "partially_authorised"
    """The insurer authorised less than computed; the patient's remainder covers the rest."""
    REFUSED = "refused"
    """The insurer answered 0, an error, or an answer that breaks this contract."""
    TIMED_OUT = "timed_out"
    """No answer before the deadline; the layer is left out."""
    NO_CONSENT = "no_consent"
    """The patient has not consented to DIRECT_SETTLEMENT of SETTLEMENT_SUMMARY for this insurer."""
    NOTHING_DUE = "nothing_due"
    """The engine computed 0 for the layer, so the insurer was not asked."""
    ESTIMATED = "estimated"
    """A trial: the engine's figure, no insurer asked."""
