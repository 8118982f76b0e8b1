"""What the browser tests do as a patient, as the bureau's counter and as an insurer."""

from __future__ import annotations

import json
import os
import shutil
import time
from pathlib import Path
from typing import Any

import httpx
from eth_account.signers.local import LocalAccount
from eth_utils.address import to_checksum_address
from playwright.sync_api import Page

from trustshare.gateway.signing import sign_request

from .conftest import BureauNode

SCREENSHOTS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"
SCREENSHOTS_ENV = "TRUSTSHARE_SCREENSHOTS"
"""Set to 1 to refresh the committed screenshots in docs/screenshots (else they go to tmp)."""
ID_NUMBER = "11010519491231002X"
"""A well-formed resident ID number (GB 11643 check digit) of nobody in particular."""
PASSWORD = "correct horse battery"


def shoot(page: Page, name: str, tmp_path: Path) -> Path:
    """Screenshot the whole page as ``name``; into docs/screenshots when asked to."""
    path = tmp_path / name
    page.screenshot(path=path, full_page=True, animations="disabled")
    if os.environ.get(SCREENSHOTS_ENV) == "1":
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(path, SCREENSHOTS / name)
    return path


def create_key(page: Page, password: str = PASSWORD) -> str:
    """Create a key on the open page; return the address the page stored it for."""
    page.fill("#new-password", password)
    page.fill("#new-password-repeat", password)
    page.click("#create-key")
    page.wait_for_selector("#tab-link[aria-selected=true]")
    return stored_address(page)


def stored_address(page: Page) -> str:
    """The address of the keystore in the page's localStorage (read without its password)."""
    keystore = page.evaluate("localStorage.getItem('trustshare.patient.keystore')")
    assert isinstance(keystore, str), "no keystore in localStorage"
    return str(to_checksum_address("0x" + str(json.loads(keystore)["address"]).removeprefix("0x")))


def counter(node: BureauNode, path: str, body: dict[str, Any]) -> dict[str, Any]:
    """An operator request, as the bureau's service counter makes it."""
    answer = httpx.post(node.url + path, json=body, headers=node.operator, timeout=30)
    assert answer.is_success, answer.text
    result: dict[str, Any] = answer.json()
    return result


def insurer_release(node: BureauNode, insurer: LocalAccount, pseudonym: bytes) -> httpx.Response:
    """The insurer asks for the person's latest enrollment record, for underwriting."""
    body = {
        "record_type": "enrollment",
        "pseudonym": "0x" + pseudonym.hex(),
        "purpose": "underwriting",
        "scopes": ["enrollment"],
    }
    raw = json.dumps(body).encode()
    headers = sign_request(insurer, "POST", "/v1/releases", raw, now=time.time())
    headers["Content-Type"] = "application/json"
    return httpx.post(node.url + "/v1/releases", content=raw, headers=headers, timeout=30)


def release_once_committed(
    node: BureauNode, insurer: LocalAccount, pseudonym: bytes, timeout_s: float = 20
) -> httpx.Response:
    """:func:`insurer_release`, retried while the record's batch is not final (409)."""
    deadline = time.monotonic() + timeout_s
    while True:
        answer = insurer_release(node, insurer, pseudonym)
        if answer.status_code != 409 or time.monotonic() > deadline:
            return answer
        time.sleep(0.2)
