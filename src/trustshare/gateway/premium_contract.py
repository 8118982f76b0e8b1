"""The premium-debit contract between an insurer node (client) and a bureau (server).

**Request.** ``POST {endpoint}/v1/premium-debits`` where ``endpoint`` is the bureau's endpoint in
the Participants registry, signed by the insurer's chain key
(:func:`trustshare.gateway.signing.sign_request`). The body is :class:`SignedPremiumDebitBody`:
the patient's :class:`~trustshare.crypto.premium.PremiumDebit` authorisation and the patient
wallet's EIP-712 signature of it, exactly as the patient's app handed them to the insurer.

**Response.** ``201`` with :class:`PremiumReceiptBody`, the receipt signed by the bureau's chain
key; ``200`` with the same receipt when the debit id was booked before (a retry: nothing is
debited again; header ``Idempotent-Replayed: true``). A refusal is the common error body with a
stable code (docs/BUREAU-API.md). The same shapes travel inside the insurer's own enrollment API.
"""

from __future__ import annotations

from typing import Annotated, Any, Final

from pydantic import BaseModel, ConfigDict, Field

from trustshare.crypto.premium import (
    MAX_POLICY_REFERENCE_CHARS,
    SignedPremiumDebit,
    SignedPremiumReceipt,
)

PREMIUM_DEBITS_PATH: Final = "/v1/premium-debits"
"""The bureau's endpoint path, relative to its registered endpoint."""
REPLAYED_HEADER: Final = "Idempotent-Replayed"

Bytes32Hex = Annotated[str, Field(pattern=r"^0x[0-9a-fA-F]{64}$", description="32 bytes, 0x-hex")]
AddressHex = Annotated[str, Field(pattern=r"^0x[0-9a-fA-F]{40}$", description="20-byte address")]
SignatureHex = Annotated[str, Field(pattern=r"^0x[0-9a-fA-F]{130}$", description="r ‖ s ‖ v")]
AmountFen = Annotated[int, Field(ge=0, le=2**53 - 1, strict=True, description="fen")]
UnixSeconds = Annotated[int, Field(ge=0, lt=2**64, strict=True, description="unix seconds")]
PolicyReference = Annotated[
    str,
    Field(
        min_length=1,
        max_length=MAX_POLICY_REFERENCE_CHARS,
        description="what the premium pays for (one-click enrollment: the product id)",
    ),
]

_CONTRACT = ConfigDict(extra="forbid", frozen=True)


class PremiumDebitBody(BaseModel):
    """``PremiumDebit`` as the patient signed it (snake_case)."""

    model_config = _CONTRACT

    pseudonym: Bytes32Hex = Field(description="whose personal account is debited")
    bureau: AddressHex = Field(description="the bureau keeping the account")
    insurer: AddressHex = Field(description="who is paid (and forwards the authorisation)")
    policy_reference: PolicyReference
    amount_fen: AmountFen
    debit_id: Bytes32Hex = Field(description="random, chosen by the patient's app: pays once")
    deadline: UnixSeconds = Field(description="the bureau books it no later than this")


class SignedPremiumDebitBody(BaseModel):
    """The authorisation and the patient wallet's 65-byte EIP-712 signature."""

    model_config = _CONTRACT

    authorisation: PremiumDebitBody
    signature: SignatureHex

    def signed(self) -> SignedPremiumDebit:
        """The crypto form (raises ``TypedDataError`` if a value is out of its ABI range)."""
        return SignedPremiumDebit.from_json_dict(self.model_dump())


class PremiumReceiptBody(BaseModel):
    """The bureau's receipt of one debit, signed (EIP-712 ``PremiumReceipt``) by its chain key."""

    model_config = _CONTRACT

    debit_id: Bytes32Hex
    pseudonym: Bytes32Hex
    bureau: AddressHex
    insurer: AddressHex
    policy_reference: PolicyReference
    amount_fen: AmountFen
    entry_id: int = Field(ge=1, lt=2**63, strict=True, description="the bureau's ledger entry")
    paid_at: UnixSeconds
    signature: SignatureHex

    def signed(self) -> SignedPremiumReceipt:
        """The crypto form."""
        return SignedPremiumReceipt.from_json_dict(self.model_dump())

    @classmethod
    def of(cls, receipt: SignedPremiumReceipt) -> PremiumReceiptBody:
        """The body of a signed receipt."""
        data: dict[str, Any] = receipt.to_json_dict()
        return cls.model_validate(data)
