/**
 * A tiny XML reader for replies from cameras, which are untrusted input. It builds a plain element
 * tree and refuses everything a SOAP reply never needs but an attacker could abuse: any `<!DOCTYPE`
 * or `<!ENTITY` (so no entity expansion, internal or external), entities other than the five
 * predefined ones and character references, documents over a size limit, and deep nesting.
 *
 * Element names keep their prefix but lookups match the local name only: cameras use every prefix
 * imaginable (`tt:`, `ns2:`, `onvif:`, none) for the same namespace, and ONVIF replies never carry
 * two elements with the same local name where we look.
 *
 * @module
 */
import { OnvifError } from "./onvif_error.ts";

/** One element: local name, prefix, attributes (by local name), children and its direct text. */
export interface XmlElement {
  /** The name without its prefix (`Envelope` for `s:Envelope`). */
  name: string;
  /** The prefix (`s` for `s:Envelope`), or `""`. */
  prefix: string;
  /** Attributes by local name (`mustUnderstand` for `s:mustUnderstand`); `xmlns*` are dropped. */
  attributes: Record<string, string>;
  /** Child elements in document order. */
  children: XmlElement[];
  /** The element's own text (CDATA included), entities decoded, not trimmed. */
  text: string;
}

/** Limits for {@linkcode parseXml}. */
export interface XmlLimits {
  /** Largest accepted document in UTF-16 code units (default 256 KiB). */
  maxLength?: number;
  /** Deepest accepted nesting (default 64). */
  maxDepth?: number;
  /** Most elements accepted (default 20,000). */
  maxElements?: number;
}

const PREDEFINED: Record<string, string> = {
  lt: "<",
  gt: ">",
  amp: "&",
  quot: '"',
  apos: "'",
};

const NAME = /^[A-Za-z_][\w.:-]*/;
const ATTRIBUTE = /^([A-Za-z_][\w.:-]*)\s*=\s*("[^"<]*"|'[^'<]*')/;

/**
 * Parses an XML document into an element tree.
 *
 * @param source the document text
 * @param limits size, depth and element-count limits
 * @returns the root element
 * @throws {OnvifError} code `onvif_bad_reply` for malformed XML, a DOCTYPE or ENTITY declaration,
 *   an unknown entity, or a document over the limits
 * @example
 * ```ts
 * const root = parseXml("<s:Envelope><s:Body><x:Hello>hi</x:Hello></s:Body></s:Envelope>");
 * childText(findChild(root, "Body")!, "Hello"); // "hi"
 * ```
 */
export function parseXml(source: string, limits: XmlLimits = {}): XmlElement {
  const maxLength = limits.maxLength ?? 256 * 1024;
  const maxDepth = limits.maxDepth ?? 64;
  const maxElements = limits.maxElements ?? 20_000;
  if (source.length > maxLength) {
    throw bad(`document is ${source.length} characters, over the ${maxLength} limit`);
  }
  const stack: XmlElement[] = [];
  let root: XmlElement | undefined;
  let elements = 0;
  let i = source.charCodeAt(0) === 0xfeff ? 1 : 0;

  while (i < source.length) {
    const lt = source.indexOf("<", i);
    const textEnd = lt === -1 ? source.length : lt;
    if (textEnd > i) appendText(stack, root, source.slice(i, textEnd));
    if (lt === -1) break;
    i = lt;
    if (source.startsWith("<?", i)) {
      i = skipPast(source, i, "?>", "processing instruction");
    } else if (source.startsWith("<!--", i)) {
      i = skipPast(source, i, "-->", "comment");
    } else if (source.startsWith("<![CDATA[", i)) {
      const end = source.indexOf("]]>", i);
      if (end === -1) throw bad("unterminated CDATA section");
      const parent = stack.at(-1);
      if (!parent) throw bad("CDATA outside the root element");
      parent.text += source.slice(i + 9, end);
      i = end + 3;
    } else if (source.startsWith("<!", i)) {
      // DOCTYPE and ENTITY declarations are how entity-expansion attacks start; SOAP forbids them.
      throw bad("DOCTYPE and ENTITY declarations are not accepted");
    } else if (source.startsWith("</", i)) {
      const end = source.indexOf(">", i);
      if (end === -1) throw bad("unterminated closing tag");
      const name = source.slice(i + 2, end).trim();
      const open = stack.pop();
      if (!open || qualified(open) !== name) {
        throw bad(
          `closing tag </${name}> does not match ${open ? `<${qualified(open)}>` : "anything"}`,
        );
      }
      i = end + 1;
    } else {
      const parsed = parseStartTag(source, i);
      if (++elements > maxElements) throw bad(`more than ${maxElements} elements`);
      const parent = stack.at(-1);
      if (parent) parent.children.push(parsed.element);
      else if (root) throw bad("more than one root element");
      else root = parsed.element;
      if (!parsed.selfClosing) {
        stack.push(parsed.element);
        if (stack.length > maxDepth) throw bad(`nesting deeper than ${maxDepth}`);
      }
      i = parsed.end;
    }
  }
  if (stack.length > 0) throw bad(`<${qualified(stack.at(-1)!)}> is never closed`);
  if (!root) throw bad("no root element");
  return root;
}

