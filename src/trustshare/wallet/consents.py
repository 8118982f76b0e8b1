"""The patient's consents: list, grant, narrow and revoke — relayed by a bureau or sent directly.

Each operation is planned first (:func:`plan_grant`, :func:`plan_narrow`,
:func:`plan_revocation`): the typed input is checked against the chain as it stands, with no key
and nothing sent. Then a route carries it out with the unlocked wallet:

- :class:`BureauRelay` signs the EIP-712 ``Consent`` / ``Revocation`` locally
  (:mod:`trustshare.crypto.eip712`, identical to the contract), hands it to the bureau, follows
  the relay until its transaction is final, and checks the chain shows the result. No gas.
- :class:`DirectToChain` sends ``grant`` / ``revoke`` from the wallet's own account, which pays
  the gas (on a dev chain it must be funded first; the refusal says how).

The registry keeps one consent per (pseudonym, insurer): a grant replaces the current one,
which is how :func:`plan_narrow` narrows it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import tzinfo

from eth_account.signers.local import LocalAccount
from web3.contract.contract import ContractFunction
from web3.exceptions import ContractLogicError

from trustshare.chain.errors import ChainError, ContractRevert
from trustshare.chain.registries import ConsentState
from trustshare.chain.sender import TransactionSender, TxOutcome, revert_from_exception
from trustshare.crypto.eip712 import ConsentTerms, consent_id, sign_grant, sign_revocation
from trustshare.wallet.bureau_client import BureauClient
from trustshare.wallet.errors import ChainRefused, InvalidConsentInput, WalletError
from trustshare.wallet.network import Binding, NetworkView, ParticipantEntry
from trustshare.wallet.terms import (
    Window,
    WindowRequest,
    consent_window,
    parse_purposes,
    parse_scopes,
)

SIGNATURE_LIFETIME_S = 3_600
"""How long a relayed signature stays valid (its EIP-712 ``deadline``)."""


@dataclass(frozen=True)
class ConsentRow:
    """One insurer's consent as the chain records it, and what it means now."""

    insurer: ParticipantEntry
    state: ConsentState
    status: str
    """``active``, ``not yet valid``, ``expired``, ``revoked`` or ``insurer removed``."""


@dataclass(frozen=True)
class Revocation:
    """The consent to revoke: the pair's current one."""

    pseudonym: bytes
    insurer: str
    consent_id: bytes


@dataclass(frozen=True)
class Submitted:
    """A grant or revocation on the chain."""

    consent_id: bytes
    tx_hash: str | None
    block_number: int | None
    route: str


def _status(state: ConsentState, insurer: ParticipantEntry, now: int) -> str:
    if state.revoked:
        return "revoked"
    if not insurer.active:
        return "insurer removed"
    if now < state.not_before:
        return "not yet valid"
    if now > state.not_after:
        return "expired"
    return "active"


def list_consents(network: NetworkView, pseudonym: bytes) -> list[ConsentRow]:
    """Every insurer the patient ever consented to, with the pair's current consent."""
    consents = network.registries.consents
    granted = network.event_logs(consents.contract, "ConsentGranted", {"pseudonym": pseudonym})
    known = {entry.address: entry for entry in network.insurers()}
    now = network.chain_now()
    rows = []
    for address in dict.fromkeys(str(log["args"]["insurer"]) for log in granted):
        insurer = known.get(address) or ParticipantEntry(address, address, "", active=False)
        state = consents.consent_of(pseudonym, address)
        rows.append(ConsentRow(insurer, state, _status(state, insurer, now)))
    return rows


def current_consent(
    network: NetworkView, binding: Binding, insurer: ParticipantEntry
) -> ConsentState:
    """The pair's consent, refused unless it is in force (not revoked, not expired)."""
    state = network.registries.consents.consent_of(binding.pseudonym, insurer.address)
    status = _status(state, insurer, network.chain_now()) if state.exists else "none"
    if status in ("none", "revoked", "expired"):
        raise InvalidConsentInput(
            f"no consent of yours to {insurer.name} is in force ({status})",
            hint=f"see `trustshare patient consents`; grant one with `trustshare patient grant "
            f"--insurer {insurer.name!r} …`",
        )
    return state


