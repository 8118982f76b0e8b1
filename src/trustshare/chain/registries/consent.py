"""Client of the ConsentRegistry: wallet bindings, grants, revocations, permission checks."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from enum import IntEnum

from trustshare.chain.batch_reads import read_many
from trustshare.chain.registries.base import RegistryClient
from trustshare.chain.sender import TxOutcome
from trustshare.crypto.eip712 import ConsentTerms


class PermissionStatus(IntEnum):
    """Mirror of ``IConsentRegistry.PermissionStatus``: why a check passed or failed."""

    PERMITTED = 0
    INSURER_INACTIVE = 1
    NO_CONSENT = 2
    REVOKED = 3
    NOT_YET_VALID = 4
    EXPIRED = 5
    SCOPE_NOT_COVERED = 6
    PURPOSE_NOT_COVERED = 7


@dataclass(frozen=True)
class ConsentState:
    """The consent recorded for a (pseudonym, insurer) pair."""

    consent_id: bytes
    scopes: int
    purposes: int
    not_before: int
    not_after: int
    granted_at: int
    revoked_at: int

    @property
    def exists(self) -> bool:
        """Whether any consent was ever granted for the pair."""
        return self.granted_at != 0

    @property
    def revoked(self) -> bool:
        """Whether the pair's consent was revoked (or replaced and then revoked)."""
        return self.revoked_at != 0


class ConsentRegistryClient(RegistryClient):
    """Patients' consents as the chain records them."""

    contract_name = "ConsentRegistry"

    # -- writes -----------------------------------------------------------------------------

    def bind_wallet(self, pseudonym: bytes, wallet: str) -> TxOutcome:
        """Bind (or rebind after key loss) ``pseudonym`` to ``wallet``. Bureau only."""
        return self._send(self.contract.functions.bindWallet(pseudonym, wallet))

    def grant(self, terms: ConsentTerms) -> TxOutcome:
        """Grant consent, sent by the pseudonym's own wallet."""
        return self._send(self.contract.functions.grant(terms.as_abi_tuple()))

    def grant_by_signature(
        self, terms: ConsentTerms, nonce: int, deadline: int, signature: bytes
    ) -> TxOutcome:
        """Relay the wallet's signed grant (anyone may send it)."""
        return self._send(
            self.contract.functions.grantBySig(terms.as_abi_tuple(), nonce, deadline, signature)
        )

    def revoke(self, pseudonym: bytes, insurer: str, consent_id: bytes) -> TxOutcome:
        """Revoke the pair's current consent, sent by the pseudonym's own wallet."""
        return self._send(self.contract.functions.revoke(pseudonym, insurer, consent_id))

    def revoke_by_signature(
        self, pseudonym: bytes, insurer: str, consent_id: bytes, deadline: int, signature: bytes
    ) -> TxOutcome:
        """Relay the wallet's signed revocation (anyone may send it)."""
        return self._send(
            self.contract.functions.revokeBySig(pseudonym, insurer, consent_id, deadline, signature)
        )

    # -- reads ------------------------------------------------------------------------------

    def binding_of(self, pseudonym: bytes) -> tuple[str, str]:
        """(wallet, bureau) bound to ``pseudonym``; zero addresses if unbound."""
        wallet, bureau = self._call(self.contract.functions.bindingOf(pseudonym))
        return str(wallet), str(bureau)

    def nonce_of(self, pseudonym: bytes) -> int:
        """The subject's next grant nonce."""
        return int(self._call(self.contract.functions.nonceOf(pseudonym)))

    def consent_of(self, pseudonym: bytes, insurer: str) -> ConsentState:
        """The pair's current (or last revoked) consent."""
        consent_id, scopes, purposes, not_before, not_after, granted, revoked = self._call(
            self.contract.functions.consentOf(pseudonym, insurer)
        )
        return ConsentState(
            bytes(consent_id), scopes, purposes, not_before, not_after, granted, revoked
        )

    def permission_of(
        self, pseudonym: bytes, insurer: str, scope: int, purpose: int
    ) -> PermissionStatus:
        """Why ``insurer`` may or may not see ``scope`` for ``purpose`` at the latest block."""
        return PermissionStatus(
            self._call(
                self.contract.functions.permissionOf(pseudonym, insurer, int(scope), int(purpose))
            )
        )

    def permissions_of(self, asks: Sequence[tuple[bytes, str, int, int]]) -> list[PermissionStatus]:
        """:meth:`permission_of` for each ``(pseudonym, insurer, scope, purpose)``, one batch."""
        functions = [
            self.contract.functions.permissionOf(pseudonym, insurer, int(scope), int(purpose))
            for pseudonym, insurer, scope, purpose in asks
        ]
        return [PermissionStatus(status) for status in read_many(self.w3, functions)]

    def consents_of(self, pairs: Sequence[tuple[bytes, str]]) -> list[ConsentState]:
        """:meth:`consent_of` for each ``(pseudonym, insurer)``, in one JSON-RPC batch."""
        functions = [
            self.contract.functions.consentOf(pseudonym, insurer) for pseudonym, insurer in pairs
        ]
        return [
            ConsentState(bytes(cid), scopes, purposes, not_before, not_after, granted, revoked)
            for cid, scopes, purposes, not_before, not_after, granted, revoked in read_many(
                self.w3, functions
            )
        ]

    def is_permitted(self, pseudonym: bytes, insurer: str, scope: int, purpose: int) -> bool:
        """``permission_of(...) is PERMITTED``."""
        return bool(
            self._call(
                self.contract.functions.isPermitted(pseudonym, insurer, int(scope), int(purpose))
            )
        )

    def consent_id_of(self, terms: ConsentTerms, nonce: int) -> bytes:
        """The contract's id for ``terms`` granted with ``nonce``."""
        return bytes(self._call(self.contract.functions.consentIdOf(terms.as_abi_tuple(), nonce)))

    def grant_digest(self, terms: ConsentTerms, nonce: int, deadline: int) -> bytes:
        """The EIP-712 digest the contract expects the wallet to have signed for a grant."""
        return bytes(
            self._call(self.contract.functions.grantDigest(terms.as_abi_tuple(), nonce, deadline))
        )

    def revocation_digest(
        self, pseudonym: bytes, insurer: str, consent_id: bytes, deadline: int
    ) -> bytes:
        """The EIP-712 digest the contract expects for a revocation."""
        return bytes(
            self._call(
                self.contract.functions.revocationDigest(pseudonym, insurer, consent_id, deadline)
            )
        )
