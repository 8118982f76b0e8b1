"""Fixtures of the browser tests: Debian's Chromium driven by Playwright, a served bureau node.

Chromium is the one ``make setup`` installs (``scripts/ensure_chromium.sh``) at
``/usr/bin/chromium``; nothing downloads a browser. The bureau node is the real app served by
uvicorn on a loopback port, with its clearing publisher running, on the session's anvil.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from playwright.sync_api import (
    Browser,
    BrowserContext,
    Page,
    Playwright,
    ViewportSize,
    sync_playwright,
)
from pydantic import SecretStr

from trustshare.bureau.app import create_app
from trustshare.bureau.context import BureauContext
from trustshare.bureau.settings import BureauSettings
from trustshare.storage.migrate import upgrade

from ..bureau.hospital_support import serve
from ..conftest import Network

CHROMIUM = Path("/usr/bin/chromium")
# Flags that work on a machine without a network or a GPU (no background connections).
CHROMIUM_FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
PHONE = ViewportSize(width=375, height=812)
PSEUDONYM_KEY_HEX = "7a" * 32


# Package scope, not session: while Playwright's sync driver runs, the main thread sees its
# event loop as running (asyncio.run() fails there), so it must stop before other packages' tests.
@pytest.fixture(scope="package")
def playwright_driver() -> Iterator[Playwright]:
    with sync_playwright() as driver:
        yield driver


@pytest.fixture(scope="package")
def browser(playwright_driver: Playwright) -> Iterator[Browser]:
    if not CHROMIUM.exists():
        pytest.fail(
            f"{CHROMIUM} is missing: run `make setup` (it installs Debian's chromium package "
            "for the browser tests)",
            pytrace=False,
        )
    browser = playwright_driver.chromium.launch(
        executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_FLAGS
    )
    yield browser
    browser.close()


@dataclass
class BureauNode:
    """A served bureau node and what a test does as its operator."""

    url: str
    context: BureauContext
    operator_token: str

    @property
    def page_url(self) -> str:
        return f"{self.url}/patient/"

    @property
    def operator(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.operator_token}"}


@pytest.fixture
def bureau_node(network: Network, tmp_path: Path) -> Iterator[BureauNode]:
    deployment_file = tmp_path / "deployment.json"
    network.deployment.write(deployment_file)
    token = secrets.token_urlsafe(24)
    settings = BureauSettings(
        database_url=f"sqlite:///{tmp_path / 'bureau.db'}",
        rpc_url=str(network.w3.provider.endpoint_uri),  # type: ignore[attr-defined]
        deployment_file=deployment_file,
        chain_key=SecretStr(bytes(network.bureau.key).hex()),
        pseudonym_key=SecretStr(PSEUDONYM_KEY_HEX),
        operator_token=SecretStr(token),
        batch_max_wait_ms=0,
        publisher_poll_ms=50,
    )
    upgrade(settings.database_url)
    context = BureauContext.from_settings(settings)
    try:
        with serve(create_app(settings, context=context), lifespan=True) as url:
            yield BureauNode(url, context, token)
    finally:
        context.engine.dispose()


def _new_page(browser: Browser, locale: str) -> Iterator[Page]:
    context: BrowserContext = browser.new_context(viewport=PHONE, locale=locale)
    context.set_default_timeout(20_000)
    page = context.new_page()
    # The page's console and errors appear in the report of a failing test.
    page.on("console", lambda message: print(f"browser console {message.type}: {message.text}"))
    page.on("pageerror", lambda error: print(f"browser error: {error}"))
    yield page
    context.close()


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    """A fresh browser profile (empty localStorage) at phone width, in English."""
    yield from _new_page(browser, "en-GB")


@pytest.fixture
def page_zh(browser: Browser) -> Iterator[Page]:
    """A fresh browser profile at phone width whose browser language is Chinese."""
    yield from _new_page(browser, "zh-CN")
