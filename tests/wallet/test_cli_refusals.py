"""Bad input to ``trustshare patient`` is refused, says what to type, and sends nothing."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from typer.testing import CliRunner
from web3.types import RPCEndpoint

from trustshare.chain.registries import PermissionStatus
from trustshare.cli import app
from trustshare.crypto.vocabulary import Purpose, Scope

from ..conftest import Network
from .conftest import PASSWORD, PSEUDONYM, ServedBureau, WalletCli

GRANT = ("grant", "--insurer", "Insurer A", "--scopes", "enrollment", "--purposes", "claim")


def day(network: Network, days_from_now: int) -> str:
    moment = datetime.fromtimestamp(network.now(), UTC) + timedelta(days=days_from_now)
    return moment.strftime("%Y-%m-%d")


def assert_nothing_sent(network: Network, served_bureau: ServedBureau) -> None:
    consents = network.registries().consents
    assert consents.nonce_of(PSEUDONYM) == 0
    assert not consents.consent_of(PSEUDONYM, network.insurer.address).exists
    assert served_bureau.relays_queued() == 0


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        pytest.param(
            ("grant", "--insurer", "Insurer Z", "--scopes", "enrollment", "--purposes", "claim"),
            ["unknown insurer 'Insurer Z'", "'Insurer A' (0x", "'Insurer B' (0x", "--insurer"],
            id="unknown insurer",
        ),
        pytest.param(
            ("grant", "--insurer", "Insurer A", "--scopes", "enrolment", "--purposes", "claim"),
            [
                "unknown scope 'enrolment'",
                "type --scopes with names from: enrollment, settlement_summary, fund_breakdown, "
                "line_items, diagnosis",
            ],
            id="unknown scope",
        ),
        pytest.param(
            ("grant", "--insurer", "Insurer A", "--scopes", "diagnosis", "--purposes", "marketing"),
            [
                "unknown purpose 'marketing'",
                "type --purposes with names from: underwriting, direct_settlement, claim",
            ],
            id="unknown purpose",
        ),
        pytest.param(
            (*GRANT, "--from", "+40", "--until", "+20"),
            ["before it starts", "type an --until later than --from, or --days N"],
            id="window ends before it starts",
        ),
        pytest.param(
            ("narrow", "--insurer", "Insurer A", "--scopes", "enrollment"),
            ["no consent of yours to Insurer A is in force", "trustshare patient grant"],
            id="narrow without a consent",
        ),
        pytest.param(
            ("revoke", "--insurer", "Insurer B"),
            ["you have no consent to Insurer B to revoke", "trustshare patient consents"],
            id="revoke without a consent",
        ),
    ],
)
def test_bad_input_is_refused_before_the_password_is_asked(
    bound_wallet: str,
    wallet_cli: WalletCli,
    served_bureau: ServedBureau,
    network: Network,
    args: tuple[str, ...],
    expected: list[str],
) -> None:
    typed = [day(network, int(arg)) if arg.startswith("+") else arg for arg in args]

    result = wallet_cli(*typed, password=None)

    assert result.exit_code == 1, result.output
    for words in expected:
        assert words in result.output
    assert "Wallet password" not in result.output
    assert_nothing_sent(network, served_bureau)


def test_a_wrong_password_signs_and_sends_nothing(
    bound_wallet: str, wallet_cli: WalletCli, served_bureau: ServedBureau, network: Network
) -> None:
    result = wallet_cli(*GRANT, password=None, input_text="not the password\n")

    assert result.exit_code == 1, result.output
    assert "wrong password for the keystore" in result.output
    assert "type the password chosen at `trustshare patient create`" in result.output
    assert_nothing_sent(network, served_bureau)


def test_narrowing_cannot_widen_a_consent(
    bound_wallet: str, wallet_cli: WalletCli, served_bureau: ServedBureau, network: Network
) -> None:
    assert wallet_cli(*GRANT).exit_code == 0
    before = network.registries().consents.consent_of(PSEUDONYM, network.insurer.address)

    wider = wallet_cli("narrow", "--insurer", "Insurer A", "--scopes", "enrollment,diagnosis")

    assert wider.exit_code == 1
    assert "narrowing can only leave out scopes or purposes" in wider.output
    assert "grant anew" in wider.output
    after = network.registries().consents.consent_of(PSEUDONYM, network.insurer.address)
    assert after == before and served_bureau.relays_queued() == 1


def test_an_existing_keystore_is_not_replaced(
    wallet_cli: WalletCli, served_bureau: ServedBureau
) -> None:
    assert wallet_cli("create").exit_code == 0
    before = wallet_cli.keystore.read_bytes()

    again = wallet_cli("create")

    assert again.exit_code == 1
    assert "a keystore already exists at" in again.output and "--keystore" in again.output
    assert wallet_cli.keystore.read_bytes() == before


def test_direct_sending_needs_funding_then_grants_and_revokes_without_the_bureau(
    bound_wallet: str, wallet_cli: WalletCli, served_bureau: ServedBureau, network: Network
) -> None:
    unfunded = wallet_cli(*GRANT, "--direct")
    assert unfunded.exit_code == 1, unfunded.output
    assert f"the wallet {bound_wallet} holds 0 wei" in unfunded.output
    assert "anvil_setBalance" in unfunded.output and "leave out --direct" in unfunded.output
    assert_nothing_sent(network, served_bureau)

    network.w3.provider.make_request(RPCEndpoint("anvil_setBalance"), [bound_wallet, hex(10**18)])
    granted = wallet_cli(*GRANT, "--direct")
    assert granted.exit_code == 0, granted.output
    assert "sent directly by the wallet" in granted.output
    consents = network.registries().consents
    insurer = network.insurer.address
    assert consents.is_permitted(PSEUDONYM, insurer, Scope.ENROLLMENT, Purpose.CLAIM)

    revoked = wallet_cli("revoke", "--insurer", "Insurer A", "--direct")
    assert revoked.exit_code == 0, revoked.output
    status = consents.permission_of(PSEUDONYM, insurer, Scope.ENROLLMENT, Purpose.CLAIM)
    assert status is PermissionStatus.REVOKED
    assert served_bureau.relays_queued() == 0


def test_the_keystore_lives_in_the_users_directory_by_default(tmp_path: Path) -> None:
    env = {
        "XDG_CONFIG_HOME": str(tmp_path / "config"),
        "TRUSTSHARE_WALLET_KEYSTORE": None,
        "TRUSTSHARE_WALLET_PASSWORD": PASSWORD,
    }
    created = CliRunner().invoke(app, ["patient", "create"], env=env)
    assert created.exit_code == 0, created.output
    default = tmp_path / "config" / "trustshare" / "wallet" / "keystore.json"
    assert f"keystore: {default}" in created.output and default.is_file()


def test_help_names_every_patient_command_and_the_password_variable() -> None:
    result = CliRunner().invoke(app, ["patient", "--help"])
    assert result.exit_code == 0
    for command in ("create", "bind", "insurers", "consents", "grant", "narrow", "revoke"):
        assert command in result.output
    assert "access-log" in result.output and "TRUSTSHARE_WALLET_PASSWORD" in result.output
