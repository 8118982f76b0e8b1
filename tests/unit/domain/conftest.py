from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

EXAMPLES = Path(__file__).resolve().parents[3] / "docs" / "examples"


def read_example(name: str) -> Any:
    return json.loads((EXAMPLES / name).read_text("utf-8"), parse_float=Decimal)


@pytest.fixture
def beijing_bill_document() -> dict[str, Any]:
    document: dict[str, Any] = read_example("bill-beijing-inpatient.json")
    return document
