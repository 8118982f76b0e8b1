"""What the scenario reads from the chain, as any observer could: transactions and events.

Nodes report the transactions they send (relays, claims, batches); their gas comes from the
receipts here. Transactions a node sends on its own (a supersession, a claim's reversal) are
found by the events they emit. :meth:`ChainWatch.totals` counts every transaction of a block
range by the registry it called.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from web3 import Web3
from web3.logs import DISCARD

from trustshare.chain.deployment import Deployment
from trustshare.chain.registries import BatchKind, Registries
from trustshare.scenario.text import short

REGISTRY_NAMES = ("Participants", "ConsentRegistry", "AttestationRegistry", "ClaimRegistry")


@dataclass(frozen=True)
class Tx:
    """One mined transaction: its hash, block and gas used."""

    tx_hash: str
    block: int
    gas: int

    def text(self) -> str:
        """``tx 0x12ab34…cdef  block 12  gas 51,234``."""
        return f"tx {short(self.tx_hash)}  block {self.block}  gas {self.gas:,}"


@dataclass
class ChainTotals:
    """Transactions and gas of a block range, by the contract they called."""

    transactions: int = 0
    gas: int = 0
    by_target: Counter[str] = field(default_factory=Counter)
    gas_by_target: Counter[str] = field(default_factory=Counter)


class ChainWatch:
    """Read-only access to the network's chain and registries."""

    def __init__(self, rpc_url: str, deployment: Deployment) -> None:
        """Watch the chain at ``rpc_url`` holding ``deployment``'s registries."""
        self.w3 = Web3(Web3.HTTPProvider(rpc_url, request_kwargs={"timeout": 10}))
        self.deployment = deployment
        self.registries = Registries.connect(self.w3, deployment)
        addresses = (
            deployment.participants,
            deployment.consent_registry,
            deployment.attestation_registry,
            deployment.claim_registry,
        )
        self._targets = {a.lower(): name for a, name in zip(addresses, REGISTRY_NAMES, strict=True)}

    def block_number(self) -> int:
        """The latest block."""
        return int(self.w3.eth.block_number)

    def tx(self, tx_hash: str) -> Tx:
        """The mined transaction ``tx_hash``."""
        receipt = self.w3.eth.get_transaction_receipt(tx_hash)  # type: ignore[arg-type]
        return Tx(
            "0x" + bytes(receipt["transactionHash"]).hex(),
            int(receipt["blockNumber"]),
            int(receipt["gasUsed"]),
        )

    def _last_event_tx(self, contract: Any, event: str, filters: dict[str, Any]) -> Tx | None:
        logs = getattr(contract.events, event).get_logs(
            argument_filters=filters, from_block=self.deployment.deployed_at_block
        )
        return self.tx("0x" + bytes(logs[-1]["transactionHash"]).hex()) if logs else None

    def binding_tx(self, pseudonym: bytes) -> Tx | None:
        """The transaction that bound ``pseudonym`` last (``WalletBound``)."""
        consents = self.registries.consents.contract
        return self._last_event_tx(consents, "WalletBound", {"pseudonym": pseudonym})

    def supersession_tx(self, settlement_id: bytes) -> Tx | None:
        """The transaction that superseded ``settlement_id``, once there is one."""
        attestations = self.registries.attestations.contract
        return self._last_event_tx(
            attestations, "SettlementSuperseded", {"settlementId": settlement_id}
        )

    def reversal_tx(self, settlement_id: bytes, insurer: str) -> Tx | None:
        """The transaction that reversed ``insurer``'s claim on ``settlement_id``, if any."""
        claims = self.registries.claims.contract
        filters = {"settlementId": settlement_id, "insurer": insurer}
        return self._last_event_tx(claims, "ClaimReversed", filters)

    def claims_recorded_in(self, tx_hash: str) -> int:
        """How many claims one transaction recorded (``recordClaims`` batches several)."""
        receipt = self.w3.eth.get_transaction_receipt(tx_hash)  # type: ignore[arg-type]
        event = self.registries.claims.contract.events.ClaimRecorded()
        return len(event.process_receipt(receipt, errors=DISCARD))

    def claimed_fen(self, settlement_id: bytes) -> int:
        """What all insurers together have claimed on ``settlement_id`` (active claims)."""
        return self.registries.claims.total_claimed_fen(settlement_id)

    def batches(self, from_block: int) -> Counter[tuple[str, str]]:
        """Batches committed since ``from_block``, by (bureau address, kind name)."""
        event = self.registries.attestations.contract.events.BatchCommitted
        logs = event.get_logs(from_block=from_block)
        return Counter(
            (str(log["args"]["bureau"]), BatchKind(int(log["args"]["kind"])).name) for log in logs
        )

    def totals(self, from_block: int, to_block: int | None = None) -> ChainTotals:
        """Every transaction in ``from_block``…``to_block`` (latest), by the registry called."""
        last = self.block_number() if to_block is None else to_block
        totals = ChainTotals()
        for number in range(from_block, last + 1):
            block = self.w3.eth.get_block(number, full_transactions=True)
            for transaction in block["transactions"]:
                assert not isinstance(transaction, bytes)  # full_transactions=True
                gas = self.tx("0x" + bytes(transaction["hash"]).hex()).gas
                target = self._target_name(transaction.get("to"))
                totals.transactions += 1
                totals.gas += gas
                totals.by_target[target] += 1
                totals.gas_by_target[target] += gas
        return totals

    def _target_name(self, to: str | None) -> str:
        if to is None:
            return "deployments"
        return self._targets.get(str(to).lower(), "transfers")