function parseStartTag(
  source: string,
  start: number,
): { element: XmlElement; selfClosing: boolean; end: number } {
  let i = start + 1;
  const nameMatch = NAME.exec(source.slice(i, i + 256));
  if (!nameMatch) throw bad(`invalid tag at offset ${start}`);
  const [prefix, name] = splitName(nameMatch[0]);
  const element: XmlElement = { name, prefix, attributes: {}, children: [], text: "" };
  i += nameMatch[0].length;
  for (;;) {
    while (isSpace(source.charCodeAt(i))) i++;
    if (source.startsWith("/>", i)) return { element, selfClosing: true, end: i + 2 };
    if (source[i] === ">") return { element, selfClosing: false, end: i + 1 };
    if (i >= source.length) throw bad(`unterminated tag <${nameMatch[0]}>`);
    const attribute = ATTRIBUTE.exec(source.slice(i, i + 8192));
    if (!attribute || !isSpace(source.charCodeAt(i - 1))) {
      throw bad(`invalid attribute in <${nameMatch[0]}>`);
    }
    const [attrPrefix, attrName] = splitName(attribute[1]!);
    if (attrPrefix !== "xmlns" && attrName !== "xmlns") {
      element.attributes[attrName] = decodeEntities(attribute[2]!.slice(1, -1));
    }
    i += attribute[0].length;
  }
}

function appendText(stack: XmlElement[], root: XmlElement | undefined, raw: string): void {
  const parent = stack.at(-1);
  if (parent) {
    parent.text += decodeEntities(raw);
  } else if (raw.trim() !== "") {
    throw bad(root ? "text after the root element" : "text before the root element");
  }
}

function skipPast(source: string, start: number, terminator: string, what: string): number {
  const end = source.indexOf(terminator, start);
  if (end === -1) throw bad(`unterminated ${what}`);
  return end + terminator.length;
}

function decodeEntities(raw: string): string {
  if (!raw.includes("&")) return raw;
  return raw.replace(/&([^;&\s]{0,12});?/g, (match, entity: string) => {
    if (!match.endsWith(";")) throw bad(`bare "&" in text`);
    const predefined = PREDEFINED[entity];
    if (predefined !== undefined) return predefined;
    const code = /^#x([0-9a-fA-F]{1,6})$/.exec(entity)?.[1] !== undefined
      ? parseInt(entity.slice(2), 16)
      : /^#(\d{1,7})$/.test(entity)
      ? parseInt(entity.slice(1), 10)
      : undefined;
    if (code === undefined) throw bad(`entity &${entity}; is not accepted`);
    if (code > 0x10ffff || code === 0) throw bad(`character reference &${entity}; is invalid`);
    return String.fromCodePoint(code);
  });
}

function splitName(qualifiedName: string): [string, string] {
  const colon = qualifiedName.indexOf(":");
  return colon === -1
    ? ["", qualifiedName]
    : [qualifiedName.slice(0, colon), qualifiedName.slice(colon + 1)];
}

function qualified(element: XmlElement): string {
  return element.prefix ? `${element.prefix}:${element.name}` : element.name;
}

function isSpace(code: number): boolean {
  return code === 0x20 || code === 0x09 || code === 0x0a || code === 0x0d;
}

function bad(message: string): OnvifError {
  return new OnvifError("onvif_bad_reply", `onvif: malformed XML: ${message}`);
}

/**
 * The first child with the given local name.
 *
 * @param element the parent
 * @param name local name, prefix ignored
 * @returns the child or undefined
 */
export function findChild(element: XmlElement | undefined, name: string): XmlElement | undefined {
  return element?.children.find((child) => child.name === name);
}

/**
 * All children with the given local name.
 *
 * @param element the parent
 * @param name local name, prefix ignored
 * @returns the children, possibly none
 */
export function findChildren(element: XmlElement | undefined, name: string): XmlElement[] {
  return element?.children.filter((child) => child.name === name) ?? [];
}

/**
 * Follows a path of local names from an element (`findPath(profile, "Resolution", "Width")`).
 *
 * @param element where to start
 * @param names local names, one per level
 * @returns the element at the end of the path, or undefined when a step is missing
 */
export function findPath(
  element: XmlElement | undefined,
  ...names: string[]
): XmlElement | undefined {
  let current = element;
  for (const name of names) current = findChild(current, name);
  return current;
}

/**
 * The first element with the given local name anywhere below `element` (depth first).
 *
 * @param element where to start (not itself matched)
 * @param name local name
 * @returns the element or undefined
 */
export function findDescendant(
  element: XmlElement | undefined,
  name: string,
): XmlElement | undefined {
  for (const child of element?.children ?? []) {
    if (child.name === name) return child;
    const below = findDescendant(child, name);
    if (below) return below;
  }
  return undefined;
}

/**
 * The trimmed text of the child at a path of local names.
 *
 * @param element where to start
 * @param names local names, one per level
 * @returns the trimmed text, or undefined when the path is missing or the text is empty
 */
export function childText(element: XmlElement | undefined, ...names: string[]): string | undefined {
  const text = findPath(element, ...names)?.text.trim();
  return text ? text : undefined;
}

/**
 * Escapes text for an XML element or a double-quoted attribute we write.
 *
 * @param text any string
 * @returns the escaped string
 * @example
 * ```ts
 * escapeXml(`a<b & "c"`); // "a&lt;b &amp; &quot;c&quot;"
 * ```
 */
export function escapeXml(text: string): string {
  return text.replace(
    /[<>&"']/g,
    (c) => `&${{ "<": "lt", ">": "gt", "&": "amp", '"': "quot", "'": "apos" }[c]};`,
  );
}
