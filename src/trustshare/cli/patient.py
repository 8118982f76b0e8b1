"""``trustshare patient``: the patient's wallet on the command line (docs/WALLET.md).

A thin layer over :mod:`trustshare.wallet`: options, the password prompt, tables. Input is
checked (against the chain where it must be) before the password is asked, and every refusal
says what to type instead and exits non-zero with nothing signed or sent.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, tzinfo
from pathlib import Path
from typing import Annotated

import click
import typer

from trustshare.chain.errors import ChainError
from trustshare.crypto.eip712 import ConsentTerms
from trustshare.crypto.vocabulary import Purpose, Scope
from trustshare.wallet import report
from trustshare.wallet.access_log import check_log
from trustshare.wallet.bureau_client import BureauClient
from trustshare.wallet.consents import (
    BureauRelay,
    DirectToChain,
    Submitted,
    list_consents,
    plan_grant,
    plan_narrow,
    plan_revocation,
)
from trustshare.wallet.errors import WalletError
from trustshare.wallet.keystore import create_keystore, keystore_address, unlock
from trustshare.wallet.network import Binding, NetworkView
from trustshare.wallet.terms import WindowRequest

PASSWORD_ENV = "TRUSTSHARE_WALLET_PASSWORD"
KEYSTORE_ENV = "TRUSTSHARE_WALLET_KEYSTORE"

patient_app = typer.Typer(
    help=(
        "The patient's wallet: a key in an encrypted keystore, bound to you by a bureau; grant, "
        "narrow and revoke consents (signed here, EIP-712) and read who accessed your records. "
        f"The password is asked with hidden input ({PASSWORD_ENV} for automation)."
    ),
    no_args_is_help=True,
)

KeystoreOption = Annotated[
    Path | None,
    typer.Option(
        "--keystore",
        help="The wallet's keystore file (default: wallet/keystore.json in the user's "
        "trustshare directory).",
        envvar=KEYSTORE_ENV,
        show_default=False,
    ),
]
RpcOption = Annotated[
    str,
    typer.Option("--rpc-url", help="The chain's JSON-RPC URL.", envvar="TRUSTSHARE_WALLET_RPC_URL"),
]
DeploymentOption = Annotated[
    Path,
    typer.Option(
        "--deployment",
        help="The network's deployment file (where the registries are).",
        envvar="TRUSTSHARE_WALLET_DEPLOYMENT_FILE",
    ),
]
BureauOption = Annotated[
    str | None,
    typer.Option(
        "--bureau",
        help="The bureau node: its URL, or its name or address in the Participants registry "
        "(default: the bureau that bound you, else the network's only bureau).",
        show_default=False,
    ),
]
InsurerOption = Annotated[
    str, typer.Option("--insurer", help="The insurer's registered name or address.")
]
DirectOption = Annotated[
    bool,
    typer.Option("--direct", help="Send the transaction from the wallet itself (it pays the gas)."),
]
TimeoutOption = Annotated[
    float, typer.Option("--timeout", help="Seconds to wait for the chain to show the result.")
]
FromOption = Annotated[
    str | None,
    typer.Option(
        "--from", help="Start of the window: YYYY-MM-DD or YYYY-MM-DDTHH:MM (default: now)."
    ),
]
UntilOption = Annotated[
    str | None, typer.Option("--until", help="Last day (inclusive) or moment of the window.")
]
DaysOption = Annotated[int | None, typer.Option("--days", help="Length of the window in days.")]

DEFAULT_RPC_URL = "http://127.0.0.1:8545"
DEFAULT_DEPLOYMENT = Path(".trustshare/devnet/deployment.json")


def default_keystore() -> Path:
    """``wallet/keystore.json`` in the user's trustshare directory (XDG on Linux)."""
    return Path(click.get_app_dir("trustshare")) / "wallet" / "keystore.json"


