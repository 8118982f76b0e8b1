"""A complete local network for development and the demo: chain, registries, demo parties.

Dev-only: uses anvil's funded development accounts. Account 0 is the network operator, 1 the
demo bureau, 2 and 3 the demo insurers. Insurers' X25519 sealing keys are generated on first
start and, with a state directory, kept in ``dev-keys.json`` beside the chain state so a
restart finds the same network.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path

from eth_account.signers.local import LocalAccount
from web3 import Web3

from trustshare.chain.deployment import Deployment, deploy_registries
from trustshare.chain.devchain import DevChain, dev_accounts
from trustshare.chain.registries import Registries
from trustshare.chain.sender import TransactionSender, TxOutcome
from trustshare.crypto.pseudonym import PseudonymKey
from trustshare.crypto.sealing import SealingPrivateKey

DEMO_BUREAU_NAME = "Demo Provincial Medical Insurance Bureau"
DEMO_INSURER_NAMES = ("Insurer A", "Insurer B")


@dataclass(frozen=True)
class DemoInsurer:
    """A demo insurer: its chain account and its record-sealing key."""

    name: str
    account: LocalAccount
    sealing_key: SealingPrivateKey


@dataclass
class DevNetwork:
    """A running local network."""

    chain: DevChain
    w3: Web3
    deployment: Deployment
    operator: LocalAccount
    bureau: LocalAccount
    bureau_pseudonym_key: PseudonymKey
    insurers: list[DemoInsurer]
    setup_outcomes: dict[str, TxOutcome]

    def registries(self, account: LocalAccount | None = None) -> Registries:
        """The registries, sending as ``account`` (read-only if None)."""
        sender = TransactionSender(self.w3, account) if account is not None else None
        return Registries.connect(self.w3, self.deployment, sender)

    def stop(self) -> None:
        """Stop the chain (writing its state file, if any)."""
        self.chain.stop()


def start_dev_network(
    *,
    port: int | None = None,
    state_dir: Path | None = None,
    block_time: float | None = None,
) -> DevNetwork:
    """Start anvil, then deploy and register the demo parties, or reload them from ``state_dir``."""
    state_file = state_dir / "chain-state.json" if state_dir else None
    chain = DevChain.start(port=port, state_file=state_file, block_time=block_time)
    try:
        return _prepare(chain, state_dir)
    except BaseException:
        chain.stop()
        raise


def _prepare(chain: DevChain, state_dir: Path | None) -> DevNetwork:
    w3 = Web3(Web3.HTTPProvider(chain.rpc_url))
    operator, bureau, *insurer_accounts = dev_accounts(2 + len(DEMO_INSURER_NAMES))
    deployment_file = state_dir / "deployment.json" if state_dir else None
    keys_file = state_dir / "dev-keys.json" if state_dir else None
    if deployment_file and keys_file and deployment_file.exists() and keys_file.exists():
        deployment = Deployment.read(deployment_file)
        deployment.check(w3)
        keys = json.loads(keys_file.read_text())
        return DevNetwork(
            chain,
            w3,
            deployment,
            operator,
            bureau,
            PseudonymKey.from_hex(keys["bureau_pseudonym_key"]),
            [
                DemoInsurer(name, account, SealingPrivateKey(keys["insurer_sealing_keys"][i]))
                for i, (name, account) in enumerate(
                    zip(DEMO_INSURER_NAMES, insurer_accounts, strict=True)
                )
            ],
            {},
        )

    operator_sender = TransactionSender(w3, operator)
    outcomes: dict[str, TxOutcome] = {}
    deployment = deploy_registries(
        operator_sender, lambda name, outcome: outcomes.__setitem__(f"deploy {name}", outcome)
    )
    participants = Registries.connect(w3, deployment, operator_sender).participants
    outcomes["register bureau"] = participants.register_bureau(
        bureau.address, DEMO_BUREAU_NAME, "http://127.0.0.1:8701"
    )
    insurers = []
    for index, (name, account) in enumerate(zip(DEMO_INSURER_NAMES, insurer_accounts, strict=True)):
        sealing_key = SealingPrivateKey.generate()
        outcomes[f"register {name}"] = participants.register_insurer(
            account.address,
            name,
            sealing_key.public_key().to_bytes(),
            f"http://127.0.0.1:{8801 + index}",
        )
        insurers.append(DemoInsurer(name, account, sealing_key))
    pseudonym_key = PseudonymKey.generate()
    if deployment_file and keys_file:
        deployment.write(deployment_file)
        keys_file.write_text(
            json.dumps(
                {
                    "warning": "development keys only; never use on a real network",
                    "bureau_pseudonym_key": pseudonym_key.reveal_bytes().hex(),
                    "insurer_sealing_keys": [i.sealing_key.reveal_bytes().hex() for i in insurers],
                },
                indent=2,
            )
        )
        os.chmod(keys_file, 0o600)
    return DevNetwork(chain, w3, deployment, operator, bureau, pseudonym_key, insurers, outcomes)
