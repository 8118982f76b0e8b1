"""The end-to-end scenario that ``make demo`` walks, on a fresh local network.

bind → signed consent → one-stop settlement → batch commit → verified fast claims →
refused double claim → signed revocation. Every chain step prints its transaction and gas.
The bureau and insurer steps run in-process here; their nodes (HTTP services) build on the
same calls.
"""

from __future__ import annotations

import json
import secrets
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

from eth_account import Account

from trustshare.chain.errors import ContractRevert
from trustshare.chain.registries import BatchKind, ClaimRequest, SettlementLeaf
from trustshare.chain.sender import TxOutcome
from trustshare.chain.toolchain import find_checkout
from trustshare.crypto.commitment import (
    CommittedRecord,
    Disclosure,
    commit_record,
    verify_disclosure,
)
from trustshare.crypto.eip712 import (
    ConsentDomain,
    ConsentTerms,
    sign_grant,
    sign_revocation,
)
from trustshare.crypto.leaves import (
    SETTLEMENT_LEAF_ENCODING,
    local_id_of_reference,
    settlement_id,
)
from trustshare.crypto.merkle import StandardMerkleTree
from trustshare.crypto.pseudonym import pseudonym_of
from trustshare.crypto.sealing import open_sealed, seal
from trustshare.crypto.vocabulary import Purpose, Scope
from trustshare.demo_bureau import BureauScenario
from trustshare.demo_insurer import InsurerScenario
from trustshare.devnet import DemoInsurer, DevNetwork, start_dev_network
from trustshare.domain import (
    EMPTY_ACCUMULATORS,
    Settlement,
    default_rules,
    format_yuan,
    parse_bill,
    settle,
)

#: GB 11643's own illustrative resident ID number: valid checksum, belongs to nobody.
DEMO_ID_NUMBER = "11010519491231002X"
DEMO_BATCH_SIZE = 1_000
YEAR = 365 * 86_400

Echo = Callable[[str], None]


def record_groups(settlement: Settlement) -> dict[str, dict[str, Any]]:
    """Split a settlement into disclosure groups (one per consent scope)."""
    record = settlement.record.to_dict()
    bill = settlement.bill
    return {
        "settlement_summary": {
            "setl_id": bill.setl_id,
            "mdtrt_id": bill.mdtrt_id,
            "setl_time": bill.settlement_time,
            "med_type": bill.visit_type.value,
            "region": bill.region,
            "medfee_sumamt": record["medfee_sumamt"],
            "psn_part_amt": record["psn_part_amt"],
            "claim_ceiling_fen": settlement.claim_ceiling_fen,
        },
        "fund_breakdown": {k: v for k, v in record.items() if k not in ("medfee_sumamt",)},
        "line_items": {"lines": [line.model_dump(mode="json") for line in bill.lines]},
    }


@dataclass(frozen=True)
class ClearedSettlement:
    """A settlement after clearing: its committed record, batch root, leaf and proof."""

    committed: CommittedRecord
    root: bytes
    leaf: SettlementLeaf
    proof: list[bytes]


