// Consents: who may see what (read from the chain), give a consent, withdraw one. Grants and
// withdrawals are signed here and relayed by the bureau, which pays the gas.
import type { Binding, ConsentState, Participant } from "../chain";
import { flagsIn, type VocabularyEntry } from "../config";
import { SIGNATURE_LIFETIME_S, consentDomain, signGrant, signRevocation } from "../consent";
import { field, fill, h } from "../dom";
import { PatientError } from "../errors";
import { dateText, labels, language, t, type MessageKey } from "../i18n";
import { busy, notice, report, type Page } from "../page";
import { needsBinding, refreshBinding, retryButton } from "./shared";

type Status = "active" | "revoked" | "expired" | "not_yet_valid" | "insurer_removed";

/** What the last grant or withdrawal achieved, shown once above the list drawn after it. */
let announcement: string | null = null;

function statusOf(state: ConsentState, insurer: Participant | undefined, now: number): Status {
  if (state.revokedAt !== 0) return "revoked";
  if (insurer === undefined || !insurer.active) return "insurer_removed";
  if (now < state.notBefore) return "not_yet_valid";
  if (now > state.notAfter) return "expired";
  return "active";
}

export function consentsPanel(page: Page): HTMLElement {
  const root = h("div", { id: "consents-panel" }, notice("info", t("loading")));
  void (async () => {
    try {
      const binding = page.binding ?? (await refreshBinding(page));
      if (binding === null) {
        fill(root, needsBinding(page));
        return;
      }
      const chain = page.chain();
      const [now, insurers, consents] = await Promise.all([
        chain.now(),
        chain.insurers(),
        chain.consentsOf(binding.pseudonym),
      ]);
      const said = announcement;
      announcement = null;
      fill(
        root,
        said === null ? null : notice("ok", said),
        consentList(page, binding, consents, insurers, now),
        grantForm(page, binding, insurers),
      );
    } catch (error) {
      report(root, error);
      root.append(retryButton(page));
    }
  })();
  return root;
}

function consentList(
  page: Page,
  binding: Binding,
  consents: Map<string, ConsentState>,
  insurers: Participant[],
  now: number,
): HTMLElement {
  const vocabulary = page.config.vocabulary;
  const byAddress = new Map(insurers.map((insurer) => [insurer.address, insurer]));
  const rows = [...consents].map(([address, state]) => {
    const insurer = byAddress.get(address);
    const name = insurer?.name ?? address;
    const status = statusOf(state, insurer, now);
    const withdrawable = status === "active" || status === "not_yet_valid";
    return h(
      "li",
      { class: `consent ${status}`, "data-insurer": address, "data-status": status },
      h(
        "div",
        { class: "row" },
        h("strong", {}, name),
        h("span", { class: `badge ${status}` }, t(`status_${status}` as MessageKey)),
      ),
      h("p", {}, t("may_see", { items: labels(flagsIn(vocabulary.scopes, state.scopes)) })),
      h("p", {}, t("may_use_for", { uses: labels(flagsIn(vocabulary.purposes, state.purposes)) })),
      h(
        "p",
        { class: "hint" },
        t("valid_window", { from: dateText(state.notBefore), until: dateText(state.notAfter) }),
      ),
      withdrawable ? withdrawControl(page, binding, address, name, state) : null,
    );
  });
  return h(
    "div",
    { class: "card" },
    h("h2", {}, t("consents_heading")),
    rows.length === 0 ? h("p", { class: "hint" }, t("consents_none")) : h("ul", {}, ...rows),
  );
}

function withdrawControl(
  page: Page,
  binding: Binding,
  insurer: string,
  name: string,
  state: ConsentState,
): HTMLElement {
  const box = h("div", { class: "withdraw" });
  const slot = h("div", { class: "slot" });
  const withdraw = async (): Promise<void> => {
    const wallet = page.wallet;
    if (wallet === null) return;
    const deadline = (await page.chain().now()) + SIGNATURE_LIFETIME_S;
    const domain = consentDomain(page.config);
    const body = await signRevocation(
      wallet,
      domain,
      binding.pseudonym,
      insurer,
      state.id,
      deadline,
    );
    slot.replaceChildren(notice("info", t("relaying")));
    const done = await page.bureau.relayRevocation(body);
    announcement = t("withdrawn", { block: done.blockNumber });
    page.show();
  };
  const offer = (): void => {
    fill(box, h("button", { type: "button", class: "danger", onclick: ask }, t("withdraw")), slot);
  };
  const ask = (): void => {
    const yes = h("button", { type: "button", class: "danger confirm" }, t("withdraw_yes"));
    yes.addEventListener("click", () => void busy(yes, slot, t("signing"), withdraw));
    fill(
      box,
      h("p", { role: "alert" }, t("withdraw_confirm", { insurer: name })),
      h(
        "div",
        { class: "row" },
        yes,
        h("button", { type: "button", class: "plain", onclick: offer }, t("cancel")),
      ),
      slot,
    );
  };
  offer();
  return box;
}

