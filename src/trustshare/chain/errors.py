"""Exceptions of the chain layer, and decoding of Solidity custom errors.

Every custom error of the registries reaches Python as a subclass of :class:`ContractRevert`
named exactly like the Solidity error and carrying its arguments as attributes (see the
generated :mod:`trustshare.chain.contract_errors`). Callers catch the specific error they expect,
e.g. ``except ConsentRegistryInvalidNonce as refused: refused.expected``.
"""

from __future__ import annotations

from typing import Any, ClassVar

from eth_abi.abi import decode as abi_decode
from eth_utils.address import to_checksum_address


class ChainError(Exception):
    """Root of every error raised by :mod:`trustshare.chain`."""


class ToolchainError(ChainError, RuntimeError):
    """The Solidity toolchain (solc-js shim, npm packages, artifacts) is missing or failed."""


class DevChainError(ChainError, RuntimeError):
    """The local dev chain could not be started, reached or stopped."""


class DeploymentError(ChainError, ValueError):
    """A deployment file is missing, malformed, or does not match the chain it points at."""


class TransactionError(ChainError, RuntimeError):
    """A transaction could not be sent, was dropped, or did not reach finality in time."""


class ContractRevert(ChainError):
    """A contract call reverted. Subclasses are the registries' custom errors, one per error.

    ``values`` maps the Solidity parameter names to decoded Python values (bytes for
    ``bytesN``, int for integers and enums, checksum str for addresses).
    """

    signature: ClassVar[str] = ""
    selector: ClassVar[bytes] = b""
    field_names: ClassVar[tuple[str, ...]] = ()
    field_types: ClassVar[tuple[str, ...]] = ()

    def __init__(self, values: dict[str, Any] | None = None, *, raw: bytes = b"") -> None:
        self.values: dict[str, Any] = dict(values or {})
        self.raw = raw
        for name, value in self.values.items():
            setattr(self, name, value)
        super().__init__(self._describe())

    @property
    def error_name(self) -> str:
        """The Solidity error's name (``ConsentRegistryInvalidNonce``)."""
        return type(self).__name__

    def _describe(self) -> str:
        shown = ", ".join(f"{k}={_show(v)}" for k, v in self.values.items())
        return f"{self.error_name}({shown})"


class UnknownRevert(ContractRevert):
    """A revert whose data matches no known error (or carries no data at all)."""

    def _describe(self) -> str:
        return f"reverted with unrecognised data 0x{self.raw.hex()}" if self.raw else "reverted"


class RevertWithReason(ContractRevert):
    """``Error(string)``: a revert with a reason string (``require`` with a message)."""

    signature = "Error(string)"
    selector = bytes.fromhex("08c379a0")
    field_names = ("reason",)
    field_types = ("string",)


class Panic(ContractRevert):
    """``Panic(uint256)``: an assertion, overflow or similar compiler-inserted check failed."""

    signature = "Panic(uint256)"
    selector = bytes.fromhex("4e487b71")
    field_names = ("code",)
    field_types = ("uint256",)


def decode_revert(data: bytes, table: dict[bytes, type[ContractRevert]]) -> ContractRevert:
    """Turn raw revert data into the matching typed exception (not raised, returned)."""
    selector, payload = data[:4], data[4:]
    known: dict[bytes, type[ContractRevert]] = {
        RevertWithReason.selector: RevertWithReason,
        Panic.selector: Panic,
        **table,
    }
    error_class = known.get(selector)
    if error_class is None:
        return UnknownRevert(raw=data)
    try:
        decoded = abi_decode(list(error_class.field_types), payload)
    except Exception:  # malformed payload: keep the raw bytes as the evidence
        return UnknownRevert(raw=data)
    values = {
        name: _normalise(kind, value)
        for name, kind, value in zip(
            error_class.field_names, error_class.field_types, decoded, strict=True
        )
    }
    return error_class(values, raw=data)


def _normalise(kind: str, value: Any) -> Any:
    if kind == "address":
        return to_checksum_address(value)
    return value


def _show(value: Any) -> str:
    if isinstance(value, bytes):
        return "0x" + value.hex()
    return str(value)
