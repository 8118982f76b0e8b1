import re
from pathlib import Path

import pytest
from eth_abi import encode
from eth_account import Account
from eth_account.messages import encode_typed_data
from hypothesis import given, settings
from hypothesis import strategies as st

from trustshare.crypto.eip712 import (
    CONSENT_TYPE,
    CONSENT_TYPEHASH,
    DOMAIN_NAME,
    DOMAIN_VERSION,
    REVOCATION_TYPE,
    REVOCATION_TYPEHASH,
    ConsentDomain,
    ConsentTerms,
    consent_id,
    grant_digest,
    grant_struct_hash,
    grant_typed_data,
    recover_grant_signer,
    recover_revocation_signer,
    revocation_digest,
    revocation_typed_data,
    sign_grant,
    sign_revocation,
    typed_data_digest,
)
from trustshare.crypto.errors import CryptoError, SignatureError, TypedDataError
from trustshare.crypto.hashing import keccak256
from trustshare.crypto.signatures import (
    SECP256K1_HALF_N,
    is_low_s,
    recover_typed_signer,
    split_signature,
    to_high_s_twin,
)
from trustshare.crypto.vocabulary import Purpose, Scope

REPO = Path(__file__).resolve().parents[3]
CONSENT_REGISTRY_SOL = REPO / "contracts" / "src" / "ConsentRegistry.sol"

# EIP-712's own example: https://eips.ethereum.org/EIPS/eip-712 (test case
# assets/eip-712/Example.js and Example.sol): signer keccak256("cow"), digest and signature below.
MAIL = {
    "types": {
        "EIP712Domain": [
            {"name": "name", "type": "string"},
            {"name": "version", "type": "string"},
            {"name": "chainId", "type": "uint256"},
            {"name": "verifyingContract", "type": "address"},
        ],
        "Person": [{"name": "name", "type": "string"}, {"name": "wallet", "type": "address"}],
        "Mail": [
            {"name": "from", "type": "Person"},
            {"name": "to", "type": "Person"},
            {"name": "contents", "type": "string"},
        ],
    },
    "primaryType": "Mail",
    "domain": {
        "name": "Ether Mail",
        "version": "1",
        "chainId": 1,
        "verifyingContract": "0xCcCCccccCCCCcCCCCCCcCcCccCcCCCcCcccccccC",
    },
    "message": {
        "from": {"name": "Cow", "wallet": "0xCD2a3d9F938E13CD947Ec05AbC7FE734Df8DD826"},
        "to": {"name": "Bob", "wallet": "0xbBbBBBBbbBBBbbbBbbBbbbbBBbBbbbbBbBbbBBbB"},
        "contents": "Hello, Bob!",
    },
}
MAIL_DIGEST = "be609aee343fb3c4b28e1df9e632fca64fcfaede20f02e86244efddf30957bd2"
MAIL_R = 0x4355C47D63924E8A72E509B65029052EB6C299D53A04E167C5775FD466751C9D
MAIL_S = 0x07299936D304C153F6443DFA05F40FF007D72911B6F72307F996231605B91562
MAIL_V = 28

PATIENT = Account.from_key(keccak256(b"trustshare test patient"))
INSURER = "0x00000000000000000000000000000000000000A1"
DOMAIN = ConsentDomain(31337, "0x5FbDB2315678afecb367f032d93F642f64180aa3")
TERMS = ConsentTerms(
    pseudonym=keccak256(b"pseudonym"),
    insurer=INSURER,
    scopes=Scope.SETTLEMENT_SUMMARY | Scope.FUND_BREAKDOWN,
    purposes=Purpose.CLAIM,
    not_before=1_700_000_000,
    not_after=1_800_000_000,
)


def test_eip712_mail_example_digest_and_signature():
    assert typed_data_digest(MAIL).hex() == MAIL_DIGEST
    cow = Account.from_key(keccak256(b"cow"))
    assert cow.address == MAIL["message"]["from"]["wallet"]
    signed = cow.sign_message(encode_typed_data(full_message=MAIL))
    assert (signed.v, signed.r, signed.s) == (MAIL_V, MAIL_R, MAIL_S)


