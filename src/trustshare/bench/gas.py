"""Gas of every budgeted registry operation, each run once on a fresh anvil.

docs/CONTRACTS.md quotes these figures (``scripts/gas_report.py`` prints them);
tests/integration/test_gas_budgets.py asserts the budgets. Gas is deterministic, so one run is
the figure.
"""

from __future__ import annotations

import secrets

from eth_account import Account
from web3 import Web3

from trustshare.chain.deployment import deploy_registries
from trustshare.chain.devchain import DevChain, dev_accounts
from trustshare.chain.registries import BatchKind, ClaimRequest, Registries, SettlementLeaf
from trustshare.chain.sender import TransactionSender
from trustshare.crypto.eip712 import ConsentDomain, ConsentTerms, sign_grant, sign_revocation
from trustshare.crypto.hashing import keccak256
from trustshare.crypto.leaves import settlement_id
from trustshare.crypto.merkle import process_proof
from trustshare.crypto.vocabulary import Purpose, Scope


def measure_operations() -> dict[str, int]:
    """Run each operation once on a fresh chain; return gasUsed by operation."""
    gas: dict[str, int] = {}
    operator, bureau, insurer_a, insurer_b = dev_accounts(4)
    patient = Account.create()
    with DevChain.start() as chain:
        w3 = Web3(Web3.HTTPProvider(chain.rpc_url))
        deployment = deploy_registries(TransactionSender(w3, operator))

        def as_(account: object) -> Registries:
            return Registries.connect(w3, deployment, TransactionSender(w3, account))  # type: ignore[arg-type]

        admin = as_(operator).participants
        gas["registerBureau"] = admin.register_bureau(bureau.address, "B", "http://b").gas_used
        gas["registerInsurer"] = admin.register_insurer(
            insurer_a.address, "A", b"\x11" * 32, "http://a"
        ).gas_used
        admin.register_insurer(insurer_b.address, "B", b"\x12" * 32, "http://b")
        relay = as_(bureau)
        pseudonym = keccak256(b"pseudonym")
        gas["bindWallet"] = relay.consents.bind_wallet(pseudonym, patient.address).gas_used
        domain = ConsentDomain(w3.eth.chain_id, deployment.consent_registry)
        now = int(w3.eth.get_block("latest")["timestamp"])

        def grant(insurer: str, nonce: int) -> int:
            terms = ConsentTerms(
                pseudonym, insurer, Scope.SETTLEMENT_SUMMARY, Purpose.CLAIM, now, now + 10**7
            )
            signature = sign_grant(patient.key, domain, terms, nonce, now + 3600)
            return relay.consents.grant_by_signature(terms, nonce, now + 3600, signature).gas_used

        gas["grantBySig (first consent)"] = grant(insurer_a.address, 0)
        gas["grantBySig (replacing)"] = grant(insurer_a.address, 1)
        grant(insurer_b.address, 2)
        gas["commitBatch"] = relay.attestations.commit_batch(
            BatchKind.SETTLEMENT, secrets.token_bytes(32), 1_000_000, keccak256(b"rules")
        ).gas_used
        leaf = SettlementLeaf(
            settlement_id(bureau.address, 1), pseudonym, secrets.token_bytes(32), 10**6
        )
        proof = [secrets.token_bytes(32) for _ in range(20)]
        root = process_proof(leaf.leaf_hash(), proof)
        relay.attestations.commit_batch(BatchKind.SETTLEMENT, root, 10**6, keccak256(b"rules"))
        request = ClaimRequest(root, leaf, proof, 1_000)
        gas["recordClaim depth 20 (first insurer)"] = (
            as_(insurer_a).claims.record_claim(request).gas_used
        )
        gas["recordClaim depth 20 (second insurer)"] = (
            as_(insurer_b).claims.record_claim(request).gas_used
        )
        w3.provider.make_request("anvil_setBalance", [patient.address, hex(10**18)])  # type: ignore[arg-type]
        own = as_(patient).consents
        current = own.consent_of(pseudonym, insurer_a.address).consent_id
        gas["revoke"] = own.revoke(pseudonym, insurer_a.address, current).gas_used
        current_b = own.consent_of(pseudonym, insurer_b.address).consent_id
        signature = sign_revocation(
            patient.key, domain, pseudonym, insurer_b.address, current_b, now + 3600
        )
        gas["revokeBySig"] = relay.consents.revoke_by_signature(
            pseudonym, insurer_b.address, current_b, now + 3600, signature
        ).gas_used
    return gas
