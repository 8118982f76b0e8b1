// What the screens share: the key's binding, a retry button, the pointer to the link tab.
import type { Binding } from "../chain";
import { h } from "../dom";
import { t } from "../i18n";
import { notice, type Page } from "../page";

/** Where a binding asked for but not yet seen on chain is remembered, per key. */
export function pendingKey(address: string): string {
  return `trustshare.patient.pending-binding.${address}`;
}

/** The key's binding on chain, read again and kept on the page. */
export async function refreshBinding(page: Page): Promise<Binding | null> {
  if (page.wallet === null) return null;
  page.binding = await page.chain().bindingOf(page.wallet.address);
  if (page.binding !== null) localStorage.removeItem(pendingKey(page.wallet.address));
  return page.binding;
}

/** A button that draws the page again (after a failure the patient may retry). */
export function retryButton(page: Page): HTMLButtonElement {
  return h("button", { type: "button", class: "plain", onclick: () => page.show() }, t("retry"));
}

/** A panel that needs the key's binding: a pointer to the link tab when there is none. */
export function needsBinding(page: Page): HTMLElement {
  return h(
    "div",
    { class: "card" },
    notice("info", t("binding_needed")),
    h(
      "button",
      {
        type: "button",
        onclick: () => {
          page.tab = "link";
          page.show();
        },
      },
      t("tab_link"),
    ),
  );
}
