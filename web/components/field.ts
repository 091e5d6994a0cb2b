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

/** A `<select>` whose value is one of its options' values. */
export type Select<V extends string> = HTMLSelectElement & { value: V };

/**
 * A `<select>` with options. Its value is typed as one of theirs: a select holds one of its
 * options whenever it has any.
 *
 * @param name form name
 * @param options value → text
 * @param props more attributes
 * @returns the select
 */
export function select<V extends string>(
  name: string,
  options: readonly (readonly [value: V, text: string])[],
  props: Props = {},
): Select<V> {
  return el(
    "select",
    { name, ...props },
    ...options.map(([value, text]) => el("option", { value }, text)),
  ) as Select<V>;
}
