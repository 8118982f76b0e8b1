"""One root exception for the wallet, carrying what was wrong and what to type instead."""

from __future__ import annotations


class WalletError(Exception):
    """A refusal the patient can act on. Nothing was signed or sent when it is raised early."""

    def __init__(self, message: str, *, hint: str | None = None) -> None:
        """``message`` says what was wrong; ``hint`` what to do or type instead."""
        super().__init__(message)
        self.message = message
        self.hint = hint

    def __str__(self) -> str:
        return self.message if self.hint is None else f"{self.message}\n{self.hint}"


class KeystoreError(WalletError):
    """The keystore file is missing, already exists, or is not a keystore."""


class WrongPassword(KeystoreError):
    """The password does not open the keystore."""


class InvalidConsentInput(WalletError):
    """Consent terms the patient typed that the wallet will not sign (scope, window …)."""


class UnknownParticipant(WalletError):
    """An insurer or bureau not found in the on-chain Participants registry."""


class NotBound(WalletError):
    """The wallet is not bound to a pseudonym yet (ask a bureau with a voucher)."""


class BureauRefused(WalletError):
    """The bureau answered with an error: ``status`` and its stable ``code``."""

    def __init__(self, status: int, code: str, message: str, *, hint: str | None = None) -> None:
        """Keep the HTTP status and the error code beside the words."""
        super().__init__(f"the bureau refused ({status} {code}): {message}", hint=hint)
        self.status = status
        self.code = code


class BureauUnreachable(WalletError):
    """No answer from the bureau node at the URL used."""


class ChainRefused(WalletError):
    """The chain refused a transaction the wallet sent itself, or it did not land in time."""
