// The screens before the key is unlocked: create or import a key, or unlock the stored one.
import { field, h, short, valueOf } from "../dom";
import { t } from "../i18n";
import { createKey, forgetKey, importKey, storedKey, unlockKey } from "../keystore";
import { busy, type Page } from "../page";

function passwordInput(id: string, autocomplete: string): HTMLInputElement {
  return h("input", { id, type: "password", autocomplete });
}

function onSubmit(form: HTMLFormElement, handler: () => void): void {
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    handler();
  });
}

/** No key on this device yet: make one, or bring one. */
export function welcomeScreen(page: Page): HTMLElement {
  const createSlot = h("div", { class: "slot" });
  const createButton = h("button", { type: "submit", id: "create-key" }, t("create_button"));
  const create = h(
    "form",
    { class: "card", id: "create-form" },
    h("h2", {}, t("create_heading")),
    h("p", { class: "hint" }, t("create_hint")),
    field(t("password"), passwordInput("new-password", "new-password")),
    field(t("password_repeat"), passwordInput("new-password-repeat", "new-password")),
    createButton,
    createSlot,
  );
  onSubmit(create, () => {
    void busy(createButton, createSlot, t("protecting_key"), async () => {
      const password = valueOf(create, "new-password");
      page.wallet = await createKey(password, valueOf(create, "new-password-repeat"));
      page.tab = "link"; // a new key is linked to nobody yet
      page.show();
    });
  });

  const importSlot = h("div", { class: "slot" });
  const importButton = h("button", { type: "submit", id: "import-key" }, t("import_button"));
  const bring = h(
    "form",
    { class: "card", id: "import-form" },
    h("h2", {}, t("import_heading")),
    field(t("import_label"), h("textarea", { id: "import-text", rows: "3", spellcheck: "false" })),
    h("p", { class: "hint" }, t("import_hint")),
    field(t("password"), passwordInput("import-password", "current-password")),
    importButton,
    importSlot,
  );
  onSubmit(bring, () => {
    void busy(importButton, importSlot, t("protecting_key"), async () => {
      const text = valueOf(bring, "import-text");
      page.wallet = await importKey(text, valueOf(bring, "import-password"));
      page.tab = "consents";
      page.show();
    });
  });
  return h("div", {}, h("p", { class: "intro" }, t("welcome_intro")), create, bring);
}

/** A key is stored: unlock it with its password (or forget it, after a warning). */
export function unlockScreen(page: Page, address: string): HTMLElement {
  const slot = h("div", { class: "slot" });
  const button = h("button", { type: "submit", id: "unlock" }, t("unlock_button"));
  const form = h(
    "form",
    { class: "card", id: "unlock-form" },
    h("h2", {}, t("unlock_heading")),
    h("p", { class: "hint", title: address }, t("unlock_for", { address: short(address) })),
    field(t("password"), passwordInput("unlock-password", "current-password")),
    button,
    slot,
  );
  onSubmit(form, () => {
    void busy(button, slot, t("unlocking"), async () => {
      page.wallet = await unlockKey(valueOf(form, "unlock-password"));
      page.tab = "consents";
      page.show();
    });
  });

  const forget = h("div", { class: "forget" });
  const ask = (): void => {
    forget.replaceChildren(
      h("p", { role: "alert" }, t("forget_confirm")),
      h(
        "button",
        {
          type: "button",
          class: "danger",
          id: "forget-yes",
          onclick: () => {
            forgetKey();
            page.show();
          },
        },
        t("forget_yes"),
      ),
      h("button", { type: "button", class: "plain", onclick: offer }, t("cancel")),
    );
  };
  const offer = (): void => {
    forget.replaceChildren(
      h(
        "button",
        { type: "button", class: "plain", id: "forget-key", onclick: ask },
        t("forget_key"),
      ),
    );
  };
  offer();
  return h("div", {}, form, forget);
}

/** The key screen the stored state calls for. */
export function keyScreen(page: Page): HTMLElement {
  const stored = storedKey();
  return stored === null ? welcomeScreen(page) : unlockScreen(page, stored.address);
}
