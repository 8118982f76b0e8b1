// Reading the chain over JSON-RPC: by default through the bureau's read-only window
// (POST /v1/patient-page/chain), or through a node the patient names. Either way the page encodes
// every call and decodes every answer itself with the registries' ABIs, and checks the node is on
// the bureau's network.
import { Interface, getAddress, type LogDescription, type Result } from "ethers";
import type { PageConfig } from "./config";
import { PatientError } from "./errors";

const CHAIN_URL_KEY = "trustshare.patient.chain-url";
export const BUREAU_CHAIN_PATH = "/v1/patient-page/chain";
/** `IAttestationRegistry.BatchKind.AccessLog`. */
export const ACCESS_LOG_BATCH = 3;

/** The chain node the patient chose, or null for the bureau's window. */
export function chosenChainUrl(): string | null {
  return localStorage.getItem(CHAIN_URL_KEY);
}

/** Remember `url` as the chain node to read (null: back to the bureau's window). */
export function chooseChainUrl(url: string | null): void {
  if (url === null) {
    localStorage.removeItem(CHAIN_URL_KEY);
  } else if (!/^https?:\/\/\S+$/.test(url)) {
    throw new PatientError("bad_chain_url");
  } else {
    localStorage.setItem(CHAIN_URL_KEY, url);
  }
}

export interface Participant {
  address: string;
  name: string;
  active: boolean;
}

export interface Binding {
  pseudonym: string;
  bureau: string;
}

/** `IConsentRegistry.ConsentState` of one (pseudonym, insurer) pair. */
export interface ConsentState {
  id: string;
  scopes: number;
  purposes: number;
  notBefore: number;
  notAfter: number;
  grantedAt: number;
  revokedAt: number;
}

/** `IAttestationRegistry.Batch`. */
export interface BatchRecord {
  bureau: string;
  kind: number;
}

interface RpcAnswer {
  result?: unknown;
  error?: { code: number; message: string };
}

interface RawLog {
  topics: string[];
  data: string;
}

const ZERO_ADDRESS = "0x0000000000000000000000000000000000000000";

export class ChainReader {
  private readonly participants: Interface;
  private readonly consents: Interface;
  private readonly attestations: Interface;
  private nextId = 0;
  private network: Promise<void> | null = null;

  constructor(
    private readonly url: string,
    private readonly config: PageConfig,
  ) {
    const contracts = config.chain.contracts;
    this.participants = new Interface(contracts.participants.abi);
    this.consents = new Interface(contracts.consent_registry.abi);
    this.attestations = new Interface(contracts.attestation_registry.abi);
  }

  private async rpc(method: string, params: unknown[]): Promise<unknown> {
    const request = { jsonrpc: "2.0", id: ++this.nextId, method, params };
    let answer: RpcAnswer;
    try {
      const response = await fetch(this.url, {
        method: "POST",
        headers: { "Content-Type": "application/json" },
        body: JSON.stringify(request),
      });
      answer = (await response.json()) as RpcAnswer;
    } catch (error) {
      throw new PatientError("chain_unreachable", String(error));
    }
    if (answer.error !== undefined) {
      throw new PatientError("chain_unreachable", `${answer.error.code} ${answer.error.message}`);
    }
    return answer.result;
  }

  /** Refuse a node on another chain than the bureau's (checked once per reader). */
  private ready(): Promise<void> {
    this.network ??= this.rpc("eth_chainId", []).then((id) => {
      if (Number(id) !== this.config.chain.chain_id) {
        throw new PatientError("wrong_chain", `chain ${String(id)}`);
      }
    });
    this.network.catch(() => {
      this.network = null; // ask again next time
    });
    return this.network;
  }

  private async call(
    abi: Interface,
    address: string,
    name: string,
    args: unknown[],
  ): Promise<Result> {
    await this.ready();
    const data = abi.encodeFunctionData(name, args);
    const answer = await this.rpc("eth_call", [{ to: address, data }, "latest"]);
    return abi.decodeFunctionResult(name, String(answer));
  }

  private async logs(
    abi: Interface,
    address: string,
    event: string,
    indexed: unknown[],
  ): Promise<LogDescription[]> {
    await this.ready();
    const query = {
      address,
      topics: abi.encodeFilterTopics(event, indexed),
      fromBlock: `0x${this.config.chain.deployed_at_block.toString(16)}`,
      toBlock: "latest",
    };
    const found = (await this.rpc("eth_getLogs", [query])) as RawLog[];
    return found.flatMap((log) => {
      const parsed = abi.parseLog(log);
      return parsed === null ? [] : [parsed];
    });
  }

