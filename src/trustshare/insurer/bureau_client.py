"""Asking a bureau for a record (``POST /v1/releases``) and believing only what can be proven.

The request is signed with the insurer's chain key (:mod:`trustshare.gateway.signing`) and sent
to the bureau's endpoint as registered in ``Participants``. The answer is trusted in nothing:

1. the leaf names the record asked for (its id, or the person's pseudonym) and the record id
   belongs to the bureau asked (its first 20 bytes);
2. the sealed disclosure opens with one of this node's sealing keys (current or past) for that
   record id and this insurer;
3. every disclosed group matches the leaf's ``record_commitment`` (fields, salts, group proofs);
4. ``batch.root`` is committed on chain by that bureau, as a batch of the record's kind, and
   ``AttestationRegistry.verify(root, abi.encode(leaf), proof)`` holds.

Any failure is :class:`ReleaseNotVerifiable` with a stable ``code``; a refusal by the bureau is
:class:`BureauRefusal` with the bureau's status and error body.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

import httpx
from eth_abi.abi import encode as abi_encode

from trustshare.chain.registries import BatchKind, Registries
from trustshare.crypto.commitment import Disclosure, verify_disclosure
from trustshare.crypto.errors import DisclosureError, SealedRecordFormatError
from trustshare.crypto.errors import SealedRecordRejectedError as SealRejected
from trustshare.crypto.leaves import ENROLLMENT_LEAF_ENCODING, SETTLEMENT_LEAF_ENCODING, bureau_of
from trustshare.crypto.sealing import SealedRecord, open_sealed
from trustshare.crypto.vocabulary import Purpose, Scope
from trustshare.gateway.signing import sign_request
from trustshare.insurer.keystore import Keystore

RELEASES_PATH = "/v1/releases"


@dataclass(frozen=True)
class _RecordKind:
    batch_kind: BatchKind
    id_field: str
    leaf_fields: tuple[str, ...]
    encoding: tuple[str, ...]


_KINDS = {
    "settlement": _RecordKind(
        BatchKind.SETTLEMENT,
        "settlement_id",
        ("settlement_id", "pseudonym", "record_commitment", "claim_ceiling_fen"),
        SETTLEMENT_LEAF_ENCODING,
    ),
    "enrollment": _RecordKind(
        BatchKind.ENROLLMENT,
        "enrollment_id",
        ("enrollment_id", "pseudonym", "record_commitment"),
        ENROLLMENT_LEAF_ENCODING,
    ),
}


class BureauUnreachable(RuntimeError):
    """The bureau has no endpoint, is not an active bureau, or did not answer."""


class BureauRefusal(Exception):
    """The bureau answered with an error: its HTTP status and its ``error`` object."""

    def __init__(self, status_code: int, error: Mapping[str, Any], retry_after: str | None) -> None:
        """Keep the bureau's status, error body and ``Retry-After`` (if any)."""
        self.status_code = status_code
        self.error = dict(error)
        self.code = str(error.get("code", "bureau_error"))
        self.message = str(error.get("message", ""))
        self.retry_after = retry_after
        super().__init__(f"bureau refused ({status_code} {self.code}): {self.message}")


class ReleaseNotVerifiable(ValueError):
    """What the bureau sent does not prove itself; ``code`` says which check failed."""

    def __init__(self, code: str, reason: str) -> None:
        """Name the failed check and why."""
        super().__init__(f"{code}: {reason}")
        self.code = code
        self.reason = reason


@dataclass(frozen=True)
class VerifiedRelease:
    """A released record whose every disclosed field is proven against a committed root."""

    record_type: str
    record_id: bytes
    bureau: str
    pseudonym: bytes
    record_commitment: bytes
    groups: Mapping[str, Mapping[str, Any]]
    """The disclosed groups' fields, each checked against ``record_commitment``."""
    leaf: Mapping[str, Any]
    root: bytes
    proof: tuple[bytes, ...]
    tx_hash: str | None
    block_number: int | None
    access_log_id: int | None = field(default=None)


