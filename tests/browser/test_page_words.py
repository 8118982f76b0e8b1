"""The page speaks the patient's language, and says what went wrong in words they understand."""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from trustshare.chain.devchain import free_port

from ..conftest import Network
from .conftest import BureauNode
from .page_support import ID_NUMBER, PASSWORD, counter, create_key, shoot, stored_address

pytestmark = pytest.mark.chain


def test_chinese_by_default_wrong_password_and_an_unreachable_chain(
    page_zh: Page, bureau_node: BureauNode, network: Network, tmp_path: Path
) -> None:
    page = page_zh
    page.goto(bureau_node.page_url)
    expect(page.locator("h1")).to_have_text("我的医保数据授权")  # the browser's language
    create_key(page)
    expect(page.locator("#binding-state")).to_have_text("您的密钥尚未绑定到您的医保记录。")

    # A chain node that does not answer: the patient is told, and nothing is saved.
    page.click("#tab-settings")
    page.fill("#chain-url", f"http://127.0.0.1:{free_port()}")
    page.click("#save-chain")
    expect(page.locator("#chain-form .notice.error")).to_have_text(
        "暂时无法读取区块链，无法完成核验，请几分钟后重试。"
    )
    # The patient's own node (anvil, straight from the browser) instead of the bureau's window.
    rpc_url = str(network.w3.provider.endpoint_uri)  # type: ignore[attr-defined]
    page.fill("#chain-url", rpc_url)
    page.click("#save-chain")
    expect(page.locator("#chain-now")).to_have_text(f"当前：{rpc_url}")
    page.click("#tab-link")
    expect(page.locator("#binding-state")).to_have_text("您的密钥尚未绑定到您的医保记录。")

    # Locked: a wrong password is refused in Chinese, then (after the switch) in English.
    page.click("#tab-settings")
    page.click("#lock")
    page.fill("#unlock-password", "not my password")
    page.click("#unlock")
    expect(page.locator("#unlock-form .notice.error")).to_have_text(
        "密码不正确，未进行任何签名，请重试。"
    )
    shoot(page, "5-wrong-password-zh.png", tmp_path)
    page.click("#language")
    expect(page.locator("h1")).to_have_text("My health-data consents")
    page.fill("#unlock-password", "still not my password")
    page.click("#unlock")
    expect(page.locator("#unlock-form .notice.error")).to_have_text(
        "That password is not right. Nothing was signed — try again."
    )
    page.fill("#unlock-password", PASSWORD)
    page.click("#unlock")
    expect(page.locator("#tab-consents")).to_have_attribute("aria-selected", "true")


def test_an_imported_key_and_a_grant_the_chain_would_refuse(
    page: Page, bureau_node: BureauNode, network: Network
) -> None:
    page.goto(bureau_node.page_url)
    page.fill("#import-text", "0x" + bytes(network.patient.key).hex())
    page.fill("#import-password", "short")
    page.click("#import-key")
    expect(page.locator("#import-form .notice.error")).to_have_text(
        "Choose a password of at least 8 characters."
    )
    page.fill("#import-password", PASSWORD)
    page.click("#import-key")
    expect(page.locator("#tab-consents")).to_have_attribute("aria-selected", "true")
    assert stored_address(page) == network.patient.address
    assert "a1" * 32 not in str(page.evaluate("JSON.stringify(localStorage)"))

    page.click("#tab-link")
    page.fill("#voucher", "tsbv1.not-a-voucher-of-this-bureau")
    page.click("#link-key")
    expect(page.locator("#voucher-form .notice.error")).to_have_text(
        "The bureau does not recognise this voucher. Check you typed it exactly as printed."
    )
    voucher = counter(bureau_node, "/v1/binding-vouchers", {"id_number": ID_NUMBER})["voucher"]
    page.fill("#voucher", voucher)
    page.click("#link-key")
    expect(page.locator("#binding-state")).to_have_class("linked")

    # The form was drawn while Insurer B was in the network; it leaves before the patient signs.
    page.click("#tab-consents")
    page.select_option("#grant-insurer", label="Insurer B")
    page.click("#grant")
    expect(page.locator("#grant-form .notice.error")).to_have_text(
        "Tick at least one item they may see."
    )
    page.check("#scope-settlement_summary")
    page.check("#purpose-claim")
    network.registries(network.operator).participants.remove(network.insurer_b.address)
    page.click("#grant")
    expect(page.locator("#grant-form .notice.error")).to_have_text(
        "This insurer has left the network: it can no longer be given consent."
    )
