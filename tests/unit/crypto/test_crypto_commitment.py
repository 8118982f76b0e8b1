import json
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from trustshare.crypto.canonical_json import canonical_json
from trustshare.crypto.commitment import (
    GROUP_LEAF_ENCODING,
    DisclosedGroup,
    Disclosure,
    commit_record,
    group_commitment,
    group_leaf_hash,
    verify_disclosure,
)
from trustshare.crypto.errors import (
    CanonicalJsonError,
    DisclosureError,
    UnknownVocabularyError,
)
from trustshare.crypto.hashing import keccak256
from trustshare.crypto.merkle import StandardMerkleTree, standard_leaf_hash
from trustshare.crypto.vocabulary import Scope

RECORD = {
    "enrollment": {"insurance_type": "职工医保", "region": "310000", "valid_until": "2025-12-31"},
    "settlement_summary": {
        "settled_on": "2025-03-04",
        "total_fen": 1_234_567,
        "patient_fen": 8_900,
    },
    "fund_breakdown": {"basic_fund_fen": 900_000, "critical_illness_fen": 100_000},
    "line_items": {"items": [{"code": "A01", "amount_fen": 1_234_567, "quantity": 1}]},
    "diagnosis": {"icd10": ["C34.9"], "secret_marker": "DIAGNOSIS-ONLY-VALUE"},
}
SALTS = {name: bytes([index + 1]) * 32 for index, name in enumerate(RECORD)}


# ---------------------------------------------------------------- canonical JSON


def test_canonical_json_sorts_keys_drops_whitespace_and_keeps_utf8():
    value = {"b": 1, "a": {"z": [1, 2, {"y": None, "x": True}], "中": "医保"}}
    assert canonical_json(value) == (
        '{"a":{"z":[1,2,{"x":true,"y":null}],"中":"医保"},"b":1}'.encode()
    )


def test_canonical_json_escapes_control_characters_like_jcs():
    assert (
        canonical_json({"k": 'a"b\\c\n\t\x01\u2028'})
        == b'{"k":"a\\"b\\\\c\\n\\t\\u0001\xe2\x80\xa8"}'
    )


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ({"total": 12.5}, r"\$\.total: floats are not allowed"),
        ({"items": [{"amount": 1.0}]}, r"\$\.items\[0\]\.amount: floats"),
        ({"amount": Decimal("1.5")}, "Decimal is not a JSON value"),
        ({1: "x"}, "keys must be strings"),
        ({"big": 2**53}, "beyond"),
        ({"text": "\ud800"}, "unpaired surrogate"),
    ],
)
def test_canonical_json_refuses_what_is_not_canonical(value, message):
    with pytest.raises(CanonicalJsonError, match=message):
        canonical_json(value)


json_values = st.recursive(
    st.none() | st.booleans() | st.integers(-(2**53) + 1, 2**53 - 1) | st.text(),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children, max_size=4)
    ),
    max_leaves=12,
)


@settings(max_examples=40)
@given(json_values)
def test_canonical_json_is_stable_across_a_json_round_trip(value):
    encoded = canonical_json(value)
    assert canonical_json(json.loads(encoded)) == encoded


# ---------------------------------------------------------------- commitments


def test_group_commitment_encoding():
    salt = bytes(range(32))
    fields = {"total_fen": 100, "settled_on": "2025-03-04"}
    expected = keccak256(
        salt + b"settlement_summary\x00" + b'{"settled_on":"2025-03-04","total_fen":100}'
    )
    assert group_commitment("settlement_summary", fields, salt) == expected


@given(st.text(max_size=40), st.binary(min_size=32, max_size=32))
def test_fast_group_leaf_hash_equals_the_standard_leaf_hash(name, commitment):
    assert group_leaf_hash(name, commitment) == standard_leaf_hash(
        GROUP_LEAF_ENCODING, (name, commitment)
    )


def test_record_commitment_is_the_merkle_root_of_named_group_commitments():
    committed = commit_record(RECORD, salts=SALTS)
    leaves = [(name, group_commitment(name, RECORD[name], SALTS[name])) for name in RECORD]
    assert committed.commitment == StandardMerkleTree.of(leaves, GROUP_LEAF_ENCODING).root
    assert commit_record(RECORD, salts=SALTS).commitment == committed.commitment


