import re
from pathlib import Path

import pytest

from trustshare.crypto.errors import UnknownVocabularyError
from trustshare.crypto.vocabulary import (
    ALL_PURPOSES,
    ALL_SCOPES,
    GROUP_NAMES,
    PURPOSE_CLAIM,
    SCOPE_DIAGNOSIS,
    Purpose,
    Scope,
)

VOCABULARY_SOL = Path(__file__).resolve().parents[3] / "contracts/src/ConsentVocabulary.sol"


def test_values_are_the_contracts():
    assert [int(flag) for flag in Scope] == [1, 2, 4, 8, 16]
    assert [int(flag) for flag in Purpose] == [1, 2, 4]
    assert int(ALL_SCOPES) == 31 and int(ALL_PURPOSES) == 7
    assert SCOPE_DIAGNOSIS == 16 and PURPOSE_CLAIM == 4


@pytest.mark.skipif(not VOCABULARY_SOL.exists(), reason="contracts/ not in this checkout")
def test_values_equal_the_contract_source():
    source = VOCABULARY_SOL.read_text()
    constants = dict(re.findall(r"uint32 internal constant (\w+) = 1 << (\d+);", source))
    ours = {f"SCOPE_{flag.name}": flag for flag in Scope} | {
        f"PURPOSE_{flag.name}": flag for flag in Purpose
    }
    assert {name: 1 << int(bit) for name, bit in constants.items()} == {
        name: int(flag) for name, flag in ours.items()
    }


def test_parse_names_in_every_spelling():
    assert Scope.from_names("line_items, 诊断信息 | SCOPE_ENROLLMENT") == (
        Scope.LINE_ITEMS | Scope.DIAGNOSIS | Scope.ENROLLMENT
    )
    assert Purpose.from_names(["Fast Claim", "一键投保"]) == Purpose.CLAIM | Purpose.UNDERWRITING
    assert Scope.from_names("FUND_BREAKDOWN") == Scope.FUND_BREAKDOWN


def test_unknown_names_list_the_valid_ones():
    with pytest.raises(
        UnknownVocabularyError,
        match="unknown scope 'x-ray'; valid names: "
        "enrollment, settlement_summary, fund_breakdown, line_items, diagnosis",
    ):
        Scope.from_names("enrollment, x-ray")
    with pytest.raises(UnknownVocabularyError, match="no purpose named"):
        Purpose.from_names(" , ")


def test_bits_outside_the_vocabulary_are_refused():
    assert Scope.from_bits(0b10110) == Scope.SETTLEMENT_SUMMARY | Scope.FUND_BREAKDOWN | (
        Scope.DIAGNOSIS
    )
    with pytest.raises(UnknownVocabularyError, match="0x20"):
        Scope.from_bits(32)
    with pytest.raises(UnknownVocabularyError):
        Purpose.from_bits(8)


def test_labels_and_groups():
    both = Scope.LINE_ITEMS | Scope.DIAGNOSIS
    assert both.keys() == ["line_items", "diagnosis"]
    assert both.describe() == "line items, diagnosis"
    assert both.describe("zh") == "费用明细、诊断信息"
    assert Purpose.DIRECT_SETTLEMENT.label_zh == "商保直赔"
    assert tuple(flag.group_name for flag in Scope) == GROUP_NAMES
    assert Scope.from_group_name("fund_breakdown") is Scope.FUND_BREAKDOWN
    with pytest.raises(UnknownVocabularyError, match="valid: enrollment"):
        Scope.from_group_name("Fund breakdown")
    with pytest.raises(UnknownVocabularyError, match="not a single scope"):
        _ = both.label_en
