// Checking each access-log entry the bureau shows against the chain, trusting none of it
// (the same checks as src/trustshare/wallet/access_log.py): recompute the entry hash from the
// fields (keccak256 of their canonical JSON), rebuild the leaf (entry id, pseudonym, entry hash),
// and ask the AttestationRegistry that the root is an access-log batch committed by this bureau
// and that the proof places the leaf in it.
import { AbiCoder, getAddress, keccak256, toUtf8Bytes } from "ethers";
import type { AccessLogEntry } from "./bureau";
import { ACCESS_LOG_BATCH, type ChainReader } from "./chain";

export type Why =
  | "other_pseudonym"
  | "hash_mismatch"
  | "not_access_log"
  | "other_bureau"
  | "bad_proof"
  | "malformed";

export type Verdict = { kind: "verified" } | { kind: "pending" } | { kind: "failed"; why: Why };

/** The canonical JSON of `value` (crypto/canonical_json.py): sorted keys, no spaces. */
export function canonicalJson(value: unknown): string {
  if (value === null || typeof value === "boolean" || typeof value === "string") {
    return JSON.stringify(value);
  }
  if (typeof value === "number") {
    if (!Number.isSafeInteger(value)) throw new Error(`${value} is not a safe integer`);
    return JSON.stringify(value);
  }
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(",")}]`;
  if (typeof value === "object") {
    const entries = Object.entries(value as Record<string, unknown>).sort(([a], [b]) =>
      a < b ? -1 : a > b ? 1 : 0,
    );
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(",")}}`;
  }
  throw new Error(`${typeof value} is not a JSON value`);
}

const LEAF_TYPES = ["uint256", "bytes32", "bytes32"];

/** The verdict on one entry of `pseudonym`'s log served by the bureau at `bureau`. */
export async function checkEntry(
  entry: AccessLogEntry,
  pseudonym: string,
  bureau: string,
  chain: ChainReader,
): Promise<Verdict> {
  const failed = (why: Why): Verdict => ({ kind: "failed", why });
  if (entry.fields.pseudonym?.toLowerCase() !== pseudonym.toLowerCase()) {
    return failed("other_pseudonym");
  }
  let entryHash: string;
  try {
    entryHash = keccak256(toUtf8Bytes(canonicalJson(entry.fields)));
  } catch {
    return failed("hash_mismatch");
  }
  if (entryHash !== entry.entry_hash.toLowerCase()) return failed("hash_mismatch");
  const { status, batch_root: root, proof } = entry.commitment;
  if (status === "pending") return { kind: "pending" };
  if (typeof root !== "string" || !Array.isArray(proof)) return failed("malformed");
  const batch = await chain.batchOf(root);
  if (batch.kind !== ACCESS_LOG_BATCH) return failed("not_access_log");
  if (batch.bureau !== getAddress(bureau)) return failed("other_bureau");
  const leaf = AbiCoder.defaultAbiCoder().encode(LEAF_TYPES, [entry.id, pseudonym, entryHash]);
  return (await chain.proves(root, leaf, proof)) ? { kind: "verified" } : failed("bad_proof");
}
