/**
 * SOAP 1.2 envelopes as ONVIF uses them: building requests (with an optional WS-Security header),
 * reading a reply's body, and turning a SOAP fault into an {@linkcode OnvifError} that says whether
 * the camera refused the credentials or failed otherwise.
 *
 * @module
 */
import { OnvifError } from "./onvif_error.ts";
import { type UsernameToken, usernameTokenXml } from "./ws_security.ts";
import { childText, escapeXml, findChild, findChildren, parseXml, type XmlElement } from "./xml.ts";

/** Namespaces ONVIF bodies use; every envelope we write declares them on the Body. */
export const ONVIF_NAMESPACES = {
  s: "http://www.w3.org/2003/05/soap-envelope",
  tds: "http://www.onvif.org/ver10/device/wsdl",
  trt: "http://www.onvif.org/ver10/media/wsdl",
  tt: "http://www.onvif.org/ver10/schema",
  ter: "http://www.onvif.org/ver10/error",
  tptz: "http://www.onvif.org/ver20/ptz/wsdl",
  tev: "http://www.onvif.org/ver10/events/wsdl",
  wsnt: "http://docs.oasis-open.org/wsn/b-2",
  wsa: "http://www.w3.org/2005/08/addressing",
} as const;

/** A SOAP fault, read from a reply. */
export interface SoapFault {
  /** `Sender` or `Receiver` (prefix removed). */
  code: string;
  /** Subcodes from outermost to innermost, prefixes removed (`["NotAuthorized"]`). */
  subcodes: string[];
  /** The first `Reason/Text`, or `""`. */
  reason: string;
}

/** Largest SOAP reply accepted from a camera (GetProfiles of a camera with many profiles fits). */
export const MAX_SOAP_REPLY_CHARS = 256 * 1024;

/**
 * Wraps a body in a SOAP 1.2 envelope.
 *
 * @param body the XML of the body's content, using the prefixes of {@linkcode ONVIF_NAMESPACES}
 * @param security a UsernameToken to put in the header, if the call is authenticated
 * @param addressing WS-Addressing header elements (`wsa:Action`, `wsa:To`, reference
 *   parameters), which event subscriptions need
 * @returns the whole envelope
 * @example
 * ```ts
 * buildEnvelope("<tds:GetSystemDateAndTime/>");
 * ```
 */
export function buildEnvelope(body: string, security?: UsernameToken, addressing = ""): string {
  const ns = Object.entries(ONVIF_NAMESPACES)
    .filter(([prefix]) => prefix !== "s")
    .map(([prefix, uri]) => ` xmlns:${prefix}="${uri}"`)
    .join("");
  const content = (security ? usernameTokenXml(security) : "") + addressing;
  const header = content
    ? `<s:Header xmlns:wsa="${ONVIF_NAMESPACES.wsa}">${content}</s:Header>`
    : "";
  return `<?xml version="1.0" encoding="UTF-8"?>` +
    `<s:Envelope xmlns:s="${ONVIF_NAMESPACES.s}">${header}<s:Body${ns}>${body}</s:Body></s:Envelope>`;
}

/**
 * Builds a SOAP fault envelope (for the camera simulator and tests).
 *
 * @param fault code (`Sender`/`Receiver`), subcode with its prefix (`ter:NotAuthorized`), reason
 * @returns the envelope
 */
export function buildFault(fault: { code: string; subcode?: string; reason: string }): string {
  const subcode = fault.subcode ? `<s:Subcode><s:Value>${fault.subcode}</s:Value></s:Subcode>` : "";
  return buildEnvelope(
    `<s:Fault><s:Code><s:Value>s:${fault.code}</s:Value>${subcode}</s:Code>` +
      `<s:Reason><s:Text xml:lang="en">${escapeXml(fault.reason)}</s:Text></s:Reason></s:Fault>`,
  );
}

