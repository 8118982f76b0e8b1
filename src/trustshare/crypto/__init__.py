"""TrustShare's cryptography: the only package that imports `cryptography.hazmat`.

- `pseudonym` — keyed pseudonyms of ID numbers (HMAC-SHA256, never a bare hash);
- `merkle`, `leaves` — Merkle trees identical to `@openzeppelin/merkle-tree`, settlement leaves;
- `eip712`, `signatures`, `vocabulary` — signed consent typed data, identical to the contract's;
- `commitment`, `canonical_json` — salted per-group commitments for selective disclosure;
- `sealing` — records encrypted to an insurer's X25519 key (ECDH + HKDF + AES-256-GCM).

See docs/CRYPTO.md for the exact encodings.
"""

from trustshare.crypto.canonical_json import canonical_json
from trustshare.crypto.commitment import (
    CommittedRecord,
    DisclosedGroup,
    Disclosure,
    commit_record,
    group_commitment,
    verify_disclosure,
)
from trustshare.crypto.eip712 import (
    ConsentDomain,
    ConsentTerms,
    consent_id,
    grant_digest,
    grant_typed_data,
    recover_grant_signer,
    recover_revocation_signer,
    revocation_digest,
    revocation_typed_data,
    sign_grant,
    sign_revocation,
)
from trustshare.crypto.errors import (
    CanonicalJsonError,
    CryptoError,
    DisclosureError,
    InvalidIdNumberError,
    InvalidKeyError,
    LeafNotInTreeError,
    MerkleInputError,
    SealedRecordFormatError,
    SealedRecordRejectedError,
    SignatureError,
    TypedDataError,
    UnknownVocabularyError,
)
from trustshare.crypto.hashing import keccak256
from trustshare.crypto.leaves import (
    SETTLEMENT_LEAF_ENCODING,
    SettlementLeaf,
    bureau_of,
    local_id_of_reference,
    settlement_id,
    settlement_leaf_hash,
)
from trustshare.crypto.merkle import StandardMerkleTree, process_proof, verify
from trustshare.crypto.pseudonym import PseudonymKey, pseudonym_of
from trustshare.crypto.sealing import (
    SealedRecord,
    SealingPrivateKey,
    SealingPublicKey,
    open_sealed,
    seal,
)
from trustshare.crypto.signatures import is_low_s, to_high_s_twin
from trustshare.crypto.vocabulary import Purpose, Scope

__all__ = [
    "SETTLEMENT_LEAF_ENCODING",
    "CanonicalJsonError",
    "CommittedRecord",
    "ConsentDomain",
    "ConsentTerms",
    "CryptoError",
    "DisclosedGroup",
    "Disclosure",
    "DisclosureError",
    "InvalidIdNumberError",
    "InvalidKeyError",
    "LeafNotInTreeError",
    "MerkleInputError",
    "PseudonymKey",
    "Purpose",
    "Scope",
    "SealedRecord",
    "SealedRecordFormatError",
    "SealedRecordRejectedError",
    "SealingPrivateKey",
    "SealingPublicKey",
    "SettlementLeaf",
    "SignatureError",
    "StandardMerkleTree",
    "TypedDataError",
    "UnknownVocabularyError",
    "bureau_of",
    "canonical_json",
    "commit_record",
    "consent_id",
    "grant_digest",
    "grant_typed_data",
    "group_commitment",
    "is_low_s",
    "keccak256",
    "local_id_of_reference",
    "open_sealed",
    "process_proof",
    "pseudonym_of",
    "recover_grant_signer",
    "recover_revocation_signer",
    "revocation_digest",
    "revocation_typed_data",
    "seal",
    "settlement_id",
    "settlement_leaf_hash",
    "sign_grant",
    "sign_revocation",
    "to_high_s_twin",
    "verify",
    "verify_disclosure",
]
