// What every screen shares: the page's state and a few ways of telling the patient things.
import type { Wallet } from "ethers";
import type { BureauClient } from "./bureau";
import type { Binding, ChainReader } from "./chain";
import type { PageConfig } from "./config";
import { h } from "./dom";
import { asPatientError } from "./errors";
import { errorText } from "./i18n";

export type Tab = "link" | "consents" | "log" | "settings";

export interface Page {
  readonly config: PageConfig;
  readonly bureau: BureauClient;
  /** The reader of the chain node in use (the bureau's window or the patient's own). */
  chain(): ChainReader;
  /** Read the chain at `url` from now on (null: through the bureau). */
  useChain(url: string | null): void;
  wallet: Wallet | null;
  binding: Binding | null;
  tab: Tab;
  /** Draw the screen the state calls for. */
  show(): void;
}

/** A line telling the patient how things stand (`info`, `ok`) or what went wrong (`error`). */
export function notice(kind: "info" | "ok" | "error", text: string): HTMLParagraphElement {
  const role = kind === "error" ? "alert" : "status";
  return h("p", { class: `notice ${kind}`, role }, text);
}

/** Put the words for `error` into `slot`. */
export function report(slot: Element, error: unknown): void {
  const problem = asPatientError(error);
  console.warn("TrustShare:", problem.message);
  slot.replaceChildren(notice("error", errorText(problem.code)));
}

/** Run `work` with `button` disabled, showing `progress` in `slot`; errors are reported there. */
export async function busy(
  button: HTMLButtonElement,
  slot: Element,
  progress: string,
  work: () => Promise<void>,
): Promise<void> {
  button.disabled = true;
  const working = notice("info", progress);
  slot.replaceChildren(working);
  try {
    await work();
    if (slot.firstChild === working) slot.replaceChildren();
  } catch (error) {
    report(slot, error);
  } finally {
    button.disabled = false;
  }
}
