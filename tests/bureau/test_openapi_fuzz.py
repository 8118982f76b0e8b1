"""Schemathesis over the bureau's OpenAPI document: whatever it sends, no answer is a 5xx."""

from __future__ import annotations

import dataclasses
import json
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from pydantic import SecretStr

from trustshare.bureau.app import create_app
from trustshare.bureau.context import BureauContext

from .conftest import HOSPITAL_TOKEN

EXAMPLES_PER_OPERATION = 20


@schemathesis.serializer("application/x-ndjson")
def _ndjson(_: Any, value: Any) -> bytes:
    """Bulk ingestion takes JSON lines: one generated value per line."""
    lines = value if isinstance(value, list) else [value]
    return b"".join(json.dumps(line).encode() + b"\n" for line in lines)


OPERATOR_TOKEN = "operator-token-for-tests-only-0123456789"


def _fuzz(operation: Any, headers: dict[str, str], statuses: list[int]) -> None:
    @given(case=operation.as_strategy())
    @settings(
        max_examples=EXAMPLES_PER_OPERATION,
        deadline=None,
        derandomize=True,
        database=None,
        suppress_health_check=list(HealthCheck),
    )
    def never_a_server_error(case: Any) -> None:
        response = case.call(headers=headers)
        statuses.append(response.status_code)
        assert response.status_code < 500, (
            f"{case.method} {case.formatted_path} → {response.status_code}: {response.text[:300]}"
        )

    never_a_server_error()


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_no_request_makes_the_node_fail(bureau_context: BureauContext) -> None:
    node_settings = bureau_context.settings.model_copy(
        update={"operator_token": SecretStr(OPERATOR_TOKEN)}
    )
    node = dataclasses.replace(bureau_context, settings=node_settings)
    app = create_app(node_settings, context=node)
    schema = schemathesis.openapi.from_asgi("/openapi.json", app)
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 10, "the OpenAPI document lost operations"
    statuses: list[int] = []
    for operation in operations:
        token = OPERATOR_TOKEN if "operations" in operation.tags else HOSPITAL_TOKEN
        _fuzz(operation, {"Authorization": f"Bearer {token}"}, statuses)
    assert len(statuses) >= 5 * len(operations), "schemathesis sent too few requests"
    assert any(200 <= status < 300 for status in statuses), "no request ever succeeded"
