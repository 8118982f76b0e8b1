"""What a local network is made of: which bureaus (one per region) and which insurers.

A bureau is named after its region, whose rules ship in ``trustshare/rules/regions``; an insurer
lists the products (``trustshare/rules/products``) it sells in this network. The plan is saved
with the network's state so that a restart brings back the same parties.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from trustshare.domain import RuleSet
from trustshare.network.errors import PlanError


def slug_of(name: str) -> str:
    """A file-system and URL friendly form of ``name`` ("Insurer A" → "insurer-a")."""
    slug = re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")
    if not slug:
        raise PlanError(f"{name!r} has no letters or digits to name its files by")
    return slug


@dataclass(frozen=True)
class BureauPlan:
    """One provincial bureau: its region (rules id) decides its name and its hospital."""

    region: str

    @property
    def name(self) -> str:
        """The bureau's name as registered on chain."""
        return f"{self.region.title()} Medical Insurance Bureau"

    @property
    def slug(self) -> str:
        """Its directory under the state dir."""
        return f"bureau-{slug_of(self.region)}"

    @property
    def hospital(self) -> str:
        """The one hospital the node is configured for (its bearer token is generated)."""
        return f"{self.region.title()} Demo Hospital"


@dataclass(frozen=True)
class InsurerPlan:
    """One commercial insurer and the products it sells in this network."""

    name: str
    products: tuple[str, ...]

    @property
    def slug(self) -> str:
        """Its directory under the state dir."""
        return slug_of(self.name)

    @classmethod
    def parse(cls, text: str) -> InsurerPlan:
        """``"Insurer C=huiminbao-typical,enterprise-supplementary"`` → a plan."""
        name, separator, products = text.partition("=")
        listed = tuple(p.strip() for p in products.split(",") if p.strip())
        if not name.strip() or not separator or not listed:
            raise PlanError(
                f"insurer {text!r} is not NAME=PRODUCT[,PRODUCT…], "
                "e.g. 'Insurer C=huiminbao-typical'"
            )
        return cls(name.strip(), listed)


@dataclass(frozen=True)
class NetworkPlan:
    """The parties of a network."""

    bureaus: tuple[BureauPlan, ...]
    insurers: tuple[InsurerPlan, ...]

    @classmethod
    def of(cls, regions: Iterable[str], insurers: Iterable[InsurerPlan]) -> NetworkPlan:
        """A plan from region ids and insurer plans."""
        return cls(tuple(BureauPlan(region) for region in regions), tuple(insurers))

    def check(self, rules: RuleSet) -> None:
        """Refuse unknown regions and products, no parties, and names that clash."""
        if not self.bureaus or not self.insurers:
            raise PlanError("a network needs at least one bureau and one insurer")
        for bureau in self.bureaus:
            if bureau.region not in rules.regions:
                known = ", ".join(sorted(rules.regions))
                raise PlanError(f"no rules for region {bureau.region!r}; known regions: {known}")
        for insurer in self.insurers:
            for product in insurer.products:
                if product not in rules.products:
                    known = ", ".join(sorted(rules.products))
                    raise PlanError(
                        f"{insurer.name}: no rules for product {product!r}; known: {known}"
                    )
        slugs = [bureau.slug for bureau in self.bureaus] + [i.slug for i in self.insurers]
        clashing = sorted({slug for slug in slugs if slugs.count(slug) > 1})
        if clashing:
            raise PlanError(f"two parties would share the name {clashing[0]!r}; rename one")

    def to_json_dict(self) -> dict[str, Any]:
        """The plan as saved in the state dir."""
        return {
            "bureaus": [bureau.region for bureau in self.bureaus],
            "insurers": [{"name": i.name, "products": list(i.products)} for i in self.insurers],
        }

    @classmethod
    def from_json_dict(cls, data: Any) -> NetworkPlan:
        """Read a saved plan; raises :class:`PlanError` if it is not one."""
        try:
            return cls.of(
                (str(region) for region in data["bureaus"]),
                (
                    InsurerPlan(str(i["name"]), tuple(str(p) for p in i["products"]))
                    for i in data["insurers"]
                ),
            )
        except (KeyError, TypeError) as error:
            raise PlanError(f"the saved network plan is malformed: {error}") from error


#: Two provinces with different rules, two insurers with different products.
DEFAULT_PLAN = NetworkPlan.of(
    ("beijing", "shanghai"),
    (
        InsurerPlan("Insurer A", ("enterprise-supplementary", "huiminbao-typical")),
        InsurerPlan("Insurer B", ("huhuibao-like-2025", "suisuikang-like-2022")),
    ),
)
