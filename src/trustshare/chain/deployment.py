"""Deploying the registries and the deployment file that tells nodes where they are."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path

from web3 import Web3

from trustshare.chain.compiled import load_artifact
from trustshare.chain.errors import DeploymentError
from trustshare.chain.sender import TransactionSender, TxOutcome


@dataclass(frozen=True)
class Deployment:
    """Where the registries live on one chain."""

    chain_id: int
    participants: str
    consent_registry: str
    attestation_registry: str
    claim_registry: str
    operator: str
    deployed_at_block: int

    def write(self, path: Path) -> None:
        """Write the deployment file (JSON)."""
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(asdict(self), indent=2, sort_keys=True) + "\n")

    @classmethod
    def read(cls, path: Path) -> Deployment:
        """Read a deployment file, naming what is wrong if it is not one."""
        try:
            data = json.loads(path.read_text())
            return cls(**{name: data[name] for name in cls.__dataclass_fields__})
        except FileNotFoundError as exc:
            raise DeploymentError(f"deployment file {path} does not exist") from exc
        except (json.JSONDecodeError, KeyError, TypeError) as exc:
            raise DeploymentError(f"{path} is not a TrustShare deployment file: {exc}") from exc

    def check(self, w3: Web3) -> None:
        """Ensure that ``w3`` is the chain of this deployment and the registries have code."""
        actual = w3.eth.chain_id
        if actual != self.chain_id:
            raise DeploymentError(
                f"deployment is for chain {self.chain_id} but the node is on chain {actual}"
            )
        for name in ("participants", "consent_registry", "attestation_registry", "claim_registry"):
            address = getattr(self, name)
            if not w3.eth.get_code(Web3.to_checksum_address(address)):
                raise DeploymentError(f"no contract at {name} address {address} on chain {actual}")


def deploy_registries(
    sender: TransactionSender,
    on_deployed: Callable[[str, TxOutcome], None] | None = None,
) -> Deployment:
    """Deploy Participants, ConsentRegistry, AttestationRegistry and ClaimRegistry.

    The sender's account becomes the network operator. ``on_deployed(contract_name, outcome)``
    is called after each deployment (for printing transactions and gas).
    """
    addresses: dict[str, str] = {}
    first_block: int | None = None
    plan = (
        ("participants", "Participants", lambda: (sender.address,)),
        ("consent_registry", "ConsentRegistry", lambda: (addresses["participants"],)),
        ("attestation_registry", "AttestationRegistry", lambda: (addresses["participants"],)),
        (
            "claim_registry",
            "ClaimRegistry",
            lambda: (addresses["attestation_registry"], addresses["consent_registry"]),
        ),
    )
    for key, contract_name, arguments in plan:
        artifact = load_artifact(contract_name)
        outcome = sender.deploy(artifact.abi, artifact.bytecode, *arguments())
        address = outcome.receipt["contractAddress"]
        if address is None:
            raise DeploymentError(f"{contract_name} deployment produced no contract address")
        addresses[key] = Web3.to_checksum_address(address)
        if on_deployed is not None:
            on_deployed(contract_name, outcome)
        first_block = outcome.block_number if first_block is None else first_block
    return Deployment(
        chain_id=sender.w3.eth.chain_id,
        operator=sender.address,
        deployed_at_block=first_block or 0,
        **addresses,
    )
