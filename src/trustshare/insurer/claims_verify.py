"""Fetch a settlement record from its bureau and verify it against the chain.

The bureau is the settlement id's first 20 bytes; its endpoint comes from ``Participants``. The
node asks with a signed ``POST /v1/releases`` (purpose ``claim``, or ``direct_settlement`` for a
window claim; groups ``settlement_summary`` and ``fund_breakdown``), then, trusting nothing in
the answer but what the chain confirms:

1. the leaf is for the settlement asked about;
2. the sealed disclosure opens with one of the keystore's sealing keys (current or older);
3. the disclosed fields give the leaf's ``record_commitment`` (``verify_disclosure``): a
   tampered byte anywhere fails here;
4. the leaf's proof reaches a root the chain holds as a SETTLEMENT batch of that bureau (the
   proof is checked here as ``MerkleProof`` checks it; the committed batch is read from the
   chain once and kept, it cannot change), and the settlement is not superseded (read fresh).

Refusals raise :class:`ClaimRefused` (final, the claim shows the code); a bureau that cannot be
reached, answers 5xx, or whose batch is not final yet raises :class:`RetryLater`.
"""

from __future__ import annotations

import json
import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Final, Protocol

import httpx
from web3 import Web3

from trustshare.chain.registries.attestation import BatchKind
from trustshare.chain.registries.consent import PermissionStatus
from trustshare.crypto.commitment import Disclosure, verify_disclosure
from trustshare.crypto.errors import CryptoError
from trustshare.crypto.leaves import SettlementLeaf
from trustshare.crypto.merkle import process_proof
from trustshare.crypto.sealing import SealedRecord, open_sealed
from trustshare.gateway.signing import sign_request
from trustshare.insurer.context import InsurerContext

RELEASE_PATH: Final = "/v1/releases"
CLAIM_GROUPS: Final = ("settlement_summary", "fund_breakdown")


class ClaimRefused(Exception):
    """The claim cannot be paid: ``code`` (stable) and a reason for people."""

    def __init__(self, code: str, reason: str) -> None:
        """Refuse with ``code``."""
        super().__init__(f"{code}: {reason}")
        self.code = code
        self.reason = reason


class RetryLater(ClaimRefused):
    """Not now: the bureau is unreachable or the record's batch is not final yet."""


@dataclass(frozen=True)
class VerifiedRecord:
    """A record proven against the chain: its leaf, batch root and proof, and its fields."""

    leaf: SettlementLeaf
    root: bytes
    proof: list[bytes]
    groups: dict[str, Mapping[str, Any]]


@dataclass(frozen=True)
class ChainFacts:
    """What the chain says, read just before the claim is decided (outside its transaction)."""

    permission: PermissionStatus
    """The patient's consent for this claim's purpose (CLAIM; or the window's, for clearing)."""
    claimed_fen: int
    """Every insurer's active claims on the settlement."""


def bureau_of(settlement_id: bytes) -> str:
    """The bureau a settlement id belongs to: its first 20 bytes (checksum address)."""
    return str(Web3.to_checksum_address(settlement_id[:20]))


class Fetch(Protocol):
    """How a claim asks a bureau for a record (:func:`fetch_release`; tests may wrap it)."""

    def __call__(
        self, context: InsurerContext, settlement_id: bytes, *, purpose: str = "claim"
    ) -> dict[str, Any]:
        """The bureau's answer to a release request for ``settlement_id``."""
        ...


def fetch_release(
    context: InsurerContext, settlement_id: bytes, *, purpose: str = "claim", timeout: float = 5.0
) -> dict[str, Any]:
    """Ask the settlement's bureau for the record under the patient's consent for ``purpose``.

    ``claim`` for a fast claim; ``direct_settlement`` for clearing a layer paid at the window.
    """
    body = {
        "record_type": "settlement",
        "record_id": "0x" + settlement_id.hex(),
        "purpose": purpose,
        "scopes": list(CLAIM_GROUPS),
    }
    return post_signed(context, bureau_of(settlement_id), RELEASE_PATH, body, timeout=timeout)


def post_signed(
    context: InsurerContext, bureau: str, path: str, body: dict[str, Any], *, timeout: float
) -> dict[str, Any]:
    """POST ``body`` to ``bureau``'s ``path``, signed by this node; the answer (:func:`answer_of`).

    The endpoint is the one ``Participants`` registers (unknown bureau: refused); a bureau that
    cannot be reached: :class:`RetryLater`.
    """
    endpoint = context.chain_view.bureau_endpoint(bureau)
    if endpoint is None:
        raise ClaimRefused("unknown_bureau", f"{bureau} is not an active bureau")
    raw = json.dumps(body).encode()
    headers = sign_request(context.keystore.account, "POST", path, raw, now=time.time())
    headers["Content-Type"] = "application/json"
    try:
        answer = context.http.post(endpoint + path, content=raw, headers=headers, timeout=timeout)
    except httpx.HTTPError as exc:
        raise RetryLater("bureau_unreachable", f"{endpoint}: {type(exc).__name__}") from exc
    return answer_of(answer)


