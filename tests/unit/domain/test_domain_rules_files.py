"""Every shipped rules file loads, validates and round-trips to the same content hash."""

from __future__ import annotations

from importlib import resources
from pathlib import Path
from typing import Any

import pytest
import yaml

from trustshare.domain import (
    InvalidRules,
    ProductTerms,
    RegionPolicy,
    RuleSet,
    load_rules,
    load_rules_text,
    parse_rules_document,
    rules_content_hash,
    rules_document,
)

RULES_ROOT = resources.files("trustshare.rules")
RULE_FILES = sorted(
    (entry for folder in ("regions", "products") for entry in (RULES_ROOT / folder).iterdir()),
    key=lambda entry: entry.name,
)


def test_the_shipped_rules_cover_the_required_regions_and_products() -> None:
    rules = load_rules()
    assert {"beijing", "shanghai", "guangzhou"} <= set(rules.regions)
    assert len(rules.products) >= 4
    huhuibao = rules.products["huhuibao-like-2025"]
    assert huhuibao.special_drugs
    assert any(benefit.pre_existing_ratio is not None for benefit in huhuibao.benefits)
    assert "suisuikang-like-2022" in rules.products
    assert "huiminbao-typical" in rules.products
    assert "enterprise-supplementary" in rules.products


@pytest.mark.parametrize("entry", RULE_FILES, ids=lambda entry: entry.name)
def test_each_rules_file_loads_validates_and_round_trips_to_the_same_hash(entry: Any) -> None:
    document = load_rules_text(entry.read_text("utf-8"), entry.name)
    assert entry.name == f"{document.id}.yaml"
    assert document.status in ("published", "illustrative")
    assert document.source.strip()
    content_hash = rules_content_hash(document)
    assert len(content_hash) == 64
    # Normalised document → model → same hash; and through YAML text again.
    again = parse_rules_document(rules_document(document))
    assert again == document
    assert rules_content_hash(again) == content_hash
    dumped = yaml.safe_dump(rules_document(document), allow_unicode=True, sort_keys=False)
    assert rules_content_hash(load_rules_text(dumped)) == content_hash


def test_the_hash_ignores_layout_but_not_content() -> None:
    text = (RULES_ROOT / "products" / "huiminbao-typical.yaml").read_text("utf-8")
    original = load_rules_text(text)
    relaid = load_rules_text("# a comment\n" + text.replace('ratio: "0.60"', "ratio: 0.600"))
    assert rules_content_hash(relaid) == rules_content_hash(original)
    changed = load_rules_text(text.replace('ratio: "0.60"', 'ratio: "0.61"'))
    assert rules_content_hash(changed) != rules_content_hash(original)


def test_the_rule_set_digest_changes_when_any_file_changes(tmp_path: Path) -> None:
    for entry in RULE_FILES:
        (tmp_path / entry.name).write_text(entry.read_text("utf-8"), "utf-8")
    same = load_rules(tmp_path)
    assert same.digest == load_rules().digest
    target = tmp_path / "beijing.yaml"
    target.write_text(target.read_text("utf-8").replace("3040400", "3040500"), "utf-8")
    assert load_rules(tmp_path).digest != same.digest


def _region() -> dict[str, Any]:
    text = (RULES_ROOT / "regions" / "beijing.yaml").read_text("utf-8")
    document = load_rules_text(text)
    assert isinstance(document, RegionPolicy)
    return rules_document(document)


def _product() -> dict[str, Any]:
    text = (RULES_ROOT / "products" / "huhuibao-like-2025.yaml").read_text("utf-8")
    document = load_rules_text(text)
    assert isinstance(document, ProductTerms)
    return rules_document(document)


def _broken_region(edit: str) -> dict[str, Any]:
    document = _region()
    resident = document["schemes"]["resident"]
    if edit == "ratio":
        resident["inpatient"]["levels"]["tertiary"]["bands"][0]["ratio"] = "1.5"
    elif edit == "cap":
        resident["inpatient"]["annual_cap_fen"] = -1
    elif edit == "bands":
        resident["critical_illness"]["tiers"][0]["up_to_fen"] = 100
    elif edit == "level":
        del resident["outpatient"]["ratios"]["primary"]
    elif edit == "status":
        document["status"] = "rumoured"
    elif edit == "float":
        resident["outpatient"]["annual_deductible_fen"] = 100.5
    return document


@pytest.mark.parametrize(
    ("edit", "path", "reason"),
    [
        ("ratio", "schemes.resident.inpatient.levels.tertiary.bands[0].ratio", "outside 0–1"),
        ("cap", "schemes.resident.inpatient.annual_cap_fen", "negative"),
        ("bands", "schemes.resident.critical_illness.tiers[0].up_to_fen", "bands must rise"),
        ("level", "schemes.resident.outpatient.ratios", "missing hospital levels: primary"),
        ("status", "status", "'published' or 'illustrative'"),
        ("float", "schemes.resident.outpatient.annual_deductible_fen", "integers of fen"),
    ],
)
def test_an_invalid_region_file_is_refused_by_field_path(edit: str, path: str, reason: str) -> None:
    with pytest.raises(InvalidRules) as caught:
        parse_rules_document(_broken_region(edit), "beijing.yaml")
    assert caught.value.path == path
    assert reason in caught.value.reason
    assert "beijing.yaml" in str(caught.value)


def test_a_pre_existing_ratio_above_the_ratio_is_contradictory() -> None:
    document = _product()
    document["benefits"][0]["pre_existing_ratio"] = "0.9"
    with pytest.raises(InvalidRules) as caught:
        parse_rules_document(document)
    assert caught.value.path == "benefits[0].pre_existing_ratio"


def test_special_drug_cover_without_a_drug_list_is_contradictory() -> None:
    document = _product()
    document["special_drugs"] = []
    with pytest.raises(InvalidRules) as caught:
        parse_rules_document(document)
    assert caught.value.path == "benefits[0].covers"


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("kind: region\nid: [unclosed", "not valid YAML"),
        ("- just\n- a list\n", "mapping at the top level"),
        ("kind: planet\n", "must be 'region' or 'product'"),
    ],
)
def test_unreadable_rules_text_is_refused(text: str, reason: str) -> None:
    with pytest.raises(InvalidRules, match=reason):
        load_rules_text(text, "broken.yaml")


def test_duplicate_ids_and_empty_directories_are_refused(tmp_path: Path) -> None:
    with pytest.raises(InvalidRules, match="no rules files"):
        load_rules(tmp_path)
    region = load_rules_text((RULES_ROOT / "regions" / "beijing.yaml").read_text("utf-8"))
    with pytest.raises(InvalidRules, match="defined twice"):
        RuleSet.of([region, region])