def _local_tz() -> tzinfo:
    zone = datetime.now().astimezone().tzinfo
    assert zone is not None  # astimezone() always attaches the local zone
    return zone


def _echo_table(header: list[str], rows: list[list[str]]) -> None:
    for line in report.table(header, rows):
        typer.echo(line)


def _fail(error: Exception) -> typer.Exit:
    typer.echo(f"error: {error}", err=True)
    return typer.Exit(1)


def _password(*, confirm: bool) -> str:
    from_env = os.environ.get(PASSWORD_ENV)
    if from_env is not None:
        return from_env
    return str(
        typer.prompt("Wallet password", hide_input=True, confirmation_prompt=confirm, err=True)
    )


# -- the key ------------------------------------------------------------------------------------


@patient_app.command("create")
def create(keystore: KeystoreOption = None) -> None:
    """Make a new key in an encrypted keystore (mode 0600); print its address."""
    path = keystore or default_keystore()
    try:
        address = create_keystore(path, _password(confirm=True))
    except WalletError as error:
        raise _fail(error) from error
    typer.echo(f"address:  {address}")
    typer.echo(f"keystore: {path} (mode 0600)")
    typer.echo("Back the file up: without it and its password the key is lost for good.")
    typer.echo("Next: show your ID at a bureau's counter for a binding voucher, then run")
    typer.echo("`trustshare patient bind`.")


@patient_app.command("status")
def status(
    keystore: KeystoreOption = None,
    rpc_url: RpcOption = DEFAULT_RPC_URL,
    deployment: DeploymentOption = DEFAULT_DEPLOYMENT,
) -> None:
    """The wallet's address, whom it speaks for, and its balance (no password needed)."""
    try:
        address = keystore_address(keystore or default_keystore())
        network = NetworkView.connect(rpc_url, deployment)
        binding = network.binding_of(address)
        balance = network.balance_of(address)
        bureau = network.participant_name(binding.bureau) if binding else ""
    except (WalletError, ChainError) as error:
        raise _fail(error) from error
    typer.echo(f"address:   {address}")
    if binding is None:
        typer.echo("bound:     no — get a voucher at a bureau's counter, then `patient bind`")
    else:
        typer.echo(f"pseudonym: 0x{binding.pseudonym.hex()}")
        typer.echo(f"bound by:  {bureau} ({binding.bureau})")
    typer.echo(f"balance:   {balance} wei (needed only for --direct)")


@patient_app.command("bind")
def bind(
    voucher: Annotated[
        str | None,
        typer.Option(
            "--voucher",
            help="The voucher the bureau's counter gave you (asked if not given: it is "
            "a bearer token, keep it out of shell history).",
            show_default=False,
        ),
    ] = None,
    bureau: BureauOption = None,
    keystore: KeystoreOption = None,
    rpc_url: RpcOption = DEFAULT_RPC_URL,
    deployment: DeploymentOption = DEFAULT_DEPLOYMENT,
    timeout: TimeoutOption = 60.0,
) -> None:
    """Ask the bureau to bind this wallet to you: redeem its voucher, proving the key."""
    path = keystore or default_keystore()
    try:
        keystore_address(path)
        network = NetworkView.connect(rpc_url, deployment)
        url = network.bureau_url(bureau, None)
        text = voucher or str(typer.prompt("Voucher from the bureau's counter", err=True))
        wallet = unlock(path, _password(confirm=False))
        with BureauClient(url) as client:
            receipt = client.request_binding(wallet, text)
        typer.echo(f"the bureau at {url} queued the binding (outbox {receipt.outbox_id})")
        bound = network.wait_for_binding(wallet.address, receipt.pseudonym, timeout)
    except (WalletError, ChainError) as error:
        raise _fail(error) from error
    typer.echo(f"bound:     {wallet.address}")
    typer.echo(f"pseudonym: 0x{bound.pseudonym.hex()}")
    typer.echo(f"bureau:    {network.participant_name(bound.bureau)} ({bound.bureau})")


