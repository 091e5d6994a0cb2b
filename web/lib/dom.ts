/// <reference lib="dom" />
/**
 * The console's only way to make elements. Children that are strings become text nodes, and
 * attributes are set one by one with `setAttribute`, so text from the API (camera names from
 * ONVIF devices, labels, zone names) can never become markup. There is no HTML-string path in
 * the console at all (and the page's Trusted Types policy would refuse one).
 *
 * @module
 */

/** What may be a child: nodes, text, or nothing (skipped). */
export type Child = Node | string | number | null | undefined | false;

/** Event handlers by event name. */
export type Handlers = {
  [E in keyof HTMLElementEventMap]?: (event: HTMLElementEventMap[E]) => void;
};

/** Attributes (`false`/`null`/`undefined` leave one out) plus `on` handlers. */
export interface Props {
  [name: string]: string | number | boolean | null | undefined | Handlers;
  on?: Handlers;
}

/** Links may only point inside the console, at this box, or at a blob the page made. */
const SAFE_URL = /^(#|\/(?!\/)|blob:)/;

function setAttributes(node: Element, props: Props): void {
  for (const [name, value] of Object.entries(props)) {
    if (name === "on" || value === false || value === null || value === undefined) continue;
    if (/^on/i.test(name)) throw new Error(`dom: inline handler ${name} is not allowed`);
    if (typeof value === "object") continue;
    const text = value === true ? "" : String(value);
    if ((name === "href" || name === "src") && !SAFE_URL.test(text)) {
      throw new Error(`dom: ${name} must be a path on this box or a blob: URL`);
    }
    node.setAttribute(name, text);
  }
  for (const [type, handler] of Object.entries(props.on ?? {})) {
    node.addEventListener(type, handler as EventListener);
  }
}

/**
 * Appends children to a node, strings as text.
 *
 * @param node the parent
 * @param children what to append
 */
export function append(node: Node, ...children: Child[]): void {
  for (const child of children) {
    if (child === null || child === undefined || child === false) continue;
    node.appendChild(typeof child === "object" ? child : document.createTextNode(String(child)));
  }
}

/**
 * Makes an HTML element.
 *
 * @param tag element name
 * @param props attributes and `on` handlers
 * @param children text and nodes
 * @returns the element
 * @example
 * ```ts
 * el("button", { type: "button", on: { click: save } }, "Save");
 * ```
 */
export function el<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  props: Props = {},
  ...children: Child[]
): HTMLElementTagNameMap[K] {
  const node = document.createElement(tag);
  setAttributes(node, props);
  append(node, ...children);
  return node;
}

const SVG_NS = "http://www.w3.org/2000/svg";

/**
 * Makes an SVG element.
 *
 * @param tag element name
 * @param props attributes and `on` handlers
 * @param children text and nodes
 * @returns the element
 */
export function svg<K extends keyof SVGElementTagNameMap>(
  tag: K,
  props: Props = {},
  ...children: Child[]
): SVGElementTagNameMap[K] {
  const node = document.createElementNS(SVG_NS, tag);
  setAttributes(node, props);
  append(node, ...children);
  return node;
}

/**
 * Replaces a node's children.
 *
 * @param node the parent
 * @param children the new children
 */
export function replace(node: Node & ParentNode, ...children: Child[]): void {
  node.replaceChildren();
  append(node, ...children);
}

let ids = 0;
/**
 * A fresh element id, to tie a label or a description to its control.
 *
 * @param prefix readable start
 * @returns a unique id
 */
export function uid(prefix: string): string {
  ids += 1;
  return `${prefix}-${ids}`;
}
