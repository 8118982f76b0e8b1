"""Batched chain reads answer exactly what the single reads answer, reverts included."""

from __future__ import annotations

import pytest

from trustshare.chain.batch_reads import MAX_CALLS_PER_REQUEST, read_many
from trustshare.chain.errors import ContractRevert, UnknownRevert
from trustshare.chain.registries import PermissionStatus
from trustshare.crypto.hashing import keccak256
from trustshare.crypto.vocabulary import Purpose, Scope

from ..conftest import Network
from .consent_helpers import PSEUDONYM, bind_patient, claim_terms, relay_grant
from .test_claims import committed_settlements, request


def test_batched_reads_match_single_reads(network: Network) -> None:
    bind_patient(network)
    relay_grant(network, claim_terms(network, network.insurer))
    tree, leaves = committed_settlements(network, count=3)
    registries = network.registries(network.insurer)
    registries.claims.record_claim(request(tree, leaves, 1, 7_000))
    ids = [leaf.settlement_id for leaf in leaves]
    consents = network.registries().consents
    asks = [
        (PSEUDONYM, insurer.address, int(Scope.SETTLEMENT_SUMMARY), int(Purpose.CLAIM))
        for insurer in (network.insurer, network.insurer_b)
    ]
    assert consents.permissions_of(asks) == [
        PermissionStatus.PERMITTED,
        PermissionStatus.NO_CONSENT,
    ]
    assert consents.permissions_of(asks) == [consents.permission_of(*ask) for ask in asks]
    pairs = [(PSEUDONYM, network.insurer.address), (PSEUDONYM, network.insurer_b.address)]
    assert consents.consents_of(pairs) == [consents.consent_of(*pair) for pair in pairs]
    claims = network.registries().claims
    assert claims.totals_claimed_fen(ids) == [0, 7_000, 0]
    assert network.registries().attestations.superseded_by_each(ids) == [None, None, None]
    assert consents.permissions_of([]) == []


def test_more_calls_than_one_request_holds(network: Network) -> None:
    _, leaves = committed_settlements(network, count=1)
    ids = [leaves[0].settlement_id] * (MAX_CALLS_PER_REQUEST * 2 + 3)
    assert network.registries().claims.totals_claimed_fen(ids) == [0] * len(ids)


def test_a_reverting_call_raises_its_typed_error(network: Network) -> None:
    _, leaves = committed_settlements(network, count=1)
    claims = network.registries().claims
    never = keccak256(b"never claimed")
    fine = claims.contract.functions.totalClaimedFen(leaves[0].settlement_id)
    reverting = claims.contract.functions.reverseClaim(never, network.insurer.address)
    with pytest.raises(ContractRevert) as refused:
        read_many(network.w3, [fine, reverting])
    assert type(refused.value) is not UnknownRevert