# -- participants and consents -----------------------------------------------------------------


@patient_app.command("insurers")
def insurers(
    rpc_url: RpcOption = DEFAULT_RPC_URL, deployment: DeploymentOption = DEFAULT_DEPLOYMENT
) -> None:
    """The insurers of the network, from the on-chain Participants registry."""
    try:
        found = NetworkView.connect(rpc_url, deployment).insurers()
    except (WalletError, ChainError) as error:
        raise _fail(error) from error
    _echo_table(report.INSURER_HEADER, report.insurer_rows(found))


@patient_app.command("consents")
def consents(
    keystore: KeystoreOption = None,
    rpc_url: RpcOption = DEFAULT_RPC_URL,
    deployment: DeploymentOption = DEFAULT_DEPLOYMENT,
) -> None:
    """Your consents as the chain records them, one per insurer."""
    tz = _local_tz()
    try:
        network = NetworkView.connect(rpc_url, deployment)
        binding = network.require_binding(keystore_address(keystore or default_keystore()))
        rows = list_consents(network, binding.pseudonym)
    except (WalletError, ChainError) as error:
        raise _fail(error) from error
    if not rows:
        typer.echo("no consents yet — grant one with `trustshare patient grant`")
        return
    _echo_table(report.CONSENT_HEADER, report.consent_rows(rows, tz))


@contextmanager
def _route(
    network: NetworkView, binding: Binding, bureau: str | None, direct: bool, timeout: float
) -> Iterator[BureauRelay | DirectToChain]:
    if direct:
        yield DirectToChain(network)
        return
    with BureauClient(network.bureau_url(bureau, binding)) as client:
        yield BureauRelay(network, client, timeout)


def _report(done: Submitted, what: str) -> None:
    typer.echo(f"{what}: consent 0x{done.consent_id.hex()}")
    typer.echo(f"  {done.route}; tx {done.tx_hash} in block {done.block_number}")


@patient_app.command("grant")
def grant(
    insurer: InsurerOption,
    scopes: Annotated[
        str, typer.Option("--scopes", help="Comma-separated: " + ", ".join(f.key for f in Scope))
    ],
    purposes: Annotated[
        str,
        typer.Option("--purposes", help="Comma-separated: " + ", ".join(f.key for f in Purpose)),
    ],
    start: FromOption = None,
    until: UntilOption = None,
    days: DaysOption = None,
    direct: DirectOption = False,
    bureau: BureauOption = None,
    keystore: KeystoreOption = None,
    rpc_url: RpcOption = DEFAULT_RPC_URL,
    deployment: DeploymentOption = DEFAULT_DEPLOYMENT,
    timeout: TimeoutOption = 60.0,
) -> None:
    """Let an insurer see some of your records for some purposes, within a window.

    Replaces any consent you gave that insurer before. Without --until or --days the window
    lasts 365 days.
    """
    path, tz = keystore or default_keystore(), _local_tz()
    try:
        network = NetworkView.connect(rpc_url, deployment)
        binding = network.require_binding(keystore_address(path))
        window = WindowRequest(start, until, days)
        terms = plan_grant(network, binding, insurer, scopes, purposes, window, tz)
        with _route(network, binding, bureau, direct, timeout) as route:
            _describe(network, "granting", terms, tz)
            done = route.grant(unlock(path, _password(confirm=False)), terms)
    except (WalletError, ChainError) as error:
        raise _fail(error) from error
    _report(done, "granted")


def _describe(network: NetworkView, verb: str, terms: ConsentTerms, tz: tzinfo) -> None:
    typer.echo(f"{verb} " + report.terms_text(network.participant_name(terms.insurer), terms, tz))