def test_type_strings_and_hashes():
    assert keccak256(CONSENT_TYPE.encode()) == CONSENT_TYPEHASH
    assert keccak256(REVOCATION_TYPE.encode()) == REVOCATION_TYPEHASH
    assert CONSENT_TYPE == (
        "Consent(bytes32 pseudonym,address insurer,uint32 scopes,uint32 purposes,"
        "uint48 notBefore,uint48 notAfter,uint256 nonce,uint256 deadline)"
    )
    assert REVOCATION_TYPE == (
        "Revocation(bytes32 pseudonym,address insurer,bytes32 consentId,uint256 deadline)"
    )


def solidity_string_after(source, marker):
    start = source.index(marker)
    end = source.index(";", start)
    return "".join(re.findall(r'"([^"]*)"', source[start:end]))


@pytest.mark.skipif(not CONSENT_REGISTRY_SOL.exists(), reason="contracts/ not in this checkout")
def test_type_strings_and_domain_equal_the_contract_source():
    source = CONSENT_REGISTRY_SOL.read_text()
    assert solidity_string_after(source, "CONSENT_TYPEHASH = keccak256(") == CONSENT_TYPE
    assert solidity_string_after(source, "REVOCATION_TYPEHASH = keccak256(") == REVOCATION_TYPE
    assert f'EIP712("{DOMAIN_NAME}", "{DOMAIN_VERSION}")' in source


def test_domain_separator_follows_eip712():
    expected = keccak256(
        encode(
            ["bytes32", "bytes32", "bytes32", "uint256", "address"],
            [
                keccak256(
                    b"EIP712Domain(string name,string version,uint256 chainId,"
                    b"address verifyingContract)"
                ),
                keccak256(DOMAIN_NAME.encode()),
                keccak256(b"1"),
                31337,
                DOMAIN.verifying_contract,
            ],
        )
    )
    assert DOMAIN.separator == expected


terms_strategy = st.builds(
    ConsentTerms,
    pseudonym=st.binary(min_size=32, max_size=32),
    insurer=st.binary(min_size=20, max_size=20).map(lambda raw: "0x" + raw.hex()),
    scopes=st.integers(0, 2**32 - 1),
    purposes=st.integers(0, 2**32 - 1),
    not_before=st.integers(0, 2**48 - 1),
    not_after=st.integers(0, 2**48 - 1),
)
uint256 = st.integers(0, 2**256 - 1)


@settings(max_examples=30)
@given(terms_strategy, uint256, uint256, st.integers(1, 2**64))
def test_fast_digests_equal_eth_account_typed_data(terms, nonce, deadline, chain_id):
    domain = ConsentDomain(chain_id, "0x" + keccak256(terms.pseudonym)[:20].hex())
    assert grant_digest(domain, terms, nonce, deadline) == typed_data_digest(
        grant_typed_data(domain, terms, nonce, deadline)
    )
    cid = consent_id(terms, nonce)
    assert revocation_digest(domain, terms.pseudonym, terms.insurer, cid, deadline) == (
        typed_data_digest(
            revocation_typed_data(domain, terms.pseudonym, terms.insurer, cid, deadline)
        )
    )


@given(terms_strategy, uint256)
def test_consent_id_is_keccak_of_abi_encoded_terms_and_nonce(terms, nonce):
    encoded = encode(
        ["bytes32", "address", "uint32", "uint32", "uint48", "uint48", "uint256"],
        [*terms.as_abi_tuple(), nonce],
    )
    assert consent_id(terms, nonce) == keccak256(encoded)


def test_sign_and_recover_a_grant_and_a_revocation():
    signature = sign_grant(PATIENT.key, DOMAIN, TERMS, 0, 1_900_000_000)
    assert len(signature) == 65
    assert is_low_s(signature)
    assert signature[64] in (27, 28)
    assert recover_grant_signer(DOMAIN, TERMS, 0, 1_900_000_000, signature) == PATIENT.address
    # The same key as LocalAccount or hex gives the same (RFC 6979 deterministic) signature.
    assert sign_grant(PATIENT, DOMAIN, TERMS, 0, 1_900_000_000) == signature
    assert sign_grant(PATIENT.key.hex(), DOMAIN, TERMS, 0, 1_900_000_000) == signature

    cid = consent_id(TERMS, 0)
    revocation = sign_revocation(PATIENT, DOMAIN, TERMS.pseudonym, INSURER, cid, 1_900_000_000)
    assert (
        recover_revocation_signer(DOMAIN, TERMS.pseudonym, INSURER, cid, 1_900_000_000, revocation)
        == PATIENT.address
    )


