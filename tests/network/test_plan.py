"""The parties of a network: regions and products must exist in the shipped rules."""

from __future__ import annotations

import pytest

from trustshare.domain import default_rules
from trustshare.network import DEFAULT_PLAN, InsurerPlan, NetworkPlan, PlanError


def test_default_plan_has_two_regions_with_different_rules_and_two_insurers() -> None:
    DEFAULT_PLAN.check(default_rules())
    regions = [bureau.region for bureau in DEFAULT_PLAN.bureaus]
    assert len(set(regions)) >= 2 and len(DEFAULT_PLAN.insurers) >= 2
    digests = {default_rules().hashes[region] for region in regions}
    assert len(digests) == len(regions)


def test_insurer_option_is_parsed_and_malformed_ones_say_what_to_type() -> None:
    assert InsurerPlan.parse(" Insurer C = huiminbao-typical, enterprise-supplementary ") == (
        InsurerPlan("Insurer C", ("huiminbao-typical", "enterprise-supplementary"))
    )
    for text in ("Insurer C", "=huiminbao-typical", "Insurer C=", "Insurer C= , "):
        with pytest.raises(PlanError, match="NAME=PRODUCT"):
            InsurerPlan.parse(text)


@pytest.mark.parametrize(
    ("plan", "named"),
    [
        (NetworkPlan.of(["beijing", "atlantis"], DEFAULT_PLAN.insurers), "'atlantis'"),
        (NetworkPlan.of(["beijing"], [InsurerPlan("X", ("no-such-product",))]), "no-such-pr"),
        (NetworkPlan.of(["beijing", "beijing"], DEFAULT_PLAN.insurers), "bureau-beijing"),
        (NetworkPlan.of(["beijing"], [InsurerPlan("A b", ()), InsurerPlan("a-B", ())]), "a-b"),
        (NetworkPlan.of([], DEFAULT_PLAN.insurers), "at least one bureau"),
    ],
)
def test_impossible_plans_are_refused_by_name(plan: NetworkPlan, named: str) -> None:
    with pytest.raises(PlanError, match=named):
        plan.check(default_rules())


def test_unknown_region_lists_the_known_ones() -> None:
    with pytest.raises(PlanError) as refused:
        NetworkPlan.of(["atlantis"], DEFAULT_PLAN.insurers).check(default_rules())
    assert "beijing, guangzhou, shanghai" in str(refused.value)


def test_saved_plan_round_trips_and_a_broken_one_is_refused() -> None:
    assert NetworkPlan.from_json_dict(DEFAULT_PLAN.to_json_dict()) == DEFAULT_PLAN
    with pytest.raises(PlanError, match="malformed"):
        NetworkPlan.from_json_dict({"bureaus": ["beijing"]})
