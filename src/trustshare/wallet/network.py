"""What the wallet reads from the chain: participants by name, its binding, the chain's clock.

The Participants registry is the directory of the network: insurers and bureaus are found by
the name or the address it records, and a bureau's URL is the endpoint it records — no URL is
built into the wallet. The wallet's own binding is found from ``WalletBound`` events naming its
address and confirmed with ``bindingOf`` (a later rebinding to another wallet wins).
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from eth_utils.address import is_address, to_checksum_address
from web3 import Web3

from trustshare.chain.deployment import Deployment
from trustshare.chain.errors import ChainError
from trustshare.chain.registries import ParticipantRole, Registries
from trustshare.crypto.eip712 import ConsentDomain
from trustshare.wallet.errors import NotBound, UnknownParticipant, WalletError

ZERO_ADDRESS = "0x" + "00" * 20


@dataclass(frozen=True)
class ParticipantEntry:
    """A bureau or insurer as the registry records it."""

    address: str
    name: str
    endpoint: str
    active: bool


@dataclass(frozen=True)
class Binding:
    """The pseudonym the wallet speaks for and the bureau that bound it."""

    pseudonym: bytes
    bureau: str


class NetworkView:
    """Read access to one deployment's registries (writes go through a sender or the bureau)."""

    def __init__(self, w3: Web3, deployment: Deployment) -> None:
        """Read ``deployment``'s registries on ``w3``."""
        self.w3 = w3
        self.deployment = deployment
        self.registries = Registries.connect(w3, deployment)

    @classmethod
    def connect(cls, rpc_url: str, deployment_file: Path) -> NetworkView:
        """Connect to the chain at ``rpc_url`` and check the deployment file against it."""
        w3 = Web3(Web3.HTTPProvider(rpc_url, request_kwargs={"timeout": 10}))
        try:
            deployment = Deployment.read(deployment_file)
            deployment.check(w3)
        except ChainError as error:
            raise WalletError(
                str(error), hint="name the network's deployment file with --deployment"
            ) from error
        except (OSError, ValueError) as error:  # connection refused, bad URL …
            raise WalletError(
                f"no chain answers at {rpc_url}: {error}",
                hint="give the chain's JSON-RPC URL with --rpc-url",
            ) from error
        return cls(w3, deployment)

    # -- the clock and the consent domain -----------------------------------------------------

    def chain_now(self) -> int:
        """The latest block's timestamp: the clock consents are judged by."""
        return int(self.w3.eth.get_block("latest")["timestamp"])

    def balance_of(self, address: str) -> int:
        """The wei ``address`` holds (what pays gas when the wallet sends itself)."""
        return int(self.w3.eth.get_balance(to_checksum_address(address)))

    def consent_domain(self) -> ConsentDomain:
        """The EIP-712 domain of this deployment's ConsentRegistry."""
        return ConsentDomain(self.deployment.chain_id, self.deployment.consent_registry)

    # -- participants -------------------------------------------------------------------------

    def insurers(self) -> list[ParticipantEntry]:
        """Every insurer ever registered, in registration order, with its current record."""
        return self._participants("InsurerRegistered", "insurer", ParticipantRole.INSURER)

    def bureaus(self) -> list[ParticipantEntry]:
        """Every bureau ever registered, in registration order, with its current record."""
        return self._participants("BureauRegistered", "bureau", ParticipantRole.BUREAU)

    def _participants(
        self, event_name: str, argument: str, role: ParticipantRole
    ) -> list[ParticipantEntry]:
        participants = self.registries.participants
        logs = self.event_logs(participants.contract, event_name, {})
        found: list[ParticipantEntry] = []
        for address in dict.fromkeys(str(log["args"][argument]) for log in logs):
            record = participants.participant(address)
            if record.role is role:
                found.append(ParticipantEntry(address, record.name, record.endpoint, record.active))
        return found

    def find_insurer(self, text: str) -> ParticipantEntry:
        """The active insurer named ``text`` (its registered name or its address)."""
        return _find(text, self.insurers(), "insurer", "--insurer")

    def find_bureau(self, text: str) -> ParticipantEntry:
        """The active bureau named ``text`` (its registered name or its address)."""
        return _find(text, self.bureaus(), "bureau", "--bureau")

    def participant_name(self, address: str) -> str:
        """The registered name of ``address`` (the address itself if it has none)."""
        return self.registries.participants.participant(address).name or address

    def bureau_url(self, choice: str | None, binding: Binding | None) -> str:
        """Where to reach a bureau node: ``choice`` (URL, name or address), else the registry.

        Without a choice: the bureau that bound the wallet, else the network's only bureau.
        """
        if choice is not None and choice.startswith(("http://", "https://")):
            return choice.rstrip("/")
        if choice is not None:
            bureau = self.find_bureau(choice)
        elif binding is not None:
            bureau = self.find_bureau(binding.bureau)
        else:
            active = [entry for entry in self.bureaus() if entry.active]
            if len(active) != 1:
                raise UnknownParticipant(
                    f"the network has {len(active)} active bureaus; say which one to ask",
                    hint="type --bureau with one of: " + _listing(active),
                )
            bureau = active[0]
        if not bureau.endpoint.startswith(("http://", "https://")):
            raise UnknownParticipant(
                f"the bureau {bureau.name} records no usable endpoint ({bureau.endpoint!r})",
                hint="give its URL with --bureau http://…",
            )
        return bureau.endpoint.rstrip("/")

    # -- the wallet's binding -----------------------------------------------------------------

    def binding_of(self, wallet: str) -> Binding | None:
        """The pseudonym currently bound to ``wallet`` (the latest binding), or None."""
        consents = self.registries.consents
        logs = self.event_logs(consents.contract, "WalletBound", {"wallet": wallet})
        for log in reversed(logs):
            pseudonym = bytes(log["args"]["pseudonym"])
            bound_wallet, bureau = consents.binding_of(pseudonym)
            if bound_wallet == to_checksum_address(wallet):
                return Binding(pseudonym, bureau)
        return None

    def require_binding(self, wallet: str) -> Binding:
        """:meth:`binding_of`, refusing an unbound wallet with what to do about it."""
        binding = self.binding_of(wallet)
        if binding is None:
            raise NotBound(
                f"the wallet {wallet} is not bound to a patient yet",
                hint="take your ID to the bureau's counter for a voucher, then run "
                "`trustshare patient bind --voucher …`",
            )
        return binding

    def wait_for_binding(self, wallet: str, pseudonym: bytes, timeout_s: float) -> Binding:
        """Wait until the chain binds ``pseudonym`` to ``wallet`` (the bureau sends it)."""
        deadline = time.monotonic() + timeout_s
        while True:
            bound_wallet, bureau = self.registries.consents.binding_of(pseudonym)
            if bound_wallet == to_checksum_address(wallet):
                return Binding(pseudonym, bureau)
            if time.monotonic() >= deadline:
                raise WalletError(
                    f"the bureau accepted the binding but it is not on the chain after "
                    f"{timeout_s:g} s",
                    hint="check later with `trustshare patient status`",
                )
            time.sleep(0.5)

    def event_logs(self, contract: Any, event_name: str, filters: dict[str, Any]) -> list[Any]:
        """``event_name`` logs of ``contract`` since the deployment, matching ``filters``."""
        event = getattr(contract.events, event_name)
        return list(
            event.get_logs(
                argument_filters=filters or None, from_block=self.deployment.deployed_at_block
            )
        )


def _listing(entries: list[ParticipantEntry]) -> str:
    return ", ".join(f"{entry.name!r} ({entry.address})" for entry in entries) or "(none)"


def _find(text: str, entries: list[ParticipantEntry], kind: str, option: str) -> ParticipantEntry:
    wanted = text.strip()
    active = [entry for entry in entries if entry.active]
    if is_address(wanted):
        matches = [e for e in entries if e.address == to_checksum_address(wanted)]
    else:
        matches = [e for e in entries if e.name.casefold() == wanted.casefold()]
    live = [entry for entry in matches if entry.active]
    if len(live) == 1:
        return live[0]
    how = "the name or address"
    if len(live) > 1:
        problem, how, active = f"several {kind}s are named {wanted!r}", "the address", live
    elif matches:
        problem = f"the {kind} {wanted!r} has been removed from the network"
    else:
        problem = f"unknown {kind} {wanted!r}"
    raise UnknownParticipant(
        problem, hint=f"type {option} with {how} of one of: {_listing(active)}"
    )
