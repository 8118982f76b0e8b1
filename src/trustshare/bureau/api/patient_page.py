"""The patient consent page: its static files and the two things it asks the node for.

The page (built from ``web/patient/`` into ``bureau/static/patient/``) holds the patient's key
in the browser and signs everything there; the node only serves it and helps it find the chain:

- ``GET /v1/patient-page/config``: the chain id, the registries' addresses and ABIs, the block
  they were deployed at, this bureau's address and the consent vocabulary with its English and
  Chinese labels — public facts, nothing about any patient;
- ``POST /v1/patient-page/chain``: a read-only JSON-RPC window on the bureau's chain node, so a
  browser needs no RPC URL of its own. It forwards only ``eth_chainId``, ``eth_blockNumber``,
  ``eth_getBlockByNumber`` (without transactions), and ``eth_call`` / ``eth_getLogs`` aimed at
  the network's registries; anything else is refused. The page decodes and checks the answers
  itself (access-log proofs included), and a patient who would rather not trust this window
  points the page at a chain node of their own.
"""

from __future__ import annotations

import re
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Annotated, Any, Final

from fastapi import APIRouter, Body
from fastapi.responses import FileResponse, JSONResponse, RedirectResponse

from trustshare.bureau.api.deps import ContextDep
from trustshare.chain.compiled import load_artifact
from trustshare.crypto.vocabulary import Purpose, Scope
from trustshare.gateway.errors import ApiError, NotFound

router = APIRouter(tags=["patient page"])

PAGE_PATH: Final = "/patient/"
STATIC_PACKAGE: Final = "trustshare.bureau"
_CONTENT_TYPES: Final = {
    ".html": "text/html; charset=utf-8",
    ".js": "text/javascript; charset=utf-8",
    ".css": "text/css; charset=utf-8",
}
# The key lives in this origin's localStorage: only the page's own script may run here. The
# page talks to this node, or to a chain node the patient names (any http(s) URL).
_SECURITY_HEADERS: Final = {
    "Content-Security-Policy": (
        "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
        "connect-src 'self' http: https:; form-action 'none'; base-uri 'none'; "
        "frame-ancestors 'none'"
    ),
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-cache",
}
_REGISTRIES: Final = {
    "participants": "Participants",
    "consent_registry": "ConsentRegistry",
    "attestation_registry": "AttestationRegistry",
}
_PLAIN_METHODS: Final = frozenset({"eth_chainId", "eth_blockNumber"})
_BLOCK_TAG = re.compile(r"^(latest|0x(0|[1-9a-f][0-9a-f]{0,15}))$")
_HEX_DATA = re.compile(r"^0x([0-9a-fA-F]{2})*$")
_TOPIC = re.compile(r"^0x[0-9a-fA-F]{64}$")
_MAX_CALL_BYTES: Final = 64 * 1024


def static_dir() -> Path:
    """The folder of the built page (``bureau/static/patient`` inside the package)."""
    return Path(str(resources.files(STATIC_PACKAGE).joinpath("static", "patient")))


@cache
def _page_files() -> dict[str, Path]:
    folder = static_dir()
    if not folder.is_dir():
        return {}
    return {
        path.name: path
        for path in folder.iterdir()
        if path.is_file() and path.suffix in _CONTENT_TYPES
    }


@router.get("/patient", include_in_schema=False)
def page_without_slash() -> RedirectResponse:
    """The page lives at ``/patient/`` (its files are named relative to it)."""
    return RedirectResponse(PAGE_PATH, status_code=308)


@router.get(PAGE_PATH, include_in_schema=False)
def page() -> FileResponse:
    """The patient consent page."""
    return page_file("index.html")


@router.get(PAGE_PATH + "{name}", include_in_schema=False)
def page_file(name: str) -> FileResponse:
    """One of the page's built files (a fixed set: nothing else on disk is reachable)."""
    path = _page_files().get(name)
    if path is None:
        if not _page_files():
            raise ApiError(
                "patient_page_not_built",
                "the patient page is not built into this package: run `make setup`",
                status_code=503,
            )
        raise NotFound("page_file_not_found", f"the patient page has no file {name!r}")
    return FileResponse(path, media_type=_CONTENT_TYPES[path.suffix], headers=_SECURITY_HEADERS)


def _vocabulary(flags: type[Scope] | type[Purpose]) -> list[dict[str, Any]]:
    return [
        {"bit": int(flag), "key": flag.key, "en": flag.label_en, "zh": flag.label_zh}
        for flag in flags
    ]


