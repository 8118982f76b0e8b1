// Consents signed in the browser as EIP-712 typed data identical to ConsentRegistry's
// (src/trustshare/crypto/eip712.py): domain "TrustShare ConsentRegistry" version 1 on the
// deployment's chain and registry; ethers builds EIP712Domain from these four fields in the
// contract's order (name, version, chainId, verifyingContract).
import type { TypedDataDomain, TypedDataField, Wallet } from "ethers";
import type { PageConfig } from "./config";

export const CONSENT_TYPES: Record<string, TypedDataField[]> = {
  Consent: [
    { name: "pseudonym", type: "bytes32" },
    { name: "insurer", type: "address" },
    { name: "scopes", type: "uint32" },
    { name: "purposes", type: "uint32" },
    { name: "notBefore", type: "uint48" },
    { name: "notAfter", type: "uint48" },
    { name: "nonce", type: "uint256" },
    { name: "deadline", type: "uint256" },
  ],
};

export const REVOCATION_TYPES: Record<string, TypedDataField[]> = {
  Revocation: [
    { name: "pseudonym", type: "bytes32" },
    { name: "insurer", type: "address" },
    { name: "consentId", type: "bytes32" },
    { name: "deadline", type: "uint256" },
  ],
};

/** How long a signature may wait for the chain (its `deadline`, after the chain's now). */
export const SIGNATURE_LIFETIME_S = 3_600;

export function consentDomain(config: PageConfig): TypedDataDomain {
  return {
    name: "TrustShare ConsentRegistry",
    version: "1",
    chainId: config.chain.chain_id,
    verifyingContract: config.chain.contracts.consent_registry.address,
  };
}

/** What a consent says (`IConsentRegistry.ConsentTerms`); the window is inclusive. */
export interface ConsentTerms {
  pseudonym: string;
  insurer: string;
  scopes: number;
  purposes: number;
  notBefore: number;
  notAfter: number;
}

/** `POST /v1/consents/grants` body. */
export interface GrantBody {
  terms: {
    pseudonym: string;
    insurer: string;
    scopes: number;
    purposes: number;
    not_before: number;
    not_after: number;
  };
  nonce: number;
  deadline: number;
  signature: string;
}

/** `POST /v1/consents/revocations` body. */
export interface RevocationBody {
  pseudonym: string;
  insurer: string;
  consent_id: string;
  deadline: number;
  signature: string;
}

/** Sign a grant of `terms` with the subject's `nonce`, valid until `deadline`. */
export async function signGrant(
  wallet: Wallet,
  domain: TypedDataDomain,
  terms: ConsentTerms,
  nonce: bigint,
  deadline: number,
): Promise<GrantBody> {
  const signature = await wallet.signTypedData(domain, CONSENT_TYPES, {
    ...terms,
    nonce,
    deadline,
  });
  return {
    terms: {
      pseudonym: terms.pseudonym,
      insurer: terms.insurer,
      scopes: terms.scopes,
      purposes: terms.purposes,
      not_before: terms.notBefore,
      not_after: terms.notAfter,
    },
    nonce: Number(nonce),
    deadline,
    signature,
  };
}

/** Sign the revocation of the pair's current consent `consentId`. */
export async function signRevocation(
  wallet: Wallet,
  domain: TypedDataDomain,
  pseudonym: string,
  insurer: string,
  consentId: string,
  deadline: number,
): Promise<RevocationBody> {
  const message = { pseudonym, insurer, consentId, deadline };
  const signature = await wallet.signTypedData(domain, REVOCATION_TYPES, message);
  return { pseudonym, insurer, consent_id: consentId, deadline, signature };
}