@pytest.mark.parametrize(
    "changed",
    [
        {"domain": ConsentDomain(1, DOMAIN.verifying_contract)},
        {"domain": ConsentDomain(31337, "0x" + "11" * 20)},
        {"nonce": 1},
        {"deadline": 1_900_000_001},
    ],
    ids=["chain-id", "verifying-contract", "nonce", "deadline"],
)
def test_a_signature_does_not_transfer_to_other_domains_or_fields(changed):
    signature = sign_grant(PATIENT, DOMAIN, TERMS, 0, 1_900_000_000)
    arguments = {"domain": DOMAIN, "nonce": 0, "deadline": 1_900_000_000} | changed
    recovered = recover_grant_signer(
        arguments["domain"], TERMS, arguments["nonce"], arguments["deadline"], signature
    )
    assert recovered != PATIENT.address


def test_high_s_twin_recovers_the_same_signer_but_is_refused():
    signature = sign_grant(PATIENT, DOMAIN, TERMS, 0, 1_900_000_000)
    twin = to_high_s_twin(signature)
    _, r, _ = split_signature(signature)
    twin_v, twin_r, twin_s = split_signature(twin)
    assert twin_r == r and twin_s > SECP256K1_HALF_N and twin_v != signature[64]
    assert not is_low_s(twin)
    assert to_high_s_twin(twin) == signature
    raw_recovery = recover_typed_signer(
        DOMAIN.separator,
        grant_struct_hash(TERMS, 0, 1_900_000_000),
        twin,
        require_low_s=False,
    )
    assert raw_recovery == PATIENT.address
    with pytest.raises(SignatureError, match="upper half"):
        recover_grant_signer(DOMAIN, TERMS, 0, 1_900_000_000, twin)


@pytest.mark.parametrize(
    ("signature", "message"),
    [
        (b"\x01" * 64, "65 bytes, got 64"),
        (b"\x01" * 64 + b"\x1d", "v must be 27 or 28, got 29"),
        (bytes(32) + b"\x01" * 32 + b"\x1b", "r and s"),
    ],
)
def test_malformed_signatures_are_refused(signature, message):
    with pytest.raises(SignatureError, match=message):
        recover_grant_signer(DOMAIN, TERMS, 0, 1, signature)


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("scopes", 2**32, "scopes must be an integer in 0..2\\^32-1"),
        ("purposes", -1, "purposes must be"),
        ("not_before", 2**48, "not_before must be"),
        ("not_after", True, "not_after must be"),
        ("pseudonym", bytes(31), "pseudonym must be 32 bytes"),
        ("insurer", "0x1234", "insurer must be a 20-byte hex address"),
    ],
)
def test_terms_out_of_abi_range_are_refused(field, value, message):
    fields = dict(TERMS.__dict__) | {field: value}
    with pytest.raises(TypedDataError, match=message) as raised:
        ConsentTerms(**fields)
    assert isinstance(raised.value, CryptoError)


def test_terms_checksum_the_insurer_and_store_plain_ints():
    terms = ConsentTerms(bytes(32), INSURER.lower(), Scope.LINE_ITEMS, Purpose.CLAIM, 0, 1)
    assert terms.insurer == INSURER
    assert type(terms.scopes) is int and terms.scopes == 8


def test_typed_data_document_is_what_a_browser_wallet_signs():
    document = grant_typed_data(DOMAIN, TERMS, 3, 1_900_000_000)
    assert document["primaryType"] == "Consent"
    assert [f["name"] for f in document["types"]["Consent"]] == [
        "pseudonym",
        "insurer",
        "scopes",
        "purposes",
        "notBefore",
        "notAfter",
        "nonce",
        "deadline",
    ]
    assert document["domain"] == {
        "name": "TrustShare ConsentRegistry",
        "version": "1",
        "chainId": 31337,
        "verifyingContract": "0x5FbDB2315678afecb367f032d93F642f64180aa3",
    }
    assert document["message"]["pseudonym"] == "0x" + TERMS.pseudonym.hex()
    signed = Account.sign_typed_data(PATIENT.key, full_message=document)
    assert bytes(signed.signature) == sign_grant(PATIENT, DOMAIN, TERMS, 3, 1_900_000_000)
