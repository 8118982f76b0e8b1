// A small element builder: text goes in as text nodes (never as HTML), so nothing the chain or
// the bureau says can inject markup into the page that holds the key.

type Attribute = string | boolean | ((event: Event) => void);
type Child = Node | string | null | undefined | false;

/** `<tag attrs…>children</tag>`; `on…` attributes are event listeners. */
export function h<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  attributes: Record<string, Attribute> = {},
  ...children: Child[]
): HTMLElementTagNameMap[K] {
  const element = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) {
    if (typeof value === "function") {
      element.addEventListener(name.slice(2).toLowerCase(), value);
    } else if (typeof value === "boolean") {
      element.toggleAttribute(name, value);
    } else {
      element.setAttribute(name, value);
    }
  }
  for (const child of children) {
    if (child !== null && child !== undefined && child !== false) element.append(child);
  }
  return element;
}

/** Replace everything inside `parent` with `children`. */
export function fill(parent: Element, ...children: Child[]): void {
  parent.replaceChildren();
  for (const child of children) {
    if (child !== null && child !== undefined && child !== false) parent.append(child);
  }
}

/** A labelled form field: `<label>text <input id=…></label>`. */
export function field(text: string, control: HTMLElement): HTMLLabelElement {
  return h("label", { class: "field" }, h("span", {}, text), control);
}

/** The value typed into the input with `id` inside `root`. */
export function valueOf(root: ParentNode, id: string): string {
  const element = root.querySelector<HTMLInputElement | HTMLTextAreaElement>(`#${id}`);
  return element === null ? "" : element.value;
}

/** Shorten a long hex value for display: 0x1234…abcd. */
export function short(hex: string): string {
  return hex.length > 14 ? `${hex.slice(0, 8)}…${hex.slice(-6)}` : hex;
}
