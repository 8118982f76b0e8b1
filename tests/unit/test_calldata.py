"""Call data encoded with eth_abi is byte for byte what web3 encodes, for every kind we send."""

from __future__ import annotations

import pytest
from web3 import Web3
from web3.contract import Contract
from web3.contract.contract import ContractFunction

from trustshare.chain.calldata import encode_call
from trustshare.chain.compiled import load_artifact
from trustshare.crypto.eip712 import ConsentTerms

INSURER = Web3.to_checksum_address("0x" + "ab" * 20)
ROOT, PSEUDONYM = b"\x01" * 32, b"\x02" * 32


def _contract(name: str) -> Contract:
    return Web3().eth.contract(address="0x" + "11" * 20, abi=load_artifact(name).abi)


def _calls() -> list[ContractFunction]:
    claims, consents = _contract("ClaimRegistry"), _contract("ConsentRegistry")
    request = (ROOT, (b"\x03" * 32, PSEUDONYM, b"\x04" * 32, 50_000), [b"\x05" * 32] * 3, 7)
    terms = ConsentTerms(PSEUDONYM, INSURER, 6, 4, 0, 2**40)
    return [
        claims.functions.recordClaims([request] * 5),
        claims.functions.recordClaim(request),
        claims.functions.totalClaimedFen(ROOT),
        consents.functions.permissionOf(PSEUDONYM, INSURER, 6, 4),
        consents.functions.grantBySig(terms.as_abi_tuple(), 3, 2**32, b"\x09" * 65),
        _contract("AttestationRegistry").functions.supersededBy(ROOT),
        _contract("Participants").functions.participant(INSURER),
    ]


@pytest.mark.parametrize("function", _calls(), ids=lambda f: f.fn_name)
def test_the_same_bytes_as_web3(function: ContractFunction) -> None:
    assert encode_call(function) == function._encode_transaction_data()


def test_arguments_eth_abi_cannot_take_go_through_web3() -> None:
    function = _contract("ClaimRegistry").functions.totalClaimedFen("0x" + "01" * 32)
    assert encode_call(function) == function._encode_transaction_data()
    assert encode_call(function).endswith("01" * 32)
