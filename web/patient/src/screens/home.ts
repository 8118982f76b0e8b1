// The unlocked page: tabs, the key's link to the patient's records, and settings.
import { ChainReader, chosenChainUrl } from "../chain";
import { field, fill, h, short, valueOf } from "../dom";
import { PatientError, asPatientError } from "../errors";
import { errorText, t, type MessageKey } from "../i18n";
import { backupFile } from "../keystore";
import { busy, notice, report, type Page, type Tab } from "../page";
import { consentsPanel } from "./consents";
import { logPanel } from "./log";
import { pendingKey, refreshBinding, retryButton } from "./shared";

const TABS: Tab[] = ["link", "consents", "log", "settings"];
const BINDING_POLL_MS = 500;
const BINDING_PATIENCE_MS = 60_000;

/** The tabs and the open one's panel. */
export function homeScreen(page: Page): HTMLElement {
  const tabs = h(
    "nav",
    { class: "tabs", role: "tablist" },
    ...TABS.map((tab) =>
      h(
        "button",
        {
          type: "button",
          role: "tab",
          id: `tab-${tab}`,
          "aria-selected": String(tab === page.tab),
          onclick: () => {
            page.tab = tab;
            page.show();
          },
        },
        t(`tab_${tab}` as MessageKey),
      ),
    ),
  );
  const panels: Record<Tab, (page: Page) => HTMLElement> = {
    link: linkPanel,
    consents: consentsPanel,
    log: logPanel,
    settings: settingsPanel,
  };
  return h(
    "div",
    {},
    tabs,
    h("section", { id: "panel", role: "tabpanel" }, panels[page.tab](page)),
  );
}

function linkPanel(page: Page): HTMLElement {
  const panel = h(
    "div",
    { class: "card", id: "link-panel" },
    notice("info", t("binding_checking")),
  );
  void (async () => {
    try {
      const binding = await refreshBinding(page);
      if (binding !== null) {
        const bureau = await page.chain().participant(binding.bureau);
        fill(
          panel,
          h("h2", { id: "binding-state", class: "linked" }, t("binding_linked")),
          h("p", {}, t("binding_by", { bureau: bureau.name || binding.bureau })),
          h(
            "p",
            { title: binding.pseudonym },
            t("binding_code", { code: short(binding.pseudonym) }),
          ),
          h("p", { class: "hint" }, t("binding_wallet", { address: page.wallet?.address ?? "" })),
        );
        return;
      }
      const pending = page.wallet && localStorage.getItem(pendingKey(page.wallet.address));
      if (pending) {
        fill(panel, notice("info", t("binding_pending")));
        try {
          await waitForBinding(page, pending);
          page.show();
          return;
        } catch (error) {
          // Not on the chain in time: the patient may try again with a new voucher.
          if (page.wallet !== null) localStorage.removeItem(pendingKey(page.wallet.address));
          fill(panel, ...voucherForm(page));
          panel.prepend(notice("error", errorText(asPatientError(error).code)));
          return;
        }
      }
      fill(panel, ...voucherForm(page));
    } catch (error) {
      report(panel, error);
      panel.append(retryButton(page));
    }
  })();
  return panel;
}

function voucherForm(page: Page): HTMLElement[] {
  const slot = h("div", { class: "slot" });
  const button = h("button", { type: "submit", id: "link-key" }, t("voucher_button"));
  const form = h(
    "form",
    { id: "voucher-form" },
    field(t("voucher"), h("input", { id: "voucher", autocomplete: "off", spellcheck: "false" })),
    button,
    slot,
  );
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    const wallet = page.wallet;
    if (wallet === null) return;
    void busy(button, slot, t("binding_pending"), async () => {
      const pseudonym = await page.bureau.requestBinding(wallet, valueOf(form, "voucher"));
      localStorage.setItem(pendingKey(wallet.address), pseudonym);
      await waitForBinding(page, pseudonym);
      page.show();
    });
  });
  return [
    h("h2", { id: "binding-state", class: "unlinked" }, t("binding_none")),
    h("p", {}, t("binding_how")),
    form,
  ];
}

async function waitForBinding(page: Page, pseudonym: string): Promise<void> {
  const until = Date.now() + BINDING_PATIENCE_MS;
  while (Date.now() < until) {
    const wallet = await page.chain().walletOf(pseudonym);
    if (wallet !== null && wallet === page.wallet?.address) {
      await refreshBinding(page);
      return;
    }
    await new Promise((resolve) => setTimeout(resolve, BINDING_POLL_MS));
  }
  throw new PatientError("relay_slow");
}

function settingsPanel(page: Page): HTMLElement {
  const chosen = chosenChainUrl();
  const slot = h("div", { class: "slot" });
  const save = h("button", { type: "submit", id: "save-chain" }, t("save"));
  const chainForm = h(
    "form",
    { class: "card", id: "chain-form" },
    h("h2", {}, t("settings_chain")),
    h("p", { class: "hint" }, t("settings_chain_hint")),
    h(
      "p",
      { id: "chain-now" },
      t("settings_chain_now", { where: chosen ?? t("settings_chain_bureau") }),
    ),
    field(
      t("chain_url"),
      h("input", { id: "chain-url", type: "url", value: chosen ?? "", placeholder: "https://…" }),
    ),
    h(
      "div",
      { class: "row" },
      save,
      h(
        "button",
        {
          type: "button",
          class: "plain",
          id: "use-bureau-chain",
          onclick: () => {
            page.useChain(null);
            page.show();
          },
        },
        t("use_bureau"),
      ),
    ),
    slot,
  );
  chainForm.addEventListener("submit", (event) => {
    event.preventDefault();
    const url = valueOf(chainForm, "chain-url").trim();
    void busy(save, slot, t("loading"), async () => {
      if (!/^https?:\/\/\S+$/.test(url)) throw new PatientError("bad_chain_url");
      await new ChainReader(url, page.config).now(); // reachable and on the bureau's chain
      page.useChain(url);
      page.show();
    });
  });

  const address = page.wallet?.address ?? "";
  const backup = h(
    "a",
    {
      class: "button",
      id: "backup",
      download: `trustshare-key-${address}.json`,
      href: URL.createObjectURL(backupFile()),
    },
    t("backup_button"),
  );
  const lock = h(
    "button",
    {
      type: "button",
      id: "lock",
      class: "plain",
      onclick: () => {
        page.wallet = null;
        page.binding = null;
        page.show();
      },
    },
    t("lock"),
  );
  return h(
    "div",
    {},
    chainForm,
    h(
      "div",
      { class: "card" },
      h("h2", {}, t("backup_heading")),
      h("p", { class: "hint" }, t("backup_hint")),
      backup,
    ),
    h("div", { class: "card" }, lock),
  );
}
