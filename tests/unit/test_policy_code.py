"""商保码: EIP-712 policy codes — digest agrees with eth-account, and every check refuses."""

from __future__ import annotations

import pytest
from eth_account import Account
from eth_account.messages import encode_typed_data

from trustshare.crypto.hashing import keccak256
from trustshare.crypto.policy_code import (
    MAX_LIFETIME_SECONDS,
    PolicyCode,
    PolicyCodeDomain,
    PolicyCodeRejected,
    SignedPolicyCode,
    sign_policy_code,
    verify_policy_code,
)
from trustshare.crypto.signatures import to_high_s_twin

INSURER = Account.from_key(bytes.fromhex("11" * 32))
OTHER = Account.from_key(bytes.fromhex("22" * 32))
DOMAIN = PolicyCodeDomain(31337, "0x5FbDB2315678afecb367f032d93F642f64180aa3")
PSEUDONYM = keccak256(b"policy code tests")
NOW = 1_750_000_000


def _code(**changes: object) -> PolicyCode:
    fields: dict[str, object] = {
        "pseudonym": PSEUDONYM,
        "insurer": INSURER.address,
        "product": "huiminbao-typical",
        "policy_number": "惠民保-2025-000123",
        "expires_at": NOW + 600,
    }
    fields.update(changes)
    return PolicyCode(**fields)  # type: ignore[arg-type]


def test_struct_digest_matches_eth_accounts_generic_encoder() -> None:
    code = _code()
    message = encode_typed_data(full_message=code.typed_data(DOMAIN))
    assert message.header == DOMAIN.separator
    assert message.body == code.struct_hash()


def test_a_code_signed_by_its_insurer_verifies() -> None:
    signed = sign_policy_code(INSURER, DOMAIN, _code())
    assert verify_policy_code(signed, DOMAIN, pseudonym=PSEUDONYM, now=NOW) == signed.code
    # A wallet signing the typed-data document produces the same signature.
    wallet = INSURER.sign_message(encode_typed_data(full_message=_code().typed_data(DOMAIN)))
    assert bytes(wallet.signature) == signed.signature


def test_json_form_round_trips() -> None:
    signed = sign_policy_code(INSURER, DOMAIN, _code())
    assert SignedPolicyCode.from_json_dict(signed.to_json_dict()) == signed


@pytest.mark.parametrize(
    ("signed", "pseudonym", "now", "reason"),
    [
        (sign_policy_code(OTHER, DOMAIN, _code()), PSEUDONYM, NOW, "signed it"),
        (sign_policy_code(INSURER, DOMAIN, _code()), keccak256(b"someone else"), NOW, "another"),
        (sign_policy_code(INSURER, DOMAIN, _code()), PSEUDONYM, NOW + 600, "expired"),
        (
            sign_policy_code(INSURER, DOMAIN, _code(expires_at=NOW + MAX_LIFETIME_SECONDS + 1)),
            PSEUDONYM,
            NOW,
            "short-lived",
        ),
        (
            sign_policy_code(INSURER, PolicyCodeDomain(1, DOMAIN.participants), _code()),
            PSEUDONYM,
            NOW,
            "signed it",
        ),
    ],
    ids=["wrong-signer", "wrong-person", "expired", "too-long", "other-chain"],
)
def test_codes_that_do_not_hold_are_rejected(
    signed: SignedPolicyCode, pseudonym: bytes, now: int, reason: str
) -> None:
    with pytest.raises(PolicyCodeRejected, match=reason):
        verify_policy_code(signed, DOMAIN, pseudonym=pseudonym, now=now)


def test_a_tampered_field_or_high_s_twin_is_rejected() -> None:
    signed = sign_policy_code(INSURER, DOMAIN, _code())
    tampered = SignedPolicyCode(_code(product="another-product"), signed.signature)
    with pytest.raises(PolicyCodeRejected):
        verify_policy_code(tampered, DOMAIN, pseudonym=PSEUDONYM, now=NOW)
    twin = SignedPolicyCode(signed.code, to_high_s_twin(signed.signature))
    with pytest.raises(PolicyCodeRejected, match="not valid"):
        verify_policy_code(twin, DOMAIN, pseudonym=PSEUDONYM, now=NOW)
