"""``trustshare settle`` through Typer's CliRunner, on its own app (independent of the main CLI)."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from trustshare.cli.settle import settle

EXAMPLES = Path(__file__).resolve().parents[2] / "docs" / "examples"
BILL = EXAMPLES / "bill-beijing-inpatient.json"
ACCUMULATORS = EXAMPLES / "accumulators-beijing.json"

app = typer.Typer()
app.command("settle")(settle)


@app.callback()
def _group() -> None:
    """Keep ``settle`` a sub-command, as in the real CLI."""


runner = CliRunner()


def test_settles_the_documented_bill_as_json() -> None:
    result = runner.invoke(app, ["settle", str(BILL)])
    assert result.exit_code == 0, result.output
    out = json.loads(result.stdout)
    record = out["record"]
    assert record["hifp_pay"] > 0 and record["hifmi_pay"] > 0
    assert [line["product_id"] for line in out["commercial"]] == [
        "enterprise-supplementary",
        "huiminbao-typical",
    ]
    assert (
        record["fund_pay_sumamt"] + out["commercial_paid_fen"] + out["patient_remainder_fen"]
        == record["medfee_sumamt"]
    )


def test_accumulators_change_the_result() -> None:
    plain = json.loads(runner.invoke(app, ["settle", str(BILL)]).stdout)
    with_ytd = runner.invoke(app, ["settle", str(BILL), "--accumulators", str(ACCUMULATORS)])
    assert with_ytd.exit_code == 0, with_ytd.output
    assert json.loads(with_ytd.stdout)["record"]["hifmi_pay"] > plain["record"]["hifmi_pay"]


def test_table_format_shows_the_breakdown_and_trace() -> None:
    result = runner.invoke(app, ["settle", str(BILL), "--format", "table"])
    assert result.exit_code == 0, result.output
    for expected in ("hifp_pay", "hifmi_pay", "huiminbao-typical", "Patient remainder", "Trace"):
        assert expected in result.stdout


def test_fhir_format_prints_a_bundle_with_the_explanation_of_benefit() -> None:
    result = runner.invoke(app, ["settle", str(BILL), "--format", "fhir"])
    assert result.exit_code == 0, result.output
    bundle = json.loads(result.stdout, parse_float=Decimal)
    resources = [entry["resource"]["resourceType"] for entry in bundle["entry"]]
    assert resources == ["ExplanationOfBenefit", "ClaimResponse", "ClaimResponse"]


def test_schema_is_published() -> None:
    result = runner.invoke(app, ["settle", "--schema"])
    assert result.exit_code == 0
    schema = json.loads(result.stdout)
    assert {"lines", "region", "insurance_type", "products"} <= set(schema["properties"])


def test_custom_rules_directory(tmp_path: Path) -> None:
    result = runner.invoke(app, ["settle", str(BILL), "--rules", str(tmp_path)])
    assert result.exit_code == 1
    assert "no rules files" in result.stderr
    assert "Traceback" not in result.output


@pytest.mark.parametrize(
    ("bill_text", "message"),
    [
        ('{"mdtrt_id": ', "not valid JSON: line 1"),
        ("[]", "JSON object"),
        ("NaN", "not valid JSON"),
    ],
)
def test_unreadable_bills_give_a_readable_error(
    tmp_path: Path, bill_text: str, message: str
) -> None:
    path = tmp_path / "bill.json"
    path.write_text(bill_text, "utf-8")
    result = runner.invoke(app, ["settle", str(path)])
    assert result.exit_code == 1
    assert message in result.stderr
    assert "Traceback" not in result.output


def test_a_fractional_amount_is_refused_naming_the_field(tmp_path: Path) -> None:
    document = json.loads(BILL.read_text("utf-8"))
    document["lines"][3]["unit_price_fen"] = 320000.5
    path = tmp_path / "bill.json"
    path.write_text(json.dumps(document), "utf-8")
    result = runner.invoke(app, ["settle", str(path)])
    assert result.exit_code == 1
    assert "lines[3].unit_price_fen" in result.stderr
    assert "floats never enter money" in result.stderr
    assert result.stdout == ""


def test_an_unknown_region_is_refused(tmp_path: Path) -> None:
    document = json.loads(BILL.read_text("utf-8"))
    document["region"] = "atlantis"
    path = tmp_path / "bill.json"
    path.write_text(json.dumps(document), "utf-8")
    result = runner.invoke(app, ["settle", str(path)])
    assert result.exit_code == 1
    assert "InvalidBill: nothing was computed" in result.stderr
    assert "region: unknown region 'atlantis'" in result.stderr


def test_missing_files_and_arguments() -> None:
    missing = runner.invoke(app, ["settle", "/nonexistent/bill.json"])
    assert missing.exit_code == 1
    assert "does not exist" in missing.stderr
    no_bill = runner.invoke(app, ["settle"])
    assert no_bill.exit_code == 2
    assert "missing BILL.json" in no_bill.stderr
    bad_format = runner.invoke(app, ["settle", str(BILL), "--format", "xml"])
    assert bad_format.exit_code == 2


def test_every_problem_of_a_bad_bill_is_named(tmp_path: Path) -> None:
    document = json.loads(BILL.read_text("utf-8"))
    document["lines"][0]["item_class"] = "D"
    document["lines"][1]["unit_price_fen"] = -5
    path = tmp_path / "bill.json"
    path.write_text(json.dumps(document), "utf-8")
    result = runner.invoke(app, ["settle", str(path)])
    assert result.exit_code == 1
    assert "lines[0].item_class" in result.stderr
    assert "lines[1].unit_price_fen" in result.stderr
