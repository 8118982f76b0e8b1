"""What a network is, as others use it: its chain, its bureaus and insurers, their URLs.

Saved as ``network.json`` in the state dir (no secret in it: those stay in each node's 0600
config and keystore, reachable through :meth:`BureauNode.settings` and
:meth:`InsurerNode.keystore`). A restart reads it back to bring up the same parties.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, ClassVar

from web3 import Web3

from trustshare.bureau.settings import BureauSettings
from trustshare.chain.deployment import Deployment
from trustshare.chain.registries import Registries
from trustshare.insurer.keystore import Keystore
from trustshare.insurer.settings import InsurerSettings
from trustshare.network.configs import bureau_settings, insurer_settings
from trustshare.network.errors import NetworkError
from trustshare.network.files import replace_file
from trustshare.network.plan import BureauPlan, InsurerPlan, NetworkPlan

MANIFEST_FILE = "network.json"
DEPLOYMENT_FILE = "deployment.json"


@dataclass(frozen=True)
class Node:
    """What every node of the network has: a name, a chain address, a URL, its files."""

    role: ClassVar[str] = ""
    name: str
    address: str
    url: str
    config_file: Path
    log_file: Path

    @property
    def docs_url(self) -> str:
        """Its OpenAPI page."""
        return f"{self.url}/docs"

    @property
    def port(self) -> int:
        """The loopback port it listens on."""
        return int(self.url.rsplit(":", 1)[1])


@dataclass(frozen=True)
class BureauNode(Node):
    """A running bureau node: the bureau of one region, with one hospital configured."""

    role: ClassVar[str] = "bureau"
    region: str
    hospital: str

    @property
    def detail(self) -> str:
        """What it covers, for listings."""
        return f"region {self.region}"

    def settings(self) -> BureauSettings:
        """Its settings, secrets included (hospital and operator tokens, keys)."""
        return bureau_settings(self.config_file)


@dataclass(frozen=True)
class InsurerNode(Node):
    """A running insurer node, its sealing key registered on chain."""

    role: ClassVar[str] = "insurer"
    products: tuple[str, ...]
    encryption_key: str
    keystore_file: Path

    @property
    def detail(self) -> str:
        """What it sells, for listings."""
        return "products " + ", ".join(self.products)

    def settings(self) -> InsurerSettings:
        """Its settings (the claims staff's operator token among them)."""
        return insurer_settings(self.config_file)

    def keystore(self) -> Keystore:
        """Its chain key and X25519 sealing keys."""
        return Keystore.read(self.keystore_file)


@dataclass(frozen=True)
class NetworkDescription:
    """The chain and the nodes of one network, as saved in its state dir."""

    state_dir: Path
    rpc_url: str
    deployment: Deployment
    bureaus: tuple[BureauNode, ...]
    insurers: tuple[InsurerNode, ...]

    @property
    def deployment_file(self) -> Path:
        """The deployment file every node reads."""
        return self.state_dir / DEPLOYMENT_FILE

    @property
    def nodes(self) -> tuple[BureauNode | InsurerNode, ...]:
        """Bureaus, then insurers."""
        return (*self.bureaus, *self.insurers)

    @property
    def plan(self) -> NetworkPlan:
        """The parties, as a plan (what a restart brings back)."""
        return NetworkPlan(
            tuple(BureauPlan(bureau.region) for bureau in self.bureaus),
            tuple(InsurerPlan(insurer.name, insurer.products) for insurer in self.insurers),
        )

    def registries(self) -> Registries:
        """Read-only clients of the network's registries."""
        w3 = Web3(Web3.HTTPProvider(self.rpc_url))
        return Registries.connect(w3, self.deployment)

    def write(self) -> None:
        """Save as ``network.json`` (atomically)."""
        data = {
            "rpc_url": self.rpc_url,
            "bureaus": [_node_json(bureau) for bureau in self.bureaus],
            "insurers": [_node_json(insurer) for insurer in self.insurers],
        }
        replace_file(self.state_dir / MANIFEST_FILE, json.dumps(data, indent=2) + "\n")

    @classmethod
    def read(cls, state_dir: Path) -> NetworkDescription | None:
        """The saved network, or None if this state dir holds none (or only a broken one)."""
        try:
            data: Any = json.loads((state_dir / MANIFEST_FILE).read_text())
            return cls(
                state_dir,
                str(data["rpc_url"]),
                Deployment.read(state_dir / DEPLOYMENT_FILE),
                tuple(BureauNode(**_paths(node)) for node in data["bureaus"]),
                tuple(
                    InsurerNode(**{**_paths(node), "products": tuple(node["products"])})
                    for node in data["insurers"]
                ),
            )
        except (OSError, ValueError, KeyError, TypeError, NetworkError):
            return None


def _node_json(node: BureauNode | InsurerNode) -> dict[str, Any]:
    return json.loads(json.dumps(asdict(node), default=str))  # type: ignore[no-any-return]


def _paths(node: dict[str, Any]) -> dict[str, Any]:
    path_fields = ("config_file", "log_file", "keystore_file")
    return {key: Path(value) if key in path_fields else value for key, value in node.items()}
