"""Each node's files under the state dir: its keys and the config file it is started with.

``<state>/<slug>/node.toml`` is exactly what an operator would hand to ``trustshare bureau
serve`` or ``trustshare insurer serve`` through ``TRUSTSHARE_BUREAU_CONFIG`` /
``TRUSTSHARE_INSURER_CONFIG``. It holds secrets (the bureau's chain and pseudonym keys, bearer
tokens), so it is written with mode 0600; an insurer's keys live in its ``keystore.json``,
written by the same code as ``trustshare insurer keygen``. Secrets are generated once and kept
across restarts; what depends on the run (the chain's URL) is rewritten on every start.
"""

from __future__ import annotations

import json
import secrets
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from eth_account import Account
from pydantic import ValidationError

from trustshare.bureau.settings import BureauSettings
from trustshare.crypto.pseudonym import PseudonymKey
from trustshare.gateway.node_settings import NodeSettings
from trustshare.insurer.keystore import Keystore
from trustshare.insurer.settings import InsurerSettings
from trustshare.network.errors import PlanError
from trustshare.network.files import replace_file
from trustshare.network.plan import BureauPlan, InsurerPlan

CONFIG_FILE = "node.toml"
DATABASE_FILE = "node.db"
LOG_FILE = "node.log"
KEYSTORE_FILE = "keystore.json"
#: The files that mark a directory as a node's (and so safe to delete with ``--fresh``).
NODE_FILES = (CONFIG_FILE, DATABASE_FILE, LOG_FILE, KEYSTORE_FILE)


def _toml_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value)
    if isinstance(value, str | Path):
        # JSON's escapes are TOML's, but TOML also wants DEL escaped.
        return json.dumps(str(value), ensure_ascii=False).replace("\x7f", "\\u007f")
    if isinstance(value, Mapping):
        items = ", ".join(f"{_toml_value(str(k))} = {_toml_value(v)}" for k, v in value.items())
        return "{ " + items + " }"
    if isinstance(value, list | tuple):
        return "[" + ", ".join(_toml_value(item) for item in value) + "]"
    raise TypeError(f"cannot write {type(value).__name__} to a node config")


def write_toml(path: Path, settings: Mapping[str, Any]) -> None:
    """Write flat ``settings`` as TOML, mode 0600, atomically; read back to prove it parses."""
    text = "".join(f"{key} = {_toml_value(value)}\n" for key, value in settings.items())
    try:
        text.encode("utf-8")
        faithful = tomllib.loads(text) == json.loads(json.dumps(settings, default=str))
    except ValueError:  # not UTF-8 (a lone surrogate), or not TOML
        faithful = False
    if not faithful:
        raise ValueError(f"a setting for {path} does not survive TOML")
    replace_file(path, text, private=True)


def read_toml(path: Path) -> dict[str, Any]:
    """A node config file's settings ({} if there is none yet)."""
    if not path.exists():
        return {}
    with path.open("rb") as handle:
        return tomllib.load(handle)


@dataclass(frozen=True)
class ChainPlace:
    """Where the nodes find the chain and the registries (changes with the chain's port)."""

    rpc_url: str
    deployment_file: Path


def _node_basics(directory: Path, name: str, chain: ChainPlace) -> dict[str, Any]:
    """What every node's config says: its name, its SQLite file, where the chain is."""
    return {
        "name": name,
        "database_url": f"sqlite:///{directory / DATABASE_FILE}",
        "rpc_url": chain.rpc_url,
        "deployment_file": str(chain.deployment_file),
    }


def _checked(settings_cls: type[NodeSettings], name: str, values: dict[str, Any]) -> None:
    """Refuse settings the node would refuse, naming each, before any node starts."""
    try:
        settings_cls(**values)
    except ValidationError as error:
        problems = "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in error.errors())
        raise PlanError(f"{name}: settings refused: {problems}") from error


def prepare_bureau(
    directory: Path, plan: BureauPlan, chain: ChainPlace, overrides: Mapping[str, Any]
) -> Path:
    """Write the bureau's config (keys and tokens kept if it exists); return its path."""
    config_file = directory / CONFIG_FILE
    kept = read_toml(config_file)
    values: dict[str, Any] = {
        **_node_basics(directory, plan.name, chain),
        "chain_key": kept.get("chain_key") or "0x" + bytes(Account.create().key).hex(),
        "pseudonym_key": kept.get("pseudonym_key") or PseudonymKey.generate().reveal_bytes().hex(),
        "hospital_tokens": kept.get("hospital_tokens")
        or {plan.hospital: secrets.token_urlsafe(32)},
        "operator_token": kept.get("operator_token") or secrets.token_urlsafe(32),
        "regions": [plan.region],
        **overrides,
    }
    _checked(BureauSettings, plan.name, values)
    write_toml(config_file, values)
    return config_file


def prepare_insurer(
    directory: Path, plan: InsurerPlan, chain: ChainPlace, overrides: Mapping[str, Any]
) -> Path:
    """Make the insurer's keystore if it has none, write its config; return the config's path."""
    keystore_file = directory / KEYSTORE_FILE
    if not keystore_file.exists():
        Keystore.generate().write(keystore_file)
    config_file = directory / CONFIG_FILE
    kept = read_toml(config_file)
    values: dict[str, Any] = {
        **_node_basics(directory, plan.name, chain),
        "keystore_file": str(keystore_file),
        "operator_token": kept.get("operator_token") or secrets.token_urlsafe(32),
        **overrides,
    }
    _checked(InsurerSettings, plan.name, values)
    write_toml(config_file, values)
    return config_file


def bureau_settings(config_file: Path) -> BureauSettings:
    """The settings a bureau node reads from ``config_file``."""
    return BureauSettings(**read_toml(config_file))


def insurer_settings(config_file: Path) -> InsurerSettings:
    """The settings an insurer node reads from ``config_file``."""
    return InsurerSettings(**read_toml(config_file))
