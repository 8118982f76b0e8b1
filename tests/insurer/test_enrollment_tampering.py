"""A release altered between the bureau and the insurer issues no policy, and says which check.

The answers come from the real bureau node; a transport in between changes them as a hostile
network or a compromised bureau could: the disclosed region (re-sealed to the insurer's public
key, so the seal itself opens), one byte of the ciphertext, the leaf's commitment, the root.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest
from sqlalchemy import select

from trustshare.bureau.context import BureauContext
from trustshare.crypto.canonical_json import canonical_json
from trustshare.crypto.hashing import keccak256
from trustshare.crypto.sealing import SealedRecord, open_sealed, seal
from trustshare.insurer.context import InsurerContext
from trustshare.storage.insurer_models import PolicyRow

from ..conftest import Network
from .enrollment_support import (
    ask_for_policy,
    consent,
    enroll_patient,
    patients_client,
    register_sealing_key,
    served_bureau,
)

PRODUCT = "enterprise-supplementary"
Tamper = Callable[[dict[str, Any], InsurerContext], None]


class Tampering(httpx.BaseTransport):
    """Forwards to the real bureau and alters a 200 answer with ``tamper``."""

    def __init__(self, tamper: Tamper, context: InsurerContext) -> None:
        self._inner = httpx.HTTPTransport()
        self._tamper = tamper
        self._context = context

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        response = self._inner.handle_request(request)
        response.read()
        if response.status_code != 200:
            return response
        body = json.loads(response.content)
        self._tamper(body, self._context)
        return httpx.Response(200, json=body)


def _moved_to_shanghai(body: dict[str, Any], context: InsurerContext) -> None:
    record_id = bytes.fromhex(body["record_id"][2:])
    sealed = SealedRecord.from_json_dict(body["sealed_disclosure"])
    disclosure = json.loads(
        open_sealed(sealed, context.keystore.current.private, record_id, context.address)
    )
    disclosure["groups"][0]["fields"]["region"] = "shanghai"
    forged = seal(
        canonical_json(disclosure), context.keystore.current.public, record_id, context.address
    )
    body["sealed_disclosure"] = forged.to_json_dict()


def _flipped_ciphertext_byte(body: dict[str, Any], _: InsurerContext) -> None:
    sealed = SealedRecord.from_json_dict(body["sealed_disclosure"])
    ciphertext = bytearray(sealed.ciphertext)
    ciphertext[3] ^= 0x01
    altered = SealedRecord(sealed.ephemeral_public_key, sealed.nonce, bytes(ciphertext))
    body["sealed_disclosure"] = altered.to_json_dict()


def _other_commitment(body: dict[str, Any], _: InsurerContext) -> None:
    body["leaf"]["record_commitment"] = "0x" + keccak256(b"another record").hex()


def _unknown_root(body: dict[str, Any], _: InsurerContext) -> None:
    body["batch"]["root"] = "0x" + keccak256(b"never committed").hex()


def _proof_of_another_leaf(body: dict[str, Any], _: InsurerContext) -> None:
    body["batch"]["proof"] = ["0x" + keccak256(b"a sibling that is not").hex()]


@pytest.fixture
def bureau_url(
    bureau_context: BureauContext, insurer_context: InsurerContext, network: Network
) -> Iterator[str]:
    register_sealing_key(network, insurer_context)
    with served_bureau(bureau_context, network) as url:
        yield url


@pytest.mark.parametrize(
    ("tamper", "status", "check"),
    [
        (_moved_to_shanghai, 422, "disclosure_mismatch"),
        (_flipped_ciphertext_byte, 422, "seal_not_openable"),
        (_other_commitment, 422, "disclosure_mismatch"),
        (_unknown_root, 409, "root_not_committed"),
        (_proof_of_another_leaf, 422, "leaf_not_in_batch"),
    ],
)
def test_an_altered_release_is_not_verifiable_and_issues_no_policy(
    bureau_context: BureauContext,
    insurer_context: InsurerContext,
    network: Network,
    bureau_url: str,
    tamper: Tamper,
    status: int,
    check: str,
) -> None:
    enroll_patient(bureau_context)
    consent(network)
    transport = Tampering(tamper, insurer_context)
    with patients_client(insurer_context, transport=transport) as client:
        answer = ask_for_policy(client, PRODUCT, signer=network.patient)

    assert answer.status_code == status, answer.text
    error = answer.json()["error"]
    assert (error["code"], error["check"]) == ("record_not_verifiable", check)
    with insurer_context.sessions() as session:
        assert list(session.scalars(select(PolicyRow))) == []


def test_the_same_path_untampered_issues_the_policy(
    bureau_context: BureauContext,
    insurer_context: InsurerContext,
    network: Network,
    bureau_url: str,
) -> None:
    enroll_patient(bureau_context)
    consent(network)
    transport = Tampering(lambda body, context: None, insurer_context)
    with patients_client(insurer_context, transport=transport) as client:
        answer = ask_for_policy(client, PRODUCT, signer=network.patient)
    assert answer.status_code == 201, answer.text