class Scenario:
    """One run of the demo; ``echo`` receives every line it prints."""

    def __init__(self, network: DevNetwork, echo: Echo) -> None:
        self.network = network
        self.echo = echo
        self.bureau = network.registries(network.bureau)
        self.domain = ConsentDomain(
            network.deployment.chain_id, network.deployment.consent_registry
        )
        self.patient = Account.create()
        self.pseudonym = pseudonym_of(DEMO_ID_NUMBER, network.bureau_pseudonym_key)

    def tx(self, what: str, outcome: TxOutcome) -> None:
        """Print one transaction line."""
        self.echo(
            f"    {what:<44} tx {outcome.tx_hash[:18]}…  "
            f"block {outcome.block_number:>3}  gas {outcome.gas_used:>9,}"
        )

    def step(self, number: int, title: str) -> None:
        """Print a step heading."""
        self.echo(f"\n[{number}] {title}")

    def run(self) -> None:
        """Walk every step."""
        self.network_up()
        self.bind()
        self.grant_consents()
        settlement, rules_version = self.settle()
        cleared = self.clear(settlement, rules_version)
        self.fast_claims(settlement, cleared)
        self.revoke()

    def network_up(self) -> None:
        """Step 1: the network."""
        net = self.network
        self.step(1, f"Network: anvil at {net.chain.rpc_url}, chain id {net.deployment.chain_id}")
        for name in ("participants", "consent_registry", "attestation_registry", "claim_registry"):
            self.echo(f"    {name:<22} {getattr(net.deployment, name)}")
        for what, outcome in net.setup_outcomes.items():
            self.tx(what, outcome)

    def bind(self) -> None:
        """Step 2: the bureau binds the patient's wallet to a keyed pseudonym."""
        self.step(
            2, "Identity binding: bureau verifies the patient off-chain, binds wallet → pseudonym"
        )
        self.echo(
            "    ID number stays at the bureau; on-chain pseudonym = HMAC(bureau key, ID) = "
            f"0x{self.pseudonym.hex()[:16]}…"
        )
        self.echo(f"    patient wallet (key on the patient's device) {self.patient.address}")
        self.tx(
            "ConsentRegistry.bindWallet",
            self.bureau.consents.bind_wallet(self.pseudonym, self.patient.address),
        )

    def grant_consents(self) -> None:
        """Step 3: the patient signs EIP-712 consents; the bureau relays them (no gas for them)."""
        self.step(
            3,
            "Consent: patient signs EIP-712 Consent per insurer; "
            "bureau relays (patient pays no gas)",
        )
        now = int(self.network.w3.eth.get_block("latest")["timestamp"])
        scopes = Scope.SETTLEMENT_SUMMARY | Scope.FUND_BREAKDOWN
        for insurer in self.network.insurers:
            terms = ConsentTerms(
                self.pseudonym, insurer.account.address, scopes, Purpose.CLAIM, now, now + YEAR
            )
            nonce = self.bureau.consents.nonce_of(self.pseudonym)
            deadline = now + 3600
            signature = sign_grant(self.patient.key, self.domain, terms, nonce, deadline)
            outcome = self.bureau.consents.grant_by_signature(terms, nonce, deadline, signature)
            self.tx(f"grantBySig → {insurer.name}", outcome)
        self.echo(
            f"    scopes: {scopes.describe()}; purpose: {Purpose.CLAIM.describe()}; window: 1 year"
        )

    def settle(self) -> tuple[Settlement, bytes]:
        """Step 4: one-stop settlement of the discharge bill across every layer."""
        self.step(4, "One-stop settlement at discharge (rules as data, exact integer fen)")
        bill_path = find_checkout().root / "docs" / "examples" / "bill-beijing-inpatient.json"
        bill = parse_bill(json.loads(bill_path.read_text(), parse_float=Decimal))
        rules = default_rules()
        settlement = settle(bill, EMPTY_ACCUMULATORS, rules)
        record = settlement.record
        rows = [
            ("total medical cost (medfee_sumamt)", record.medfee_sumamt),
            ("basic pooled fund (hifp_pay)", record.hifp_pay),
            ("critical-illness insurance (hifmi_pay)", record.hifmi_pay),
            ("medical assistance (maf_pay)", record.maf_pay),
            ("patient share after statutory funds", record.psn_part_amt),
        ]
        rows += [
            (f"commercial #{p.order}: {p.product_id}", p.paid_fen) for p in settlement.commercial
        ]
        rows.append(("patient pays at the window", settlement.patient_remainder_fen))
        for label, amount in rows:
            self.echo(f"    {label:<44} {format_yuan(amount):>14} yuan")
        return settlement, bytes.fromhex(rules.digest)

    def clear(self, settlement: Settlement, rules_version: bytes) -> ClearedSettlement:
        """Step 5: the record joins a Merkle batch whose root is committed on-chain."""
        self.step(
            5,
            "Clearing: record committed with salted disclosure groups; "
            f"batch of {DEMO_BATCH_SIZE:,} settlements",
        )
        committed = commit_record(record_groups(settlement))
        leaf = SettlementLeaf(
            settlement_id(
                self.network.bureau.address, local_id_of_reference(settlement.bill.setl_id or "")
            ),
            self.pseudonym,
            committed.commitment,
            settlement.claim_ceiling_fen,
        )
        others = [
            SettlementLeaf(
                secrets.token_bytes(32), secrets.token_bytes(32), secrets.token_bytes(32), 10_000
            )
            for _ in range(DEMO_BATCH_SIZE - 1)
        ]
        tree = StandardMerkleTree.of(
            [leaf.as_tuple(), *(o.as_tuple() for o in others)], SETTLEMENT_LEAF_ENCODING
        )
        outcome = self.bureau.attestations.commit_batch(
            BatchKind.SETTLEMENT, tree.root, len(tree), rules_version
        )
        self.tx("AttestationRegistry.commitBatch", outcome)
        self.echo(
            f"    root 0x{tree.root.hex()[:16]}…  "
            f"claim ceiling {format_yuan(leaf.claim_ceiling_fen)} yuan"
        )
        return ClearedSettlement(committed, tree.root, leaf, tree.proof(0))

    def fast_claims(self, settlement: Settlement, cleared: ClearedSettlement) -> None:
        """Step 6: each insurer receives the sealed record, verifies it, claims once."""
        self.step(
            6, "Fast claims: sealed record → insurer decrypts, checks commitment and proof, claims"
        )
        root, leaf, proof = cleared.root, cleared.leaf, cleared.proof
        for insurer, payment in zip(self.network.insurers, settlement.commercial, strict=False):
            disclosure = self.release(insurer, cleared)
            registries = self.network.registries(insurer.account)
            if not registries.attestations.verify_settlement(root, leaf, proof):
                raise RuntimeError("proof did not verify against the committed root")
            request = ClaimRequest(root, leaf, proof, payment.paid_fen)
            self.echo(
                f"    {insurer.name} ({payment.product_id}): decrypted and verified "
                f"{'+'.join(disclosure.group_names)} against the commitment and the root; "
                f"pays {format_yuan(payment.paid_fen)} yuan"
            )
            self.tx("ClaimRegistry.recordClaim", registries.claims.record_claim(request))
        first = self.network.insurers[0]
        again = ClaimRequest(root, leaf, proof, settlement.commercial[0].paid_fen)
        try:
            self.network.registries(first.account).claims.record_claim(again)
        except ContractRevert as refused:
            self.echo(f"    {first.name} claims again → refused before sending: {refused}")
        else:
            raise RuntimeError("a double claim was accepted")
        total = self.bureau.claims.total_claimed_fen(leaf.settlement_id)
        self.echo(
            f"    claimed in total {format_yuan(total)} "
            f"of ceiling {format_yuan(leaf.claim_ceiling_fen)} yuan"
        )

    def release(self, insurer: DemoInsurer, cleared: ClearedSettlement) -> Disclosure:
        """The bureau seals the consented groups to the insurer; the insurer opens and verifies."""
        leaf = cleared.leaf
        disclosure = cleared.committed.disclose(["settlement_summary", "fund_breakdown"])
        public_key = insurer.sealing_key.public_key()
        sealed = seal(
            json.dumps(disclosure.to_json_dict()).encode(),
            public_key,
            leaf.settlement_id,
            insurer.account.address,
        )
        opened = open_sealed(
            sealed, insurer.sealing_key, leaf.settlement_id, insurer.account.address
        )
        received = Disclosure.from_json_dict(json.loads(opened))
        verify_disclosure(received, leaf.record_commitment)
        return received

    def revoke(self) -> None:
        """Step 7: the patient withdraws one insurer's consent; it stops at once."""
        insurer = self.network.insurers[-1]
        self.step(7, f"Revocation: patient signs a Revocation for {insurer.name}; bureau relays")
        current = self.bureau.consents.consent_of(self.pseudonym, insurer.account.address)
        deadline = int(self.network.w3.eth.get_block("latest")["timestamp"]) + 3600
        signature = sign_revocation(
            self.patient.key,
            self.domain,
            self.pseudonym,
            insurer.account.address,
            current.consent_id,
            deadline,
        )
        outcome = self.bureau.consents.revoke_by_signature(
            self.pseudonym, insurer.account.address, current.consent_id, deadline, signature
        )
        self.tx("ConsentRegistry.revokeBySig", outcome)
        status = self.bureau.consents.permission_of(
            self.pseudonym, insurer.account.address, Scope.SETTLEMENT_SUMMARY, Purpose.CLAIM
        )
        self.echo(
            f"    permission now: {status.name} — "
            f"the bureau releases nothing more to {insurer.name}"
        )


def run_demo(echo: Echo, state_dir: Path | None = None) -> None:
    """Start a fresh network, walk both acts of the scenario, stop the network."""
    network = start_dev_network(state_dir=state_dir)
    try:
        scenario = Scenario(network, echo)
        scenario.run()
        with tempfile.TemporaryDirectory(prefix="trustshare-demo-") as workdir:
            insurers = InsurerScenario(
                network, echo, Path(workdir), scenario.patient, scenario.pseudonym, DEMO_ID_NUMBER
            )
            BureauScenario(network, echo, Path(workdir), DEMO_ID_NUMBER).run(then=insurers.run)
        echo("\nScenario complete.")
    finally:
        network.stop()
