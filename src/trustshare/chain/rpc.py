"""A node's connection to the chain's JSON-RPC endpoint."""

from __future__ import annotations

from web3 import Web3
from web3.types import RPCEndpoint

CACHED_CALLS = frozenset({RPCEndpoint("eth_chainId")})
"""Answers that never change for an endpoint: asked once (web3 asks the chain id before every
contract call otherwise)."""


def connect(rpc_url: str, *, timeout: float) -> Web3:
    """Web3 over HTTP to ``rpc_url`` (keep-alive), the chain id asked once."""
    provider = Web3.HTTPProvider(
        rpc_url,
        request_kwargs={"timeout": timeout},
        cache_allowed_requests=True,
        cacheable_requests=set(CACHED_CALLS),
    )
    return Web3(provider)