function checkboxes(name: string, entries: VocabularyEntry[]): HTMLElement[] {
  return entries.map((entry) =>
    h(
      "label",
      { class: "check" },
      h("input", { type: "checkbox", name, value: String(entry.bit), id: `${name}-${entry.key}` }),
      h("span", {}, entry[language()]),
    ),
  );
}

function isoDay(date: Date): string {
  const pad = (n: number): string => String(n).padStart(2, "0");
  return `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())}`;
}

/** Unix seconds of the start (or the last second) of a YYYY-MM-DD day on this device. */
function dayBound(text: string, end: boolean): number {
  const [year, month, day] = text.split("-").map(Number);
  if (year === undefined || month === undefined || day === undefined) return Number.NaN;
  const moment = end ? new Date(year, month - 1, day, 23, 59, 59) : new Date(year, month - 1, day);
  return Math.floor(moment.getTime() / 1000);
}

function maskOf(form: HTMLFormElement, name: string): number {
  const ticked = form.querySelectorAll<HTMLInputElement>(`input[name="${name}"]:checked`);
  return [...ticked].reduce((mask, box) => mask | Number(box.value), 0);
}

function grantForm(page: Page, binding: Binding, insurers: Participant[]): HTMLElement {
  const active = insurers.filter((insurer) => insurer.active);
  if (active.length === 0) {
    return h(
      "div",
      { class: "card" },
      h("h2", {}, t("grant_heading")),
      notice("info", t("no_insurers")),
    );
  }
  const vocabulary = page.config.vocabulary;
  const today = new Date();
  const nextYear = new Date(today.getFullYear() + 1, today.getMonth(), today.getDate());
  const slot = h("div", { class: "slot" });
  const button = h("button", { type: "submit", id: "grant" }, t("grant_button"));
  const select = h(
    "select",
    { id: "grant-insurer" },
    ...active.map((insurer) => h("option", { value: insurer.address }, insurer.name)),
  );
  const form = h(
    "form",
    { class: "card", id: "grant-form" },
    h("h2", {}, t("grant_heading")),
    h("p", { class: "hint" }, t("grant_replaces")),
    field(t("grant_insurer"), select),
    h(
      "fieldset",
      {},
      h("legend", {}, t("grant_scopes")),
      ...checkboxes("scope", vocabulary.scopes),
    ),
    h(
      "fieldset",
      {},
      h("legend", {}, t("grant_purposes")),
      ...checkboxes("purpose", vocabulary.purposes),
    ),
    h(
      "div",
      { class: "row dates" },
      field(t("grant_from"), h("input", { type: "date", id: "grant-from", value: isoDay(today) })),
      field(
        t("grant_until"),
        h("input", { type: "date", id: "grant-until", value: isoDay(nextYear) }),
      ),
    ),
    button,
    slot,
  );
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    const wallet = page.wallet;
    if (wallet === null) return;
    void busy(button, slot, t("signing"), async () => {
      const scopes = maskOf(form, "scope");
      const purposes = maskOf(form, "purpose");
      if (scopes === 0) throw new PatientError("choose_scope");
      if (purposes === 0) throw new PatientError("choose_purpose");
      const notBefore = dayBound(
        form.querySelector<HTMLInputElement>("#grant-from")?.value ?? "",
        false,
      );
      const notAfter = dayBound(
        form.querySelector<HTMLInputElement>("#grant-until")?.value ?? "",
        true,
      );
      const chain = page.chain();
      const now = await chain.now();
      if (!(notBefore <= notAfter && notAfter >= now)) throw new PatientError("window_invalid");
      const terms = {
        pseudonym: binding.pseudonym,
        insurer: select.value,
        scopes,
        purposes,
        notBefore,
        notAfter,
      };
      const nonce = await chain.nonceOf(binding.pseudonym);
      const body = await signGrant(
        wallet,
        consentDomain(page.config),
        terms,
        nonce,
        now + SIGNATURE_LIFETIME_S,
      );
      slot.replaceChildren(notice("info", t("relaying")));
      const done = await page.bureau.relayGrant(body);
      announcement = t("granted", { block: done.blockNumber });
      page.show();
    });
  });
  return form;
}
