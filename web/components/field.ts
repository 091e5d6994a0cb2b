/// <reference lib="dom" />
/**
 * A labelled form control: every input in the console has a visible label tied to it.
 *
 * @module
 */
import { el, type Props, uid } from "../lib/dom.ts";

/**
 * @param label the visible label
 * @param control the input, select or textarea (given an id here)
 * @param hint an optional description, tied with `aria-describedby`
 * @returns the wrapper
 */
export function field(
  label: string,
  control: HTMLInputElement | HTMLSelectElement | HTMLTextAreaElement,
  hint?: string,
): HTMLElement {
  control.id ||= uid("f");
  const wrapper = el("div", { class: "field" }, el("label", { for: control.id }, label), control);
  if (hint) {
    const hintId = `${control.id}-hint`;
    control.setAttribute("aria-describedby", hintId);
    wrapper.append(el("small", { id: hintId, class: "hint" }, hint));
  }
  return wrapper;
}

/**
 * A `<select>` with options.
 *
 * @param name form name
 * @param options value → text
 * @param props more attributes
 * @returns the select
 */
export function select(
  name: string,
  options: readonly (readonly [value: string, text: string])[],
  props: Props = {},
): HTMLSelectElement {
  return el(
    "select",
    { name, ...props },
    ...options.map(([value, text]) => el("option", { value }, text)),
  );
}