def plan_grant(
    network: NetworkView,
    binding: Binding,
    insurer_text: str,
    scopes_text: str,
    purposes_text: str,
    window_request: WindowRequest,
    tz: tzinfo,
) -> ConsentTerms:
    """The terms of a new grant (replacing the pair's current consent, if any)."""
    scopes, purposes = parse_scopes(scopes_text), parse_purposes(purposes_text)
    window = consent_window(window_request, now=network.chain_now(), tz=tz)
    insurer = network.find_insurer(insurer_text)
    return ConsentTerms(
        binding.pseudonym, insurer.address, scopes, purposes, window.not_before, window.not_after
    )


def plan_narrow(
    network: NetworkView,
    binding: Binding,
    insurer_text: str,
    scopes_text: str | None,
    purposes_text: str | None,
    window: WindowRequest,
    tz: tzinfo,
) -> ConsentTerms:
    """Terms that keep part of the current consent; what is left out stops being shared.

    Unnamed parts stay as they are; nothing may be added (that is a new grant).
    """
    scopes = parse_scopes(scopes_text) if scopes_text is not None else None
    purposes = parse_purposes(purposes_text) if purposes_text is not None else None
    insurer = network.find_insurer(insurer_text)
    current = current_consent(network, binding, insurer)
    new_scopes = current.scopes if scopes is None else int(scopes)
    new_purposes = current.purposes if purposes is None else int(purposes)
    in_force = Window(current.not_before, current.not_after)
    new_window = consent_window(window, now=network.chain_now(), tz=tz, base=in_force)
    if new_scopes & ~current.scopes or new_purposes & ~current.purposes:
        raise InvalidConsentInput(
            "narrowing can only leave out scopes or purposes the consent has",
            hint="to share more, grant anew: `trustshare patient grant …`",
        )
    if not in_force.contains(new_window):
        raise InvalidConsentInput(
            "narrowing can only shorten the window, not move it outside the current one",
            hint="to share longer, grant anew: `trustshare patient grant …`",
        )
    narrowed = (new_scopes, new_purposes, new_window)
    if narrowed == (current.scopes, current.purposes, in_force):
        raise InvalidConsentInput(
            "these terms are the consent as it stands: nothing to narrow",
            hint="type --scopes or --purposes with fewer names, or a shorter window",
        )
    return ConsentTerms(
        binding.pseudonym,
        insurer.address,
        new_scopes,
        new_purposes,
        new_window.not_before,
        new_window.not_after,
    )


def plan_revocation(network: NetworkView, binding: Binding, insurer_text: str) -> Revocation:
    """The pair's current consent, to revoke (an expired one may still be revoked)."""
    insurer = network.find_insurer(insurer_text)
    state = network.registries.consents.consent_of(binding.pseudonym, insurer.address)
    if not state.exists or state.revoked:
        raise InvalidConsentInput(
            f"you have no consent to {insurer.name} to revoke"
            + (" (it is revoked already)" if state.revoked else ""),
            hint="see `trustshare patient consents`",
        )
    return Revocation(binding.pseudonym, insurer.address, state.consent_id)


class BureauRelay:
    """Sign locally, let the bureau send it (the patient pays no gas)."""

    def __init__(self, network: NetworkView, bureau: BureauClient, timeout_s: float) -> None:
        """Relay through ``bureau``; wait up to ``timeout_s`` for each relay to be final."""
        self.network = network
        self.bureau = bureau
        self.timeout_s = timeout_s

    def _deadline(self) -> int:
        return self.network.chain_now() + SIGNATURE_LIFETIME_S

    def grant(self, wallet: LocalAccount, terms: ConsentTerms) -> Submitted:
        """Sign ``terms`` with the pseudonym's next nonce and have the bureau relay them."""
        consents = self.network.registries.consents
        nonce, deadline = consents.nonce_of(terms.pseudonym), self._deadline()
        signature = sign_grant(wallet.key, self.network.consent_domain(), terms, nonce, deadline)
        receipt = self.bureau.relay_grant(terms, nonce, deadline, signature)
        expected = consent_id(terms, nonce)
        if receipt.consent_id != expected:
            raise WalletError(
                f"the bureau announced consent 0x{receipt.consent_id.hex()}, not the signed "
                f"0x{expected.hex()}"
            )
        state = self.bureau.follow_relay(receipt.outbox_id, self.timeout_s)
        if consents.consent_of(terms.pseudonym, terms.insurer).consent_id != expected:
            raise WalletError("the relay is done but the chain does not show the new consent")
        route = f"relayed by the bureau (relay {receipt.outbox_id})"
        return Submitted(expected, state.tx_hash, state.block_number, route)

    def revoke(self, wallet: LocalAccount, revocation: Revocation) -> Submitted:
        """Sign the revocation and have the bureau relay it."""
        deadline = self._deadline()
        signature = sign_revocation(
            wallet.key,
            self.network.consent_domain(),
            revocation.pseudonym,
            revocation.insurer,
            revocation.consent_id,
            deadline,
        )
        receipt = self.bureau.relay_revocation(
            revocation.pseudonym, revocation.insurer, revocation.consent_id, deadline, signature
        )
        state = self.bureau.follow_relay(receipt.outbox_id, self.timeout_s)
        consents = self.network.registries.consents
        if not consents.consent_of(revocation.pseudonym, revocation.insurer).revoked:
            raise WalletError("the relay is done but the chain does not show the revocation")
        route = f"relayed by the bureau (relay {receipt.outbox_id})"
        return Submitted(revocation.consent_id, state.tx_hash, state.block_number, route)


