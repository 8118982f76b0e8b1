"""The hospitals' bills: the repository's example bills, dated now and made the patient's.

A bill's ``region`` is the patient's insurance region — its rules settle the bill wherever the
patient was treated; its ``products`` are the commercial covers presented at the window, in
payer order (none when the patient claims afterwards instead).
"""

from __future__ import annotations

import copy
import json
from dataclasses import dataclass
from functools import cache
from typing import Any

from trustshare.chain.errors import ToolchainError
from trustshare.chain.toolchain import find_checkout
from trustshare.scenario.cast import Person
from trustshare.scenario.text import now_in_china
from trustshare.scenario.waiting import ScenarioError

BEIJING_INPATIENT = "bill-beijing-inpatient.json"
SHANGHAI_SPECIAL_DRUG = "bill-shanghai-special-drug.json"


@cache
def example(name: str) -> dict[str, Any]:
    """An example bill of ``docs/examples`` (read once)."""
    try:
        path = find_checkout().root / "docs" / "examples" / name
        bill: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    except (ToolchainError, OSError, ValueError) as error:
        raise ScenarioError(f"the example bill {name} cannot be read: {error}") from error
    return bill


@dataclass(frozen=True)
class Visit:
    """One hospital stay: the bill to send and what it is about."""

    setl_id: str
    bill: dict[str, Any]

    @property
    def total_fen(self) -> int:
        """The bill's total (quantity × unit price, as billed)."""
        return sum(int(line["quantity"]) * int(line["unit_price_fen"]) for line in self.lines)

    @property
    def products(self) -> list[str]:
        """The commercial covers presented at the window, in payer order."""
        return [str(holding["product"]) for holding in self.bill["products"]]

    @property
    def lines(self) -> list[dict[str, Any]]:
        """The bill's lines."""
        lines: list[dict[str, Any]] = self.bill["lines"]
        return lines


def visit(
    example_name: str,
    person: Person,
    setl_id: str,
    *,
    products: tuple[str, ...] = (),
    without: tuple[str, ...] = (),
    admission: int = 1,
) -> Visit:
    """The example bill as ``person``'s stay settled now, without the line codes ``without``."""
    bill = copy.deepcopy(example(example_name))
    bill.update(
        setl_id=setl_id,
        mdtrt_id=setl_id.replace("SETL", "VISIT"),
        psn_no=None,
        settlement_time=now_in_china().isoformat(),
        region=person.region,
        insurance_type=person.insurance_type,
        person_category=person.category,
        admission_number=admission,
        products=[{"product": product, "pre_existing": False} for product in products],
        lines=[line for line in bill["lines"] if line["code"] not in without],
    )
    return Visit(setl_id, bill)


def refunded(original: Visit, setl_id: str, returned_code: str) -> tuple[Visit, dict[str, Any]]:
    """The same stay with the line ``returned_code`` given back: the refund's bill and the line."""
    bill = copy.deepcopy(original.bill)
    returned = next(line for line in bill["lines"] if line["code"] == returned_code)
    bill["lines"] = [line for line in bill["lines"] if line is not returned]
    bill["setl_id"] = setl_id
    bill["settlement_time"] = now_in_china().isoformat()
    return Visit(setl_id, bill), returned