@patient_app.command("narrow")
def narrow(
    insurer: InsurerOption,
    scopes: Annotated[
        str | None, typer.Option("--scopes", help="The scopes to keep (default: all).")
    ] = None,
    purposes: Annotated[
        str | None, typer.Option("--purposes", help="The purposes to keep (default: all).")
    ] = None,
    start: FromOption = None,
    until: UntilOption = None,
    days: DaysOption = None,
    direct: DirectOption = False,
    bureau: BureauOption = None,
    keystore: KeystoreOption = None,
    rpc_url: RpcOption = DEFAULT_RPC_URL,
    deployment: DeploymentOption = DEFAULT_DEPLOYMENT,
    timeout: TimeoutOption = 60.0,
) -> None:
    """Share less with an insurer: keep fewer scopes or purposes, or a shorter window.

    What is not typed stays as it is; the narrowed consent replaces the current one.
    """
    path, tz = keystore or default_keystore(), _local_tz()
    try:
        network = NetworkView.connect(rpc_url, deployment)
        binding = network.require_binding(keystore_address(path))
        window = WindowRequest(start, until, days)
        terms = plan_narrow(network, binding, insurer, scopes, purposes, window, tz)
        with _route(network, binding, bureau, direct, timeout) as route:
            _describe(network, "narrowing to", terms, tz)
            done = route.grant(unlock(path, _password(confirm=False)), terms)
    except (WalletError, ChainError) as error:
        raise _fail(error) from error
    _report(done, "narrowed")


@patient_app.command("revoke")
def revoke(
    insurer: InsurerOption,
    direct: DirectOption = False,
    bureau: BureauOption = None,
    keystore: KeystoreOption = None,
    rpc_url: RpcOption = DEFAULT_RPC_URL,
    deployment: DeploymentOption = DEFAULT_DEPLOYMENT,
    timeout: TimeoutOption = 60.0,
) -> None:
    """Stop an insurer's access: revoke your consent (effective from the block it lands in)."""
    path = keystore or default_keystore()
    try:
        network = NetworkView.connect(rpc_url, deployment)
        binding = network.require_binding(keystore_address(path))
        revocation = plan_revocation(network, binding, insurer)
        with _route(network, binding, bureau, direct, timeout) as route:
            typer.echo(f"revoking consent 0x{revocation.consent_id.hex()}")
            done = route.revoke(unlock(path, _password(confirm=False)), revocation)
    except (WalletError, ChainError) as error:
        raise _fail(error) from error
    _report(done, "revoked")


# -- the access log ------------------------------------------------------------------------------


@patient_app.command("access-log")
def access_log(
    bureau: BureauOption = None,
    keystore: KeystoreOption = None,
    rpc_url: RpcOption = DEFAULT_RPC_URL,
    deployment: DeploymentOption = DEFAULT_DEPLOYMENT,
) -> None:
    """Who accessed (or was refused) your records, each entry's proof checked on chain.

    ✓ the entry is in an access-log batch the bureau committed on chain; ✗ it is not, or its
    fields were altered (exit status 2); … not committed yet. The request is signed by the
    wallet, which the bureau requires.
    """
    path, tz = keystore or default_keystore(), _local_tz()
    try:
        network = NetworkView.connect(rpc_url, deployment)
        binding = network.require_binding(keystore_address(path))
        with BureauClient(network.bureau_url(bureau, binding)) as client:
            wallet = unlock(path, _password(confirm=False))
            served_by = client.health()
            entries = client.access_log(wallet, binding.pseudonym)
        attestations = network.registries.attestations
        checked = check_log(entries, binding.pseudonym, served_by, attestations)
        insurers_known = network.insurers()
    except (WalletError, ChainError) as error:
        raise _fail(error) from error
    if not checked:
        typer.echo("no one has asked for your records")
        return
    names = {entry.address: entry.name for entry in insurers_known}
    _echo_table(report.ACCESS_LOG_HEADER, report.access_log_rows(checked, names, tz))
    pending, failed = report.unverified(checked)
    if pending:
        typer.echo(pending)
    if failed:
        typer.echo(f"error: {failed}", err=True)
        raise typer.Exit(2)
