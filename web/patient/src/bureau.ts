// The bureau node, as the page talks to it (same origin). Requests that need the patient's
// authority (binding, access log) are signed by the key with the gateway's signed-request
// scheme (src/trustshare/gateway/signing.py); relayed consents carry their own EIP-712
// signature. Refusals arrive as {"error": {"code", "message"}} and become PatientErrors.
import { hexlify, randomBytes, sha256, toUtf8Bytes, type Wallet } from "ethers";
import type { PageConfig } from "./config";
import type { GrantBody, RevocationBody } from "./consent";
import { PatientError } from "./errors";

const RELAY_POLL_MS = 400;
const RELAY_PATIENCE_MS = 60_000;
const ACCESS_LOG_PAGE = 100;

/** The four X-TrustShare-* headers authenticating `method path` with `body`, signed now. */
export async function signRequest(
  wallet: Wallet,
  method: string,
  path: string,
  body: string,
): Promise<Record<string, string>> {
  const timestamp = String(Math.floor(Date.now() / 1000));
  const nonce = hexlify(randomBytes(16)).slice(2);
  const bodyHash = sha256(toUtf8Bytes(body)).slice(2);
  const canonical = [method.toUpperCase(), path, bodyHash, timestamp, nonce].join("\n");
  return {
    "X-TrustShare-Signer": wallet.address,
    "X-TrustShare-Timestamp": timestamp,
    "X-TrustShare-Nonce": nonce,
    "X-TrustShare-Signature": await wallet.signMessage(canonical),
  };
}

export interface RelayDone {
  blockNumber: number;
}

/** One entry of `GET /v1/patients/{pseudonym}/access-log` (bureau/access_log.py). */
export interface AccessLogEntry {
  id: number;
  fields: {
    occurred_at: number;
    insurer: string;
    pseudonym: string | null;
    purpose: number;
    scopes_requested: number;
    scopes_released: number;
    outcome: string;
    reason: string;
    [other: string]: unknown;
  };
  entry_hash: string;
  commitment: { status: string; batch_root?: string; proof?: string[] };
}

export class BureauClient {
  private async send(
    method: string,
    path: string,
    body?: unknown,
    signer?: Wallet,
  ): Promise<unknown> {
    const text = body === undefined ? "" : JSON.stringify(body);
    const headers: Record<string, string> = {};
    if (body !== undefined) headers["Content-Type"] = "application/json";
    if (signer !== undefined) Object.assign(headers, await signRequest(signer, method, path, text));
    let response: Response;
    try {
      response = await fetch(path, {
        method,
        headers,
        ...(body === undefined ? {} : { body: text }),
      });
    } catch (error) {
      throw new PatientError("bureau_unreachable", String(error));
    }
    let answer: unknown;
    try {
      answer = await response.json();
    } catch {
      throw new PatientError("bureau_unreachable", `HTTP ${response.status} without a JSON body`);
    }
    if (!response.ok) {
      const problem = (answer as { error?: { code?: string; message?: string } }).error;
      throw new PatientError(problem?.code ?? `http_${response.status}`, problem?.message ?? "");
    }
    return answer;
  }

  /** The chain, the registries, this bureau and the vocabulary. */
  async config(): Promise<PageConfig> {
    return (await this.send("GET", "/v1/patient-page/config")) as PageConfig;
  }

  /** Redeem the counter's voucher for `wallet`; the answer names the pseudonym to be bound. */
  async requestBinding(wallet: Wallet, voucher: string): Promise<string> {
    const body = { voucher: voucher.trim() };
    const answer = (await this.send("POST", "/v1/binding-requests", body, wallet)) as {
      pseudonym: string;
    };
    return answer.pseudonym;
  }

  /** Hand a signed grant to the bureau and wait until it is on the chain. */
  async relayGrant(body: GrantBody): Promise<RelayDone> {
    const queued = (await this.send("POST", "/v1/consents/grants", body)) as { outbox_id: number };
    return this.waitForRelay(queued.outbox_id);
  }

  /** Hand a signed revocation to the bureau and wait until it is on the chain. */
  async relayRevocation(body: RevocationBody): Promise<RelayDone> {
    const path = "/v1/consents/revocations";
    const queued = (await this.send("POST", path, body)) as { outbox_id: number };
    return this.waitForRelay(queued.outbox_id);
  }

  private async waitForRelay(outboxId: number): Promise<RelayDone> {
    const until = Date.now() + RELAY_PATIENCE_MS;
    for (;;) {
      const state = (await this.send("GET", `/v1/consents/relays/${outboxId}`)) as {
        status: string;
        block_number: number | null;
        error: string | null;
      };
      if (state.status === "done") return { blockNumber: state.block_number ?? 0 };
      if (state.status === "failed") throw new PatientError("relay_failed", state.error ?? "");
      if (Date.now() > until) throw new PatientError("relay_slow");
      await new Promise((resolve) => setTimeout(resolve, RELAY_POLL_MS));
    }
  }

  /** Every entry of the access log about `pseudonym`, oldest first (signed by `wallet`). */
  async accessLog(wallet: Wallet, pseudonym: string): Promise<AccessLogEntry[]> {
    const entries: AccessLogEntry[] = [];
    let after = 0;
    for (;;) {
      const path = `/v1/patients/${pseudonym}/access-log?after=${after}&limit=${ACCESS_LOG_PAGE}`;
      const page = (await this.send("GET", path, undefined, wallet)) as {
        entries: AccessLogEntry[];
        next_after: number | null;
      };
      entries.push(...page.entries);
      if (page.next_after === null) return entries;
      after = page.next_after;
    }
  }
}
