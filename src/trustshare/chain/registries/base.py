"""What every registry client shares: the contract handle, checked calls and sends."""

from __future__ import annotations

from typing import Any, ClassVar, Self

from web3 import Web3
from web3.contract import Contract
from web3.contract.contract import ContractFunction
from web3.logs import DISCARD

from trustshare.chain.compiled import load_artifact
from trustshare.chain.errors import ChainError
from trustshare.chain.sender import TransactionSender, TxOutcome, call_checked


class RegistryClient:
    """A typed facade over one deployed registry. Read-only unless given a sender."""

    contract_name: ClassVar[str]

    def __init__(self, w3: Web3, address: str, sender: TransactionSender | None = None) -> None:
        self.w3 = w3
        self.address = Web3.to_checksum_address(address)
        self.sender = sender
        self.contract: Contract = w3.eth.contract(
            address=self.address, abi=load_artifact(self.contract_name).abi
        )

    def acting_as(self, sender: TransactionSender) -> Self:
        """The same registry, sending as ``sender``'s account."""
        return type(self)(self.w3, self.address, sender)

    def _call(self, function: ContractFunction) -> Any:
        return call_checked(function)

    def _send(self, function: ContractFunction) -> TxOutcome:
        if self.sender is None:
            raise ChainError(
                f"{self.contract_name} client at {self.address} is read-only; "
                "use .acting_as(sender)"
            )
        return self.sender.transact(function, label=f"{self.contract_name}.{function.fn_name}")

    def events(self, outcome: TxOutcome, event_name: str) -> list[dict[str, Any]]:
        """The arguments of every ``event_name`` this registry emitted in ``outcome``."""
        event = getattr(self.contract.events, event_name)()
        logs = [log for log in outcome.receipt["logs"] if log["address"] == self.address]
        receipt = {**outcome.receipt, "logs": logs}
        return [dict(e["args"]) for e in event.process_receipt(receipt, errors=DISCARD)]
