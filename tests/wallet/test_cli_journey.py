"""A patient's journey through ``trustshare patient``, against a real bureau node and anvil."""

from __future__ import annotations

import stat
import time
from collections.abc import Callable

from sqlalchemy import update
from typer.testing import Result

from trustshare.chain.registries import PermissionStatus
from trustshare.crypto.vocabulary import Purpose, Scope
from trustshare.storage.models import AccessLogEntry

from ..bureau.operations_support import ID_NUMBER
from ..conftest import Network
from .conftest import PASSWORD, PSEUDONYM, ServedBureau, WalletCli, address_in

DAY = 86_400


def eventually(check: Callable[[], bool], what: str, timeout_s: float = 60) -> None:
    deadline = time.monotonic() + timeout_s
    while not check():
        assert time.monotonic() < deadline, f"{what} did not happen within {timeout_s} s"
        time.sleep(0.2)


def enrollment_release(served_bureau: ServedBureau, network: Network) -> int:
    """The insurer's request, repeated while the record's batch is not final yet (409)."""
    deadline = time.monotonic() + 60
    while True:
        answer = served_bureau.ask_for_enrollment(network.insurer, PSEUDONYM)
        if answer.status_code != 409 or time.monotonic() > deadline:
            return answer.status_code
        time.sleep(0.2)


def ok(result: Result) -> str:
    assert result.exit_code == 0, result.output
    return result.output


PERMITTED = PermissionStatus.PERMITTED


def permission(network: Network, scope: Scope, purpose: Purpose) -> PermissionStatus:
    consents = network.registries().consents
    return consents.permission_of(PSEUDONYM, network.insurer.address, scope, purpose)


def test_create_bind_grant_narrow_revoke_and_read_the_verified_access_log(
    wallet_cli: WalletCli, served_bureau: ServedBureau, network: Network
) -> None:
    # The key: a password typed twice, never shown; a standard keystore only the owner reads.
    created = wallet_cli("create", password=None, input_text=f"{PASSWORD}\n{PASSWORD}\n")
    address = address_in(ok(created))
    assert PASSWORD not in created.output
    assert stat.S_IMODE(wallet_cli.keystore.stat().st_mode) == 0o600
    assert "bound:     no" in ok(wallet_cli("status"))

    # Binding: the counter verified the person; the wallet proves its key to the bureau, which
    # it finds in the Participants registry (no URL typed).
    voucher = served_bureau.issue_voucher()
    bound = wallet_cli("bind", password=None, input_text=f"{voucher}\n{PASSWORD}\n")
    assert f"pseudonym: 0x{PSEUDONYM.hex()}" in ok(bound)
    assert network.registries().consents.binding_of(PSEUDONYM) == (
        address,
        network.bureau.address,
    )
    assert f"pseudonym: 0x{PSEUDONYM.hex()}" in ok(wallet_cli("status"))

    listed = ok(wallet_cli("insurers"))
    assert "Insurer A" in listed and network.insurer_b.address in listed

    # The bureau holds the person's enrollment record; it reaches a committed batch meanwhile.
    served_bureau.counter(
        "/v1/enrollments",
        {
            "id_number": ID_NUMBER,
            "insurance_type": "employee",
            "region": "beijing",
            "valid_from": "2025-01-01",
        },
    )

    # Grant, relayed by the bureau: in force on chain when the command returns.
    granted = wallet_cli(
        "grant",
        "--insurer",
        "insurer a",
        "--scopes",
        "enrollment,settlement_summary",
        "--purposes",
        "underwriting,claim",
        "--days",
        "30",
    )
    assert "relayed by the bureau" in ok(granted)
    assert permission(network, Scope.SETTLEMENT_SUMMARY, Purpose.CLAIM) is PERMITTED
    state = network.registries().consents.consent_of(PSEUDONYM, network.insurer.address)
    assert state.not_after - state.not_before == 30 * DAY - 1
    table = ok(wallet_cli("consents"))
    assert "enrollment,settlement_summary" in table and "active" in table

    # Narrow: fewer scopes and purposes replace the consent; what was left out is refused.
    narrowed = wallet_cli(
        "narrow",
        "--insurer",
        network.insurer.address.lower(),
        "--scopes",
        "enrollment",
        "--purposes",
        "underwriting",
    )
    assert "narrowed: consent 0x" in ok(narrowed)
    assert permission(network, Scope.ENROLLMENT, Purpose.UNDERWRITING) is PERMITTED
    assert (
        permission(network, Scope.SETTLEMENT_SUMMARY, Purpose.UNDERWRITING)
        is PermissionStatus.SCOPE_NOT_COVERED
    )
    assert (
        permission(network, Scope.ENROLLMENT, Purpose.CLAIM) is PermissionStatus.PURPOSE_NOT_COVERED
    )
    narrowed_state = network.registries().consents.consent_of(PSEUDONYM, network.insurer.address)
    assert (narrowed_state.not_before, narrowed_state.not_after) == (
        state.not_before,
        state.not_after,
    )

    # The insurer reads the enrollment under the narrowed consent (logged as released) …
    assert enrollment_release(served_bureau, network) == 200
    # … then the patient revokes, and the next request is refused (logged as refused).
    assert "revoked: consent 0x" in ok(wallet_cli("revoke", "--insurer", "Insurer A"))
    assert permission(network, Scope.ENROLLMENT, Purpose.UNDERWRITING) is PermissionStatus.REVOKED
    assert served_bureau.ask_for_enrollment(network.insurer, PSEUDONYM).status_code == 403
    assert "revoked" in ok(wallet_cli("consents"))

    # The access log: every entry's proof checked against the AttestationRegistry.
    eventually(
        lambda: "not committed on chain yet" not in ok(wallet_cli("access-log")),
        "the access-log batches",
    )
    log = ok(wallet_cli("access-log"))
    rows = [line for line in log.splitlines()[1:] if line.strip()]
    assert len(rows) == 2, log
    assert "released" in rows[0] and "refused REVOKED" in rows[1]
    assert all(row.endswith("✓") for row in rows), log
    assert all("Insurer A" in row for row in rows)

    # A bureau that alters its log after committing it is caught: ✗ and exit status 2.
    with served_bureau.context.sessions() as session:
        session.execute(update(AccessLogEntry).values(reason="NO_CONSENT"))
        session.commit()
    tampered = wallet_cli("access-log")
    assert tampered.exit_code == 2, tampered.output
    assert "✗ the fields do not hash to the stated entry hash" in tampered.output
    assert "do not match the chain" in tampered.output
