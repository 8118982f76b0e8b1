"""The patient consent page in headless Chromium, against a real bureau node and anvil.

A patient creates a key in the browser, links it with the counter's voucher, grants an insurer
consent and withdraws it — each signed in the page and relayed by the bureau — and the chain,
the insurer's refused release and the verified access log all show it.
"""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from trustshare.chain.registries import PermissionStatus
from trustshare.crypto.pseudonym import pseudonym_of
from trustshare.crypto.vocabulary import Purpose, Scope

from ..conftest import Network
from .conftest import BureauNode
from .page_support import (
    ID_NUMBER,
    counter,
    create_key,
    insurer_release,
    release_once_committed,
    shoot,
)

pytestmark = pytest.mark.chain


def wait_for_log(page: Page, verified: int, timeout_s: float = 20) -> None:
    """Refresh the access log until ``verified`` entries show as matching the chain."""
    deadline = time.monotonic() + timeout_s
    entries = page.locator("li.entry[data-check=verified]")
    while entries.count() < verified and time.monotonic() < deadline:
        page.click("#log-refresh")
        page.wait_for_selector("#log-panel .card")
        page.wait_for_timeout(300)
    expect(entries).to_have_count(verified)


def test_grant_revoke_and_audit_from_the_browser(
    page: Page, bureau_node: BureauNode, network: Network, tmp_path: Path
) -> None:
    pseudonym = pseudonym_of(ID_NUMBER, bureau_node.context.pseudonym_key)
    consents = network.registries().consents
    insurer = network.insurer.address

    page.goto(bureau_node.page_url)
    expect(page.locator("h1")).to_have_text("My health-data consents")
    shoot(page, "1-create-key.png", tmp_path)
    wallet = create_key(page)

    # Linking: the counter verifies the person and issues a voucher; the page redeems it.
    voucher = counter(bureau_node, "/v1/binding-vouchers", {"id_number": ID_NUMBER})["voucher"]
    page.fill("#voucher", voucher)
    page.click("#link-key")
    expect(page.locator("#binding-state")).to_have_text(
        "Your key is linked to your medical-insurance records."
    )
    assert consents.binding_of(pseudonym) == (wallet, network.bureau.address)
    shoot(page, "2-linked.png", tmp_path)

    # An enrollment record for the insurer to ask for (committed by the node's publisher).
    counter(
        bureau_node,
        "/v1/enrollments",
        {
            "id_number": ID_NUMBER,
            "insurance_type": "employee",
            "region": "beijing",
            "valid_from": "2025-01-01",
        },
    )

    # Grant: signed in the page as EIP-712, relayed by the bureau, in force on chain.
    page.click("#tab-consents")
    page.select_option("#grant-insurer", label="Insurer A")
    page.check("#scope-enrollment")
    page.check("#purpose-underwriting")
    page.click("#grant")
    row = page.locator(f"li.consent[data-insurer='{insurer}']")
    expect(row).to_have_attribute("data-status", "active")
    expect(page.locator(".notice.ok")).to_contain_text("your consent is on the blockchain")
    expect(row).to_contain_text("May see: enrollment facts")
    permission = consents.permission_of(pseudonym, insurer, Scope.ENROLLMENT, Purpose.UNDERWRITING)
    assert permission is PermissionStatus.PERMITTED
    assert release_once_committed(bureau_node, network.insurer, pseudonym).status_code == 200
    shoot(page, "3-consents.png", tmp_path)

    # Withdraw: after it, the chain says REVOKED and the insurer is refused.
    row.locator("button.danger").click()
    row.locator("button.confirm").click()
    expect(row).to_have_attribute("data-status", "revoked")
    permission = consents.permission_of(pseudonym, insurer, Scope.ENROLLMENT, Purpose.UNDERWRITING)
    assert permission is PermissionStatus.REVOKED
    refused = insurer_release(bureau_node, network.insurer, pseudonym)
    assert refused.status_code == 403
    assert refused.json()["error"]["permission_status"] == "REVOKED"

    # The access log shows both attempts, each verified against the committed batch on chain.
    page.click("#tab-log")
    wait_for_log(page, verified=2)
    newest = page.locator("li.entry").first
    expect(newest).to_have_attribute("data-outcome", "refused")
    expect(newest).to_contain_text("Refused: you had withdrawn your consent")
    expect(newest).to_contain_text("Matches the blockchain")
    expect(page.locator("li.entry").last).to_contain_text("Shown: enrollment facts")
    shoot(page, "4-access-log.png", tmp_path)

    # The same log in Chinese: the page's words and the vocabulary's labels.
    page.click("#language")
    expect(page.locator("li.entry").first).to_contain_text("已拒绝：您已撤回授权")
    expect(page.locator("li.entry").last).to_contain_text("已提供：参保信息")
    expect(page.locator("li.entry[data-check=verified]").first).to_contain_text("与区块链记录一致")
    shoot(page, "6-access-log-zh.png", tmp_path)
