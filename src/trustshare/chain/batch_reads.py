"""Many read-only contract calls in one JSON-RPC batch (one HTTP round trip).

A node that verifies a hundred claims at once would otherwise make a hundred ``eth_call``
round trips per fact, each through web3's request machinery. :func:`read_many` encodes every
call with the contract's ABI, sends them as one JSON-RPC batch of ``eth_call`` at ``latest``
(at most :data:`MAX_CALLS_PER_REQUEST` per HTTP request), and decodes each answer with the
function's output types. A call the contract reverts raises its typed error
(:mod:`trustshare.chain.contract_errors`), exactly as a single ``call_checked`` would.

Each call is answered at the latest block when the node reaches it: a block mined during the
batch may fall between two answers, as between two single calls.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Final

from eth_abi.abi import decode
from eth_utils.abi import get_abi_output_types
from web3 import Web3
from web3.contract.contract import ContractFunction
from web3.types import RPCEndpoint

from trustshare.chain.calldata import encode_call
from trustshare.chain.contract_errors import ERRORS_BY_SELECTOR
from trustshare.chain.errors import ChainError, decode_revert

MAX_CALLS_PER_REQUEST: Final = 250
"""Calls per HTTP request: bounds the size of one request and one answer."""
ETH_CALL: Final = RPCEndpoint("eth_call")


def read_many(w3: Web3, functions: Sequence[ContractFunction]) -> list[Any]:
    """The result of each bound contract function, in order, read in JSON-RPC batches.

    A function with one output gives that value; several outputs give a tuple, as
    ``function.call()`` does.
    """
    results: list[Any] = []
    for start in range(0, len(functions), MAX_CALLS_PER_REQUEST):
        results.extend(_read_chunk(w3, functions[start : start + MAX_CALLS_PER_REQUEST]))
    return results


def _read_chunk(w3: Web3, functions: Sequence[ContractFunction]) -> list[Any]:
    if not functions:
        return []
    requests = [(ETH_CALL, [_call_object(function), "latest"]) for function in functions]
    answers = w3.provider.make_batch_request(requests)  # type: ignore[attr-defined]
    if not isinstance(answers, list):  # the node refused the whole batch
        raise ChainError(f"the node refused a batch of {len(functions)} calls: {answers!r}")
    if len(answers) != len(functions):
        raise ChainError(f"{len(answers)} answers to a batch of {len(functions)} calls")
    return [_decoded(function, answer) for function, answer in zip(functions, answers, strict=True)]


def _call_object(function: ContractFunction) -> dict[str, str]:
    if function.address is None:
        raise ChainError(f"{function.fn_name} is not bound to a deployed contract")
    return {"to": str(function.address), "data": encode_call(function)}


def _decoded(function: ContractFunction, answer: Any) -> Any:
    error = answer.get("error") if isinstance(answer, dict) else None
    if error is not None:
        raise _revert_or_error(function, error)
    raw = answer.get("result") if isinstance(answer, dict) else None
    if not isinstance(raw, str) or not raw.startswith("0x"):
        raise ChainError(f"{function.fn_name}: malformed answer {answer!r}")
    types = get_abi_output_types(function.abi)
    values = decode(types, bytes.fromhex(raw[2:]))
    return values[0] if len(values) == 1 else tuple(values)


def _revert_or_error(function: ContractFunction, error: Any) -> Exception:
    data = error.get("data") if isinstance(error, dict) else None
    if isinstance(data, str) and data.startswith("0x") and len(data) >= 10:
        return decode_revert(bytes.fromhex(data[2:]), ERRORS_BY_SELECTOR)
    return ChainError(f"{function.fn_name} failed: {error!r}")