  /** The latest block's timestamp: the clock consents are judged by. */
  async now(): Promise<number> {
    await this.ready();
    const block = (await this.rpc("eth_getBlockByNumber", ["latest", false])) as {
      timestamp: string;
    };
    return Number(block.timestamp);
  }

  /** The pseudonym `wallet` speaks for now (its latest binding still in force), or null. */
  async bindingOf(wallet: string): Promise<Binding | null> {
    const registry = this.config.chain.contracts.consent_registry.address;
    const bound = await this.logs(this.consents, registry, "WalletBound", [null, wallet]);
    for (const log of bound.reverse()) {
      const pseudonym = String(log.args[0]);
      const [current, bureau] = await this.call(this.consents, registry, "bindingOf", [pseudonym]);
      if (getAddress(String(current)) === getAddress(wallet)) {
        return { pseudonym, bureau: getAddress(String(bureau)) };
      }
    }
    return null;
  }

  /** The wallet the chain binds `pseudonym` to (null when none). */
  async walletOf(pseudonym: string): Promise<string | null> {
    const registry = this.config.chain.contracts.consent_registry.address;
    const [wallet] = await this.call(this.consents, registry, "bindingOf", [pseudonym]);
    return String(wallet) === ZERO_ADDRESS ? null : getAddress(String(wallet));
  }

  /** A participant as the Participants registry records it. */
  async participant(address: string): Promise<Participant> {
    const registry = this.config.chain.contracts.participants.address;
    const [record] = await this.call(this.participants, registry, "participant", [address]);
    const entry = (record as Result).toObject();
    return {
      address: getAddress(address),
      name: String(entry.name),
      active: Boolean(entry.active),
    };
  }

  /** Every insurer ever registered, in registration order, with its current record. */
  async insurers(): Promise<Participant[]> {
    const registry = this.config.chain.contracts.participants.address;
    const registered = await this.logs(this.participants, registry, "InsurerRegistered", []);
    const addresses = [...new Set(registered.map((log) => getAddress(String(log.args[0]))))];
    return Promise.all(addresses.map((address) => this.participant(address)));
  }

  /** The insurers `pseudonym` ever consented to, each with the pair's consent now. */
  async consentsOf(pseudonym: string): Promise<Map<string, ConsentState>> {
    const registry = this.config.chain.contracts.consent_registry.address;
    const granted = await this.logs(this.consents, registry, "ConsentGranted", [null, pseudonym]);
    const insurers = [...new Set(granted.map((log) => getAddress(String(log.args[2]))))];
    const states = new Map<string, ConsentState>();
    for (const insurer of insurers) {
      const [state] = await this.call(this.consents, registry, "consentOf", [pseudonym, insurer]);
      const s = (state as Result).toObject();
      states.set(insurer, {
        id: String(s.id),
        scopes: Number(s.scopes),
        purposes: Number(s.purposes),
        notBefore: Number(s.notBefore),
        notAfter: Number(s.notAfter),
        grantedAt: Number(s.grantedAt),
        revokedAt: Number(s.revokedAt),
      });
    }
    return states;
  }

  /** The nonce the next signed grant of `pseudonym` must carry. */
  async nonceOf(pseudonym: string): Promise<bigint> {
    const registry = this.config.chain.contracts.consent_registry.address;
    const [nonce] = await this.call(this.consents, registry, "nonceOf", [pseudonym]);
    return BigInt(nonce as bigint);
  }

  /** The batch committed under `root` (kind 0 when none). */
  async batchOf(root: string): Promise<BatchRecord> {
    const registry = this.config.chain.contracts.attestation_registry.address;
    const [batch] = await this.call(this.attestations, registry, "batchOf", [root]);
    const b = (batch as Result).toObject();
    return { bureau: getAddress(String(b.bureau)), kind: Number(b.kind) };
  }

  /** Whether `proof` places the ABI-encoded `leaf` in the batch committed under `root`. */
  async proves(root: string, leaf: string, proof: string[]): Promise<boolean> {
    const registry = this.config.chain.contracts.attestation_registry.address;
    const [ok] = await this.call(this.attestations, registry, "verify", [root, leaf, proof]);
    return Boolean(ok);
  }
}