@router.get("/v1/patient-page/config")
def page_config(context: ContextDep) -> dict[str, Any]:
    """Public facts the page needs: the chain, the registries, this bureau, the vocabulary."""
    deployment = context.deployment
    return {
        "bureau": context.address,
        "chain": {
            "chain_id": deployment.chain_id,
            "deployed_at_block": deployment.deployed_at_block,
            "contracts": {
                key: {"address": getattr(deployment, key), "abi": load_artifact(name).abi}
                for key, name in _REGISTRIES.items()
            },
        },
        "request_window_s": context.settings.request_window_s,
        "vocabulary": {"scopes": _vocabulary(Scope), "purposes": _vocabulary(Purpose)},
    }


class ChainReadRefused(ValueError):
    """A JSON-RPC request the read-only window does not forward; the message says why."""


def checked_read(
    method: str, params: list[Any], registries: frozenset[str]
) -> tuple[str, list[Any]]:
    """``method`` and ``params`` rebuilt from the allowed fields only, or refused."""
    if method in _PLAIN_METHODS:
        return method, []
    if method == "eth_getBlockByNumber":
        if len(params) < 1 or not _is_block_tag(params[0]):
            raise ChainReadRefused("eth_getBlockByNumber takes a block number or 'latest'")
        return method, [params[0], False]
    if method == "eth_call":
        call = params[0] if params and isinstance(params[0], dict) else {}
        to, data = str(call.get("to", "")).lower(), call.get("data", call.get("input"))
        if to not in registries:
            raise ChainReadRefused("eth_call is forwarded to the network's registries only")
        if not isinstance(data, str) or not _HEX_DATA.match(data) or len(data) > _MAX_CALL_BYTES:
            raise ChainReadRefused("eth_call needs hex call data")
        block = params[1] if len(params) > 1 else "latest"
        if not _is_block_tag(block):
            raise ChainReadRefused("eth_call takes a block number or 'latest'")
        return method, [{"to": to, "data": data}, block]
    if method == "eth_getLogs":
        query = params[0] if params and isinstance(params[0], dict) else {}
        return method, [_checked_log_query(query, registries)]
    raise ChainReadRefused(f"{method} is not one of the chain reads this window forwards")


def _is_block_tag(value: object) -> bool:
    return isinstance(value, str) and bool(_BLOCK_TAG.match(value))


def _is_topic(value: object) -> bool:
    return value is None or (isinstance(value, str) and bool(_TOPIC.match(value)))


def _checked_log_query(query: dict[str, Any], registries: frozenset[str]) -> dict[str, Any]:
    address = query.get("address")
    if not isinstance(address, str) or address.lower() not in registries:
        raise ChainReadRefused("eth_getLogs is forwarded for one of the registries only")
    topics = query.get("topics", [])
    if not isinstance(topics, list) or len(topics) > 4 or not all(map(_is_topic, topics)):
        raise ChainReadRefused("eth_getLogs topics must be up to four 32-byte values or null")
    blocks = {key: query.get(key, "latest") for key in ("fromBlock", "toBlock")}
    if not all(_is_block_tag(value) for value in blocks.values()):
        raise ChainReadRefused("eth_getLogs blocks must be block numbers or 'latest'")
    return {"address": address.lower(), "topics": topics, **blocks}


@router.post("/v1/patient-page/chain")
def chain_read(request: Annotated[dict[str, Any], Body()], context: ContextDep) -> JSONResponse:
    """Forward one read-only JSON-RPC request to the chain (see the module docstring).

    Answers in JSON-RPC: a refused or failed read is an ``error`` member, an unreachable chain
    the code -32004 with a message saying so.
    """
    request_id = request.get("id")

    def answer(member: str, value: Any) -> JSONResponse:
        return JSONResponse({"jsonrpc": "2.0", "id": request_id, member: value})

    params = request.get("params", [])
    try:
        if not isinstance(params, list):
            raise ChainReadRefused("params must be a list")
        registries = frozenset(str(getattr(context.deployment, key)).lower() for key in _REGISTRIES)
        method, checked = checked_read(str(request.get("method")), params, registries)
    except ChainReadRefused as refused:
        return answer("error", {"code": -32601, "message": str(refused)})
    try:
        response = context.w3.provider.make_request(method, checked)  # type: ignore[arg-type]
    except OSError as error:
        message = f"the bureau cannot reach its chain node: {type(error).__name__}"
        return answer("error", {"code": -32004, "message": message})
    if "error" in response:
        return answer("error", response["error"])
    return answer("result", response.get("result"))
