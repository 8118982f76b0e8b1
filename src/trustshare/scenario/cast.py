"""Who takes part: the network's parties and the patients, with the cover each one buys.

The ID numbers are made up for the demo (valid GB 11643 check characters, nobody's numbers).
Products are the settlement engine's rules (``trustshare/rules/products``); the premiums are the
demo's own price list, since the rules carry none.
"""

from __future__ import annotations

from dataclasses import dataclass

from trustshare.crypto.pseudonym import resident_check_character
from trustshare.network import InsurerPlan, NetworkPlan

INSURER_A = "Insurer A"
INSURER_B = "Insurer B"
ENTERPRISE = "enterprise-supplementary"
HUIMINBAO = "huiminbao-typical"
HUHUIBAO = "huhuibao-like-2025"

#: Two provincial bureaus; two insurers selling different products.
DEMO_PLAN = NetworkPlan.of(
    ("beijing", "shanghai"),
    (InsurerPlan(INSURER_A, (ENTERPRISE,)), InsurerPlan(INSURER_B, (HUIMINBAO, HUHUIBAO))),
)

#: What a patient lets each insurer see and do (the wallet's names).
CONSENT_SCOPES = "enrollment,settlement_summary,fund_breakdown"
CONSENT_PURPOSES = "underwriting,direct_settlement,claim"
CONSENT_DAYS = 365


def resident_id(first_17_digits: str) -> str:
    """A resident ID number: the 17 digits and their check character."""
    return first_17_digits + resident_check_character(first_17_digits)


@dataclass(frozen=True)
class Cover:
    """A policy a patient takes: from whom, which product, and a premium paid from the account."""

    insurer: str
    product: str
    premium_fen: int | None = None


@dataclass(frozen=True)
class Person:
    """A patient as the bureau knows them (the ID number never leaves the bureau)."""

    key: str
    name: str
    id_number: str
    region: str
    insurance_type: str
    category: str
    covers: tuple[Cover, ...]
    contributions_fen: tuple[int, ...] = ()
    """Employee insurance: monthly contributions credited to the personal account."""

    @property
    def insurers(self) -> tuple[str, ...]:
        """The insurers the patient consents to, in the order of their covers."""
        return tuple(dict.fromkeys(cover.insurer for cover in self.covers))

    @property
    def profile(self) -> str:
        """``Beijing, resident`` (plus the category when it matters)."""
        category = "" if self.category == "general" else f", {self.category.replace('_', ' ')}"
        return f"{self.region.title()}, {self.insurance_type}{category}"


WANG = Person(
    "wang",
    "Wang Fang 王芳",
    resident_id("11010519780312123"),
    "beijing",
    "resident",
    "general",
    (Cover(INSURER_A, ENTERPRISE), Cover(INSURER_B, HUIMINBAO)),
)
"""Discharged at the Beijing hospital: two commercial layers paid at the window."""

LI = Person(
    "li",
    "Li Qiang 李强",
    resident_id("11010819650921457"),
    "beijing",
    "resident",
    "general",
    (Cover(INSURER_B, HUIMINBAO),),
)
"""Insured in Beijing, treated in Shanghai: a cross-province fast claim, then a refund."""

ZHANG = Person(
    "zhang",
    "Zhang Wei 张伟",
    resident_id("31010419590704338"),
    "shanghai",
    "resident",
    "minimum_living",
    (Cover(INSURER_B, HUHUIBAO),),
)
"""Shanghai, on minimum living allowance: paid at the window, then revokes a consent."""

CHEN = Person(
    "chen",
    "Chen Jing 陈静",
    resident_id("11010219880215246"),
    "beijing",
    "employee",
    "general",
    (Cover(INSURER_A, ENTERPRISE, premium_fen=36_000),),
    contributions_fen=(28_000, 28_000),
)
"""An employee: pays her premium from her personal account; her record is tampered with."""


@dataclass(frozen=True)
class Part:
    """A patient's part in one flow: the patient, and the insurer and product it involves."""

    person: Person
    insurer: str
    product: str


@dataclass(frozen=True)
class Casting:
    """Who plays which flow in one run of the scenario."""

    patients: tuple[Person, ...]
    discharged: tuple[Person, ...]
    """Discharged with their policy codes: every commercial layer paid at the window."""
    traveller: Part
    """Treated in another province, claimed afterwards (快赔), then refunded."""
    claims_refund: bool
    """Whether the insurer claims the refund's corrected record too."""
    revoker: Part
    """Revokes the insurer's consent; the insurer's next claim is refused."""
    tampered: Part
    """Has a record rewritten inside the bureau; the insurer's claim on it is refused."""


#: Every patient and every flow (``make demo``).
FULL_CASTING = Casting(
    patients=(WANG, LI, ZHANG, CHEN),
    discharged=(WANG, ZHANG),
    traveller=Part(LI, INSURER_B, HUIMINBAO),
    claims_refund=True,
    revoker=Part(ZHANG, INSURER_B, HUHUIBAO),
    tampered=Part(CHEN, INSURER_A, ENTERPRISE),
)

#: Three patients, every kind of flow once (``trustshare demo --short``, run by the tests).
SHORT_CASTING = Casting(
    patients=(WANG, CHEN, ZHANG),
    discharged=(WANG,),
    traveller=Part(CHEN, INSURER_A, ENTERPRISE),
    claims_refund=False,
    revoker=Part(ZHANG, INSURER_B, HUHUIBAO),
    tampered=Part(CHEN, INSURER_A, ENTERPRISE),
)