def test_fresh_salts_make_equal_records_unlinkable():
    first, second = commit_record(RECORD), commit_record(RECORD)
    assert first.commitment != second.commitment
    assert all(len(salt) == 32 for salt in first.salts.values())
    assert len(set(first.salts.values())) == len(RECORD)


def test_disclose_and_verify_selected_groups_through_json():
    committed = commit_record(RECORD)
    disclosure = committed.disclose(Scope.SETTLEMENT_SUMMARY | Scope.FUND_BREAKDOWN)
    wire = json.dumps(disclosure.to_json_dict(), ensure_ascii=False)
    assert "DIAGNOSIS-ONLY-VALUE" not in wire
    assert committed.salts["diagnosis"].hex() not in wire
    received = Disclosure.from_json_dict(json.loads(wire))
    opened = verify_disclosure(
        received,
        committed.commitment,
        expected_groups=["settlement_summary", "fund_breakdown"],
    )
    assert opened == {
        "settlement_summary": RECORD["settlement_summary"],
        "fund_breakdown": RECORD["fund_breakdown"],
    }


def replace_group(disclosure, **changes):
    group = disclosure.groups[0]
    fields = {
        "name": group.name,
        "fields": group.fields,
        "salt": group.salt,
        "proof": group.proof,
    } | changes
    return Disclosure(disclosure.record_commitment, (DisclosedGroup(**fields),))


@pytest.mark.parametrize(
    "tamper",
    [
        lambda d, c: replace_group(d, fields={**d.groups[0].fields, "patient_fen": 1}),
        lambda d, c: replace_group(d, salt=c.salts["diagnosis"]),
        lambda d, c: replace_group(d, proof=c.proofs["diagnosis"]),
        lambda d, c: replace_group(d, name="fund_breakdown"),
        lambda d, c: replace_group(d, proof=d.groups[0].proof[:-1]),
    ],
    ids=["altered-field", "other-salt", "other-proof", "renamed-group", "short-proof"],
)
def test_tampered_disclosures_are_refused(tamper):
    committed = commit_record(RECORD)
    disclosure = committed.disclose(["settlement_summary"])
    with pytest.raises(DisclosureError, match=r"settlement_summary|fund_breakdown"):
        verify_disclosure(tamper(disclosure, committed), committed.commitment)


def test_a_disclosure_only_verifies_against_its_own_record():
    committed, other = commit_record(RECORD), commit_record(RECORD)
    disclosure = committed.disclose(["line_items"])
    with pytest.raises(DisclosureError, match="different record commitment"):
        verify_disclosure(disclosure, other.commitment)
    forged = Disclosure(other.commitment, disclosure.groups)
    with pytest.raises(DisclosureError, match="does not match the record commitment"):
        verify_disclosure(forged, other.commitment)


def test_expected_groups_and_duplicates_are_enforced():
    committed = commit_record(RECORD)
    disclosure = committed.disclose(["line_items", "diagnosis"])
    with pytest.raises(DisclosureError, match="expected"):
        verify_disclosure(disclosure, committed.commitment, expected_groups=Scope.LINE_ITEMS)
    doubled = Disclosure(committed.commitment, disclosure.groups + disclosure.groups[:1])
    with pytest.raises(DisclosureError, match="repeats"):
        verify_disclosure(doubled, committed.commitment)


def test_records_with_unknown_or_missing_groups_are_refused():
    with pytest.raises(UnknownVocabularyError, match="unknown disclosure group 'notes'"):
        commit_record({"notes": {"x": 1}})
    with pytest.raises(DisclosureError, match="at least one"):
        commit_record({})
    with pytest.raises(CanonicalJsonError, match="floats"):
        commit_record({"settlement_summary": {"total": 1.5}})
    partial = commit_record({"enrollment": RECORD["enrollment"]})
    with pytest.raises(UnknownVocabularyError, match="no group"):
        partial.disclose(Scope.DIAGNOSIS)
    with pytest.raises(DisclosureError, match="salts given"):
        commit_record(RECORD, salts={"enrollment": bytes(32)})


@pytest.mark.parametrize(
    "data",
    [
        {},
        {"version": 2, "record_commitment": "0x00", "groups": []},
        {"version": 1, "record_commitment": "00", "groups": []},
        {"version": 1, "record_commitment": "0x" + "00" * 32, "groups": [{"name": "x"}]},
    ],
)
def test_malformed_disclosure_json_is_refused(data):
    with pytest.raises(DisclosureError):
        Disclosure.from_json_dict(data)