/** A parsed envelope: its header (if any) and the first element of its body. */
export interface ParsedEnvelope {
  header: XmlElement | undefined;
  /** The body's first element: the response, the request, or a `Fault`. */
  content: XmlElement;
}

/**
 * Parses a SOAP envelope without judging its content.
 *
 * @param xml the document
 * @param maxChars size limit
 * @returns header and the body's first element
 * @throws {OnvifError} `onvif_bad_reply` when the XML is malformed or not a SOAP envelope
 */
export function parseEnvelope(xml: string, maxChars = MAX_SOAP_REPLY_CHARS): ParsedEnvelope {
  const root = parseXml(xml, { maxLength: maxChars });
  if (root.name !== "Envelope") {
    throw new OnvifError("onvif_bad_reply", `onvif: reply is <${root.name}>, not a SOAP envelope`);
  }
  const content = findChild(root, "Body")?.children[0];
  if (!content) throw new OnvifError("onvif_bad_reply", "onvif: SOAP envelope has an empty body");
  return { header: findChild(root, "Header"), content };
}

/**
 * Reads a `Fault` element.
 *
 * @param fault the element
 * @returns code, subcodes and reason, prefixes removed
 */
export function readFault(fault: XmlElement): SoapFault {
  const code = findChild(fault, "Code");
  const subcodes: string[] = [];
  for (let sub = findChild(code, "Subcode"); sub; sub = findChild(sub, "Subcode")) {
    const value = childText(sub, "Value");
    if (value) subcodes.push(localPart(value));
  }
  // SOAP 1.1 faults (`faultcode`/`faultstring`) still come from some older firmware.
  return {
    code: localPart(childText(code, "Value") ?? childText(fault, "faultcode") ?? ""),
    subcodes,
    reason: findChildren(findChild(fault, "Reason"), "Text")[0]?.text.trim() ??
      childText(fault, "faultstring") ?? "",
  };
}

const AUTH_SUBCODES = new Set([
  "NotAuthorized",
  "FailedAuthentication",
  "InvalidSecurity",
  "InvalidSecurityToken",
]);

/**
 * Whether a fault means "wrong credentials" — cameras say it in several ways.
 *
 * @param fault a read fault
 * @returns true for NotAuthorized / FailedAuthentication / InvalidSecurity(Token) or a reason
 *   saying "not authorized"
 */
export function isAuthFault(fault: SoapFault): boolean {
  return fault.subcodes.some((sub) => AUTH_SUBCODES.has(sub)) ||
    AUTH_SUBCODES.has(fault.code) ||
    /not ?authori[sz]ed|authentication failed|unauthori[sz]ed/i.test(fault.reason);
}

/**
 * Parses a reply and returns its response element, turning a fault into an error.
 *
 * @param xml the reply
 * @param action the call, for the error message (`"GetProfiles"`)
 * @returns the response element (`GetProfilesResponse`)
 * @throws {OnvifError} `onvif_unauthorized` for an authentication fault, `onvif_fault` for any
 *   other fault, `onvif_bad_reply` for malformed XML
 * @example
 * ```ts
 * const response = readResponse(xml, "GetDeviceInformation");
 * ```
 */
export function readResponse(xml: string, action: string): XmlElement {
  const { content } = parseEnvelope(xml);
  if (content.name !== "Fault") return content;
  const fault = readFault(content);
  const detail = [fault.code, ...fault.subcodes].filter(Boolean).join("/");
  if (isAuthFault(fault)) {
    throw new OnvifError(
      "onvif_unauthorized",
      `onvif: ${action} refused the credentials (${detail}: ${fault.reason})`,
    );
  }
  throw new OnvifError(
    "onvif_fault",
    `onvif: ${action} failed with a SOAP fault (${detail}: ${fault.reason})`,
  );
}

function localPart(qualifiedName: string): string {
  return qualifiedName.slice(qualifiedName.indexOf(":") + 1);
}