def answer_of(answer: httpx.Response) -> dict[str, Any]:
    """The JSON object of a bureau's 200 answer; otherwise raise what it means for the claim."""
    if answer.status_code >= 500:
        raise RetryLater("bureau_unreachable", f"the bureau answered {answer.status_code}")
    try:
        document = answer.json()
    except ValueError:
        raise ClaimRefused("malformed_release", "the bureau's answer is not JSON") from None
    if answer.status_code == 200 and isinstance(document, dict):
        return document
    error = document.get("error", {}) if isinstance(document, dict) else {}
    raise refusal_of(answer.status_code, error)


def refusal_of(status_code: int, error: Any) -> ClaimRefused:
    """What a bureau's refusal (``status_code`` and its ``error`` object) means for a claim."""
    error = error if isinstance(error, dict) else {}
    code = str(error.get("code", "bureau_refused"))
    message = str(error.get("message", f"status {status_code}"))
    if status_code == 409 and code == "not_yet_committed":
        return RetryLater(code, "the record's batch is not final yet")
    if code == "consent_missing":
        status = str(error.get("permission_status", "NO_CONSENT")).lower()
        return ClaimRefused(f"consent_{status}", message)
    return ClaimRefused(code, message)


def verify_release(
    context: InsurerContext, settlement_id: bytes, answer: Mapping[str, Any]
) -> VerifiedRecord:
    """Check the released record as described above; the verified leaf, proof and fields."""
    verified = check_release(context, settlement_id, answer)
    if context.registries.attestations.superseded_by(settlement_id) is not None:
        raise superseded()
    return verified


def superseded() -> ClaimRefused:
    """The refusal of a claim on a settlement the chain says was superseded."""
    return ClaimRefused("settlement_superseded", "the settlement was corrected (superseded)")


def check_release(
    context: InsurerContext, settlement_id: bytes, answer: Mapping[str, Any]
) -> VerifiedRecord:
    """Steps 1-4 above except the supersession (read fresh by the caller, possibly batched)."""
    try:
        leaf_json, batch = answer["leaf"], answer["batch"]
        leaf = SettlementLeaf(
            _hex(leaf_json["settlement_id"]),
            _hex(leaf_json["pseudonym"]),
            _hex(leaf_json["record_commitment"]),
            int(leaf_json["claim_ceiling_fen"]),
        )
        root = _hex(batch["root"])
        proof = [_hex(node) for node in batch["proof"]]
        sealed = SealedRecord.from_json_dict(answer["sealed_disclosure"])
    except (KeyError, TypeError, ValueError, CryptoError) as exc:
        raise ClaimRefused("malformed_release", f"the release is malformed: {exc!r}") from exc
    if leaf.settlement_id != settlement_id:
        raise ClaimRefused("leaf_mismatch", "the release is for another settlement")
    groups = _open(context, sealed, settlement_id, leaf.record_commitment)
    missing = [name for name in CLAIM_GROUPS if name not in groups]
    if missing:
        raise ClaimRefused("consent_scope_withheld", f"the bureau withheld {', '.join(missing)}")
    batch = context.chain_view.committed_batch(root)
    reaches = process_proof(leaf.leaf_hash(), proof) == root  # the contract's MerkleProof check
    if batch is None or batch.kind is not BatchKind.SETTLEMENT or not reaches:
        raise ClaimRefused(
            "proof_not_committed", "the leaf's proof does not reach a committed settlement batch"
        )
    if batch.bureau.lower() != bureau_of(settlement_id).lower():
        raise ClaimRefused("foreign_batch", "the batch was committed by another bureau")
    return VerifiedRecord(leaf, root, proof, groups)


def _open(
    context: InsurerContext, sealed: SealedRecord, settlement_id: bytes, commitment: bytes
) -> dict[str, Mapping[str, Any]]:
    plaintext = None
    for entry in reversed(context.keystore.sealing_keys):  # the current key first
        try:
            plaintext = open_sealed(sealed, entry.private, settlement_id, context.address)
            break
        except CryptoError:
            continue
    if plaintext is None:
        raise ClaimRefused("undecryptable", "no sealing key of this node opens the record")
    try:
        disclosure = Disclosure.from_json_dict(json.loads(plaintext))
        return verify_disclosure(disclosure, commitment)
    except (CryptoError, ValueError, KeyError, TypeError) as exc:
        raise ClaimRefused(
            "commitment_mismatch", f"the disclosed fields do not give the commitment: {exc}"
        ) from exc


def _hex(text: Any) -> bytes:
    if not isinstance(text, str) or not text.startswith("0x"):
        raise ValueError(f"expected 0x-hex, got {text!r}")
    return bytes.fromhex(text[2:])