class BureauClient:
    """Signed release requests to any bureau of the network, answers verified (module doc)."""

    def __init__(
        self,
        keystore: Keystore,
        registries: Registries,
        *,
        http: httpx.Client | None = None,
        timeout: float = 5.0,
        clock: Callable[[], float] = time.time,
    ) -> None:
        """Sign as ``keystore``'s account; read endpoints and roots through ``registries``."""
        self._keystore = keystore
        self._registries = registries
        self._http = http or httpx.Client(timeout=timeout)
        self._clock = clock

    def release(
        self,
        record_type: str,
        *,
        purpose: Purpose,
        scopes: Scope,
        record_id: bytes | None = None,
        pseudonym: bytes | None = None,
        bureau: str | None = None,
    ) -> VerifiedRelease:
        """Fetch one record by ``record_id`` (or an enrollment by ``pseudonym`` at ``bureau``).

        The bureau is the record id's (its first 20 bytes) unless given. Raises
        :class:`BureauUnreachable`, :class:`BureauRefusal` or :class:`ReleaseNotVerifiable`.
        """
        kind = _KINDS[record_type]
        if (record_id is None) == (pseudonym is None):
            raise ValueError("give exactly one of record_id and pseudonym")
        target = bureau or (bureau_of(record_id) if record_id is not None else None)
        if target is None:
            raise ValueError("a release by pseudonym needs the bureau to ask")
        body: dict[str, Any] = {
            "record_type": record_type,
            "purpose": purpose.keys()[0],
            "scopes": scopes.keys(),
        }
        if record_id is not None:
            body["record_id"] = "0x" + record_id.hex()
        else:
            assert pseudonym is not None
            body["pseudonym"] = "0x" + pseudonym.hex()
        answer = self._post(target, body)
        return self._verify(answer, kind, target, record_id=record_id, pseudonym=pseudonym)

    def _post(self, bureau: str, body: dict[str, Any]) -> dict[str, Any]:
        participants = self._registries.participants
        if not participants.is_active_bureau(bureau):
            raise BureauUnreachable(f"{bureau} is not an active bureau")
        endpoint = participants.participant(bureau).endpoint.rstrip("/")
        if not endpoint.startswith(("http://", "https://")):
            raise BureauUnreachable(f"bureau {bureau} has no usable endpoint: {endpoint!r}")
        path = urlsplit(endpoint).path + RELEASES_PATH
        raw = json.dumps(body).encode()
        headers = sign_request(self._keystore.account, "POST", path, raw, now=self._clock())
        headers["Content-Type"] = "application/json"
        try:
            response = self._http.post(endpoint + RELEASES_PATH, content=raw, headers=headers)
        except httpx.HTTPError as error:
            raise BureauUnreachable(f"bureau {bureau} did not answer: {error}") from error
        try:
            data = response.json()
        except ValueError:
            data = None
        if response.status_code != 200:
            refusal = data.get("error") if isinstance(data, dict) else None
            if not isinstance(refusal, dict):
                refusal = {"code": "bureau_error", "message": response.text[:200]}
            raise BureauRefusal(response.status_code, refusal, response.headers.get("Retry-After"))
        if not isinstance(data, dict):
            raise ReleaseNotVerifiable("malformed_release", "the answer is not a JSON object")
        return data

    def _verify(
        self,
        answer: dict[str, Any],
        kind: _RecordKind,
        bureau: str,
        *,
        record_id: bytes | None,
        pseudonym: bytes | None,
    ) -> VerifiedRelease:
        try:
            leaf = answer["leaf"]
            words = [_word(leaf[name]) for name in kind.leaf_fields[:3]]
            values: tuple[Any, ...] = (*words, *(int(leaf[n]) for n in kind.leaf_fields[3:]))
            root = _word(answer["batch"]["root"])
            proof = tuple(_word(node) for node in answer["batch"]["proof"])
            sealed = SealedRecord.from_json_dict(answer["sealed_disclosure"])
            released = [str(name) for name in answer["groups_released"]]
        except (KeyError, TypeError, ValueError) as error:
            raise ReleaseNotVerifiable("malformed_release", repr(error)) from error
        leaf_id, leaf_pseudonym, commitment = words
        if record_id is not None and leaf_id != record_id:
            raise ReleaseNotVerifiable("wrong_record", "the leaf names another record")
        if pseudonym is not None and leaf_pseudonym != pseudonym:
            raise ReleaseNotVerifiable("wrong_record", "the leaf belongs to another person")
        if bureau_of(leaf_id).lower() != bureau.lower():
            raise ReleaseNotVerifiable("wrong_record", "the record id is another bureau's")
        groups = self._open(sealed, leaf_id, commitment, released)
        batch = self._registries.attestations.batch_of(root)
        if batch.kind is BatchKind.NONE:
            raise ReleaseNotVerifiable("root_not_committed", "no batch is committed under root")
        if batch.kind is not kind.batch_kind or batch.bureau.lower() != bureau.lower():
            raise ReleaseNotVerifiable(
                "wrong_batch", f"root is a {batch.kind.name} batch of {batch.bureau}"
            )
        if not self._registries.attestations.verify(
            root, abi_encode(list(kind.encoding), list(values)), list(proof)
        ):
            raise ReleaseNotVerifiable("leaf_not_in_batch", "the proof does not reach the root")
        batch_info = answer.get("batch", {})
        log_id = answer.get("access_log_id")
        return VerifiedRelease(
            record_type=answer.get("record_type", ""),
            record_id=leaf_id,
            bureau=batch.bureau,
            pseudonym=leaf_pseudonym,
            record_commitment=commitment,
            groups=groups,
            leaf=dict(leaf),
            root=root,
            proof=proof,
            tx_hash=batch_info.get("tx_hash"),
            block_number=batch_info.get("block_number"),
            access_log_id=log_id if isinstance(log_id, int) else None,
        )

    def _open(
        self, sealed: SealedRecord, record_id: bytes, commitment: bytes, released: list[str]
    ) -> dict[str, Mapping[str, Any]]:
        plaintext: bytes | None = None
        for entry in reversed(self._keystore.sealing_keys):
            try:
                plaintext = open_sealed(sealed, entry.private, record_id, self._keystore.address)
                break
            except SealRejected:
                continue
        if plaintext is None:
            raise ReleaseNotVerifiable(
                "seal_not_openable", "no sealing key of this node opens the disclosure"
            )
        try:
            disclosure = Disclosure.from_json_dict(json.loads(plaintext))
            return verify_disclosure(disclosure, commitment, expected_groups=released)
        except (DisclosureError, SealedRecordFormatError, ValueError) as error:
            raise ReleaseNotVerifiable("disclosure_mismatch", str(error)) from error


def _word(value: Any) -> bytes:
    if not isinstance(value, str) or not value.startswith("0x") or len(value) != 66:
        raise ValueError(f"not a 32-byte hex word: {value!r}")
    return bytes.fromhex(value[2:])
