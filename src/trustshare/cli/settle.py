"""``trustshare settle``: settle one bill through every layer and print the breakdown."""

from __future__ import annotations

import json
from decimal import Decimal
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any, NoReturn

import typer

from trustshare.domain import (
    Accumulators,
    DomainError,
    RuleSet,
    Settlement,
    bill_json_schema,
    default_rules,
    format_yuan,
    load_rules,
    parse_accumulators,
    parse_bill,
    to_fhir_bundle,
)
from trustshare.domain import settle as settle_bill
from trustshare.domain.jsonout import dumps

EXIT_INVALID_INPUT = 1
EXIT_USAGE = 2


class OutputFormat(StrEnum):
    """How the breakdown is printed."""

    JSON = "json"
    TABLE = "table"
    FHIR = "fhir"


def _fail(message: str, code: int = EXIT_INVALID_INPUT) -> NoReturn:
    typer.echo(f"error: {message}", err=True)
    raise typer.Exit(code)


def _refuse_constant(name: str) -> NoReturn:
    raise ValueError(f"{name} is not a number TrustShare accepts")


def _read_json(path: Path, what: str) -> Any:
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        _fail(f"{what} file {path} does not exist")
    except IsADirectoryError:
        _fail(f"{what} file {path} is a directory")
    except (OSError, UnicodeDecodeError) as exc:
        _fail(f"cannot read {what} file {path}: {exc}")
    try:
        # Decimals, never floats: a fractional amount is then refused by name, not rounded.
        return json.loads(text, parse_float=Decimal, parse_constant=_refuse_constant)
    except json.JSONDecodeError as exc:
        _fail(f"{path}: not valid JSON: line {exc.lineno} column {exc.colno}: {exc.msg}")
    except ValueError as exc:
        _fail(f"{path}: not valid JSON: {exc}")


def _load_rules(directory: Path | None) -> RuleSet:
    if directory is None:
        return default_rules()
    if not directory.is_dir():
        _fail(f"rules directory {directory} does not exist")
    return load_rules(directory)


_RECORD_LABELS = {
    "medfee_sumamt": "total medical cost 医疗费总额",
    "fulamt_ownpay_amt": "class C, fully self-paid 全自费",
    "overlmt_selfpay": "above price cap 超限价自费",
    "preselfpay_amt": "class-B advance self-pay 先行自付",
    "inscp_scp_amt": "within policy scope 符合政策范围",
    "act_pay_dedc": "deductible applied 起付线",
    "hifp_pay": "basic pooled fund 统筹基金",
    "cvlserv_pay": "civil-servant subsidy 公务员补助",
    "hifes_pay": "enterprise supplementary 企业补充",
    "hifmi_pay": "critical-illness insurance 大病保险",
    "hifob_pay": "employee large-expense 大额补助",
    "maf_pay": "medical assistance 医疗救助",
    "hosp_part_amt": "hospital-borne 医院负担",
    "oth_pay": "other 其他",
    "fund_pay_sumamt": "all funds 基金支付总额",
    "psn_part_amt": "person's share 个人负担",
    "acct_pay": "personal account 个人账户",
    "psn_cash_pay": "cash 现金",
}


def render_table(settlement: Settlement) -> str:
    """A fixed-width, human-readable breakdown (amounts in yuan)."""
    bill = settlement.bill
    width = 64
    rows = [
        f"Settlement {bill.mdtrt_id}: {bill.region}, {bill.insurance_type}, {bill.visit_type}, "
        f"{bill.hospital_level} hospital",
        "",
        f"{'National record':<22}{'yuan':>16}",
    ]
    for name, value in settlement.record.to_dict().items():
        if name == "pool_prop_selfpay":
            rows.append(f"  {name:<20}{value:>16}  basic fund's effective ratio")
            continue
        rows.append(f"  {name:<20}{format_yuan(value):>16}  {_RECORD_LABELS[name]}")
    rows += ["", f"{'Commercial payers':<22}{'yuan':>16}  payer order, product"]
    if not settlement.commercial:
        rows.append("  none")
    for payment in settlement.commercial:
        flag = " (pre-existing)" if payment.pre_existing else ""
        rows.append(
            f"  {payment.order:<20}{format_yuan(payment.paid_fen):>16}  "
            f"{payment.product_id} {payment.product_version}{flag}"
        )
    rows += [
        "",
        f"{'Patient remainder':<22}{format_yuan(settlement.patient_remainder_fen):>16}",
        f"{'Claim ceiling':<22}{format_yuan(settlement.claim_ceiling_fen):>16}"
        "  what all commercial payers may pay together",
        "",
        "Trace",
    ]
    rows += [f"  {step.layer}: {step.explanation}" for step in settlement.trace]
    rows += ["", "Rules"]
    rows += [
        f"  {used.id} {used.version} ({used.status}) sha256:{used.content_hash[:16]}…"
        for used in settlement.rules
    ]
    rows.append("-" * width)
    return "\n".join(rows)


def settle(
    bill_file: Annotated[
        Path | None,
        typer.Argument(
            metavar="BILL.json", help="The bill to settle (JSON; see --schema).", show_default=False
        ),
    ] = None,
    accumulators_file: Annotated[
        Path | None,
        typer.Option(
            "--accumulators", metavar="FILE", help="The person's year-to-date accumulators (JSON)."
        ),
    ] = None,
    rules_dir: Annotated[
        Path | None,
        typer.Option(
            "--rules", metavar="DIR", help="Rules directory (default: the rules shipped inside)."
        ),
    ] = None,
    output_format: Annotated[
        OutputFormat, typer.Option("--format", help="json, table or fhir (an R4 Bundle).")
    ] = OutputFormat.JSON,
    schema: Annotated[
        bool, typer.Option("--schema", help="Print the bill's JSON schema and exit.")
    ] = False,
) -> None:
    """Settle BILL.json: basic fund, critical illness, medical assistance, commercial payers."""
    if schema:
        typer.echo(json.dumps(bill_json_schema(), indent=2, ensure_ascii=False))
        return
    if bill_file is None:
        _fail("missing BILL.json (or use --schema)", EXIT_USAGE)
    try:
        bill = parse_bill(_read_json(bill_file, "bill"))
        accumulators: Accumulators | None = None
        if accumulators_file is not None:
            accumulators = parse_accumulators(_read_json(accumulators_file, "accumulators"))
        settlement = settle_bill(bill, accumulators, _load_rules(rules_dir))
    except DomainError as exc:
        kind = type(exc).__name__
        lines = [f"  {path or '(document)'}: {reason}" for path, reason in exc.problems]
        _fail(f"{kind}: nothing was computed\n" + "\n".join(lines))
    if output_format is OutputFormat.TABLE:
        typer.echo(render_table(settlement))
    elif output_format is OutputFormat.FHIR:
        typer.echo(dumps(to_fhir_bundle(settlement)))
    else:
        typer.echo(json.dumps(settlement.to_dict(), indent=2, ensure_ascii=False))
