// The access log: every time an insurer asked for the patient's records, what it got, and
// whether the entry matches what the bureau committed on the chain.
import { checkEntry, type Verdict } from "../accessLog";
import type { AccessLogEntry } from "../bureau";
import { flagsIn } from "../config";
import { fill, h } from "../dom";
import { labels, momentText, reasonText, t, type MessageKey } from "../i18n";
import { notice, report, type Page } from "../page";
import { needsBinding, refreshBinding, retryButton } from "./shared";

type Checked = Verdict | { kind: "unchecked"; error: unknown };

export function logPanel(page: Page): HTMLElement {
  const root = h("div", { id: "log-panel" }, notice("info", t("loading")));
  void (async () => {
    try {
      const binding = page.binding ?? (await refreshBinding(page));
      if (binding === null || page.wallet === null) {
        fill(root, needsBinding(page));
        return;
      }
      const chain = page.chain();
      const entries = await page.bureau.accessLog(page.wallet, binding.pseudonym);
      const insurers = await chain.insurers().catch(() => []);
      const names = new Map(insurers.map((insurer) => [insurer.address, insurer.name]));
      const verdicts: Checked[] = await Promise.all(
        entries.map((entry) =>
          checkEntry(entry, binding.pseudonym, page.config.bureau, chain).catch(
            (error: unknown): Checked => ({ kind: "unchecked", error }),
          ),
        ),
      );
      const problem = verdicts.find((verdict) => verdict.kind === "unchecked");
      const rows = entries.map((entry, index) =>
        entryRow(page, entry, verdicts[index] ?? { kind: "pending" }, names),
      );
      const refresh = h(
        "button",
        { type: "button", class: "plain", id: "log-refresh", onclick: () => page.show() },
        t("log_refresh"),
      );
      const warning = h("div", { class: "slot" });
      if (problem !== undefined && problem.kind === "unchecked") report(warning, problem.error);
      fill(
        root,
        h(
          "div",
          { class: "card" },
          h("div", { class: "row" }, h("h2", {}, t("log_heading")), refresh),
          warning,
          rows.length === 0
            ? h("p", { class: "hint" }, t("log_none"))
            : h("ul", {}, ...rows.reverse()),
        ),
      );
    } catch (error) {
      report(root, error);
      root.append(retryButton(page));
    }
  })();
  return root;
}

function verdictText(verdict: Checked): string {
  switch (verdict.kind) {
    case "verified":
      return t("check_verified");
    case "pending":
      return t("check_pending");
    case "failed":
      return t("check_failed", { why: t(`why_${verdict.why}` as MessageKey) });
    case "unchecked":
      return t("check_unchecked");
  }
}

function entryRow(
  page: Page,
  entry: AccessLogEntry,
  verdict: Checked,
  names: Map<string, string>,
): HTMLElement {
  const { scopes, purposes } = page.config.vocabulary;
  const fields = entry.fields;
  const asked = t("log_asked", {
    insurer: names.get(fields.insurer) ?? fields.insurer,
    items: labels(flagsIn(scopes, fields.scopes_requested)),
    use: labels(flagsIn(purposes, fields.purpose)),
  });
  const outcome =
    fields.outcome === "released"
      ? t("log_released", { items: labels(flagsIn(scopes, fields.scopes_released)) })
      : t("log_refused", { reason: reasonText(fields.reason) });
  return h(
    "li",
    {
      class: `entry ${fields.outcome}`,
      "data-entry-id": String(entry.id),
      "data-outcome": fields.outcome,
      "data-check": verdict.kind,
    },
    h("p", { class: "hint" }, momentText(fields.occurred_at)),
    h("p", {}, asked),
    h("p", { class: "outcome" }, outcome),
    h("p", { class: `check ${verdict.kind}` }, verdictText(verdict)),
  );
}
