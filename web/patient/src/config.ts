import type { InterfaceAbi } from "ethers";

/** One scope or purpose: its bit in the on-chain mask and its labels (crypto/vocabulary.py). */
export interface VocabularyEntry {
  bit: number;
  key: string;
  en: string;
  zh: string;
}

export interface ContractInfo {
  address: string;
  abi: InterfaceAbi;
}

/** What `GET /v1/patient-page/config` answers: public facts of the network and this bureau. */
export interface PageConfig {
  bureau: string;
  chain: {
    chain_id: number;
    deployed_at_block: number;
    contracts: {
      participants: ContractInfo;
      consent_registry: ContractInfo;
      attestation_registry: ContractInfo;
    };
  };
  request_window_s: number;
  vocabulary: { scopes: VocabularyEntry[]; purposes: VocabularyEntry[] };
}

/** The entries of `vocabulary` whose bits are set in `mask`, in bit order. */
export function flagsIn(vocabulary: VocabularyEntry[], mask: number): VocabularyEntry[] {
  return vocabulary.filter((entry) => (mask & entry.bit) !== 0);
}
