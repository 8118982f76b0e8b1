"""Premium debits and receipts: digests agree with eth-account, signatures bind every field."""

from __future__ import annotations

import dataclasses

import pytest
from eth_account import Account
from eth_account.messages import encode_typed_data

from trustshare.crypto.errors import SignatureError, TypedDataError
from trustshare.crypto.hashing import keccak256
from trustshare.crypto.premium import (
    PREMIUM_DEBIT_TYPE,
    PREMIUM_DEBIT_TYPEHASH,
    PREMIUM_RECEIPT_TYPE,
    PREMIUM_RECEIPT_TYPEHASH,
    PremiumDebit,
    PremiumDomain,
    PremiumReceipt,
    SignedPremiumDebit,
    SignedPremiumReceipt,
    sign_premium_debit,
    sign_premium_receipt,
)
from trustshare.crypto.signatures import to_high_s_twin

PATIENT = Account.from_key(bytes.fromhex("a1" * 32))
BUREAU = Account.from_key(bytes.fromhex("b2" * 32))
INSURER = Account.from_key(bytes.fromhex("11" * 32))
DOMAIN = PremiumDomain(31337, "0x5FbDB2315678afecb367f032d93F642f64180aa3")
PSEUDONYM = keccak256(b"premium tests")
DEBIT = PremiumDebit(
    pseudonym=PSEUDONYM,
    bureau=BUREAU.address,
    insurer=INSURER.address,
    policy_reference="enterprise-supplementary",
    amount_fen=36_000,
    debit_id=keccak256(b"debit 1"),
    deadline=1_750_000_600,
)


def test_the_type_strings_are_the_documented_ones() -> None:
    assert PREMIUM_DEBIT_TYPE == (
        "PremiumDebit(bytes32 pseudonym,address bureau,address insurer,string policyReference,"
        "uint64 amountFen,bytes32 debitId,uint64 deadline)"
    )
    assert keccak256(PREMIUM_DEBIT_TYPE.encode()) == PREMIUM_DEBIT_TYPEHASH
    assert PREMIUM_RECEIPT_TYPE.startswith("PremiumReceipt(bytes32 debitId,bytes32 pseudonym,")
    assert keccak256(PREMIUM_RECEIPT_TYPE.encode()) == PREMIUM_RECEIPT_TYPEHASH


def test_debit_and_receipt_hashes_match_eth_accounts_generic_encoder() -> None:
    message = encode_typed_data(full_message=DEBIT.typed_data(DOMAIN))
    assert (message.header, message.body) == (DOMAIN.separator, DEBIT.struct_hash())
    receipt = PremiumReceipt.of(DEBIT, entry_id=7, paid_at=1_750_000_100)
    message = encode_typed_data(full_message=receipt.typed_data(DOMAIN))
    assert (message.header, message.body) == (DOMAIN.separator, receipt.struct_hash())


def test_a_wallet_signing_the_typed_data_document_gives_the_same_signature() -> None:
    signed = sign_premium_debit(PATIENT, DOMAIN, DEBIT)
    wallet = PATIENT.sign_message(encode_typed_data(full_message=DEBIT.typed_data(DOMAIN)))
    assert bytes(wallet.signature) == signed.signature
    assert signed.signer(DOMAIN) == PATIENT.address


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("pseudonym", keccak256(b"someone else")),
        ("bureau", INSURER.address),
        ("insurer", BUREAU.address),
        ("policy_reference", "huiminbao-typical"),
        ("amount_fen", 36_001),
        ("debit_id", keccak256(b"debit 2")),
        ("deadline", 1_750_000_601),
    ],
)
def test_changing_any_field_of_a_signed_debit_changes_its_signer(field: str, value: object) -> None:
    signed = sign_premium_debit(PATIENT, DOMAIN, DEBIT)
    changed = dataclasses.replace(DEBIT, **{field: value})  # type: ignore[arg-type]
    altered = SignedPremiumDebit(changed, signed.signature)
    assert altered.signer(DOMAIN) != PATIENT.address


def test_a_debit_signed_for_another_network_recovers_someone_else() -> None:
    signed = sign_premium_debit(PATIENT, PremiumDomain(1, DOMAIN.consent_registry), DEBIT)
    assert signed.signer(DOMAIN) != PATIENT.address


def test_the_high_s_twin_of_a_signature_is_refused() -> None:
    signed = sign_premium_debit(PATIENT, DOMAIN, DEBIT)
    with pytest.raises(SignatureError, match="upper half"):
        SignedPremiumDebit(DEBIT, to_high_s_twin(signed.signature)).signer(DOMAIN)


def test_json_forms_round_trip() -> None:
    signed = sign_premium_debit(PATIENT, DOMAIN, DEBIT)
    assert SignedPremiumDebit.from_json_dict(signed.to_json_dict()) == signed
    receipt = sign_premium_receipt(
        BUREAU, DOMAIN, PremiumReceipt.of(DEBIT, entry_id=3, paid_at=1_750_000_000)
    )
    assert SignedPremiumReceipt.from_json_dict(receipt.to_json_dict()) == receipt


def test_a_receipt_verifies_only_for_its_debit_and_its_bureau() -> None:
    receipt = PremiumReceipt.of(DEBIT, entry_id=3, paid_at=1_750_000_000)
    sign_premium_receipt(BUREAU, DOMAIN, receipt).verify(DOMAIN, DEBIT)
    with pytest.raises(SignatureError, match="not bureau"):
        sign_premium_receipt(INSURER, DOMAIN, receipt).verify(DOMAIN, DEBIT)
    other = dataclasses.replace(DEBIT, amount_fen=1)
    with pytest.raises(SignatureError, match="not for this debit"):
        sign_premium_receipt(BUREAU, DOMAIN, receipt).verify(DOMAIN, other)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"pseudonym": b"\x01" * 31}, "pseudonym"),
        ({"bureau": "0x1234"}, "bureau"),
        ({"policy_reference": ""}, "policy_reference"),
        ({"policy_reference": "x" * 65}, "policy_reference"),
        ({"amount_fen": -1}, "amount_fen"),
        ({"amount_fen": 1 << 64}, "amount_fen"),
        ({"amount_fen": True}, "amount_fen"),
        ({"deadline": 1.5}, "deadline"),
    ],
)
def test_out_of_range_fields_are_refused_by_name(change: dict[str, object], message: str) -> None:
    with pytest.raises(TypedDataError, match=message):
        dataclasses.replace(DEBIT, **change)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "data",
    [
        {"signature": "0x00"},
        {"authorisation": {}, "signature": "0x00"},
        {"authorisation": {**DEBIT.to_json_dict(), "debit_id": "nothex"}, "signature": "0x00"},
        {"authorisation": DEBIT.to_json_dict(), "signature": "0xzz"},
    ],
)
def test_malformed_json_is_a_typed_data_error(data: dict[str, object]) -> None:
    with pytest.raises(TypedDataError):
        SignedPremiumDebit.from_json_dict(data)