class DirectToChain:
    """Send from the wallet's own account: no bureau involved, the wallet pays the gas."""

    def __init__(self, network: NetworkView) -> None:
        """Send on ``network``'s chain."""
        self.network = network

    def grant(self, wallet: LocalAccount, terms: ConsentTerms) -> Submitted:
        """``ConsentRegistry.grant(terms)`` from the wallet."""
        consents = self.network.registries.consents
        nonce = consents.nonce_of(terms.pseudonym)
        self._ensure_funded(wallet, consents.contract.functions.grant(terms.as_abi_tuple()))
        outcome = self._send(lambda sender: consents.acting_as(sender).grant(terms), wallet)
        return self._submitted(consent_id(terms, nonce), outcome)

    def revoke(self, wallet: LocalAccount, revocation: Revocation) -> Submitted:
        """``ConsentRegistry.revoke(...)`` from the wallet."""
        consents = self.network.registries.consents
        arguments = (revocation.pseudonym, revocation.insurer, revocation.consent_id)
        self._ensure_funded(wallet, consents.contract.functions.revoke(*arguments))
        outcome = self._send(lambda sender: consents.acting_as(sender).revoke(*arguments), wallet)
        return self._submitted(revocation.consent_id, outcome)

    def _submitted(self, the_consent_id: bytes, outcome: TxOutcome) -> Submitted:
        return Submitted(
            the_consent_id, outcome.tx_hash, outcome.block_number, "sent directly by the wallet"
        )

    def _ensure_funded(self, wallet: LocalAccount, function: ContractFunction) -> None:
        """Refuse, before signing anything, a call the chain would refuse or cannot be paid."""
        w3 = self.network.w3
        try:
            gas = int(function.estimate_gas({"from": wallet.address}))
        except ContractLogicError as error:
            raise _refused(revert_from_exception(error)) from error
        cost = gas * int(w3.eth.gas_price)
        balance = int(w3.eth.get_balance(wallet.address))
        if balance < cost:
            raise ChainRefused(
                f"the wallet {wallet.address} holds {balance} wei but sending needs about "
                f"{cost} wei of gas",
                hint="leave out --direct to have the bureau relay it (no gas), or fund the "
                "wallet; on a dev chain (anvil): curl -s -H 'Content-Type: application/json' "
                '--data \'{"jsonrpc":"2.0","id":1,"method":"anvil_setBalance","params":["'
                f'{wallet.address}","0xDE0B6B3A7640000"]}}\' RPC_URL',
            )

    def _send(
        self, act: Callable[[TransactionSender], TxOutcome], wallet: LocalAccount
    ) -> TxOutcome:
        sender = TransactionSender(self.network.w3, wallet)
        try:
            return act(sender)
        except ContractRevert as revert:
            raise _refused(revert) from revert
        except ChainError as error:
            raise ChainRefused(f"the chain did not take the transaction: {error}") from error


def _refused(revert: ContractRevert) -> ChainRefused:
    return ChainRefused(
        f"the consent registry refuses this: {revert}",
        hint="see `trustshare patient consents` for what stands now",
    )
