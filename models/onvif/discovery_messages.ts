/**
 * WS-Discovery (2005/04, the version ONVIF uses) messages: the Probe we multicast, the
 * ProbeMatches cameras answer with, and the ONVIF scopes that name a camera. Replies arrive from
 * anyone on the LAN, so they are parsed with the size-limited, entity-free reader and every field
 * is checked; a bad reply is an {@linkcode OnvifError} the caller logs and ignores.
 *
 * @module
 */
import { OnvifError } from "./onvif_error.ts";
import { isEndpointAddress, normalizeEndpointAddress } from "./device_replies.ts";
import { parseEnvelope } from "./soap.ts";
import { childText, escapeXml, findChildren } from "./xml.ts";

/** The multicast group of WS-Discovery. */
export const WS_DISCOVERY_GROUP = "239.255.255.250";
/** The UDP port of WS-Discovery. */
export const WS_DISCOVERY_PORT = 3702;
/** Largest discovery datagram accepted: a real ProbeMatches is 1–3 KB. */
export const MAX_DISCOVERY_REPLY_CHARS = 32 * 1024;

const NS = {
  s: "http://www.w3.org/2003/05/soap-envelope",
  a: "http://schemas.xmlsoap.org/ws/2004/08/addressing",
  d: "http://schemas.xmlsoap.org/ws/2005/04/discovery",
  dn: "http://www.onvif.org/ver10/network/wsdl",
  tds: "http://www.onvif.org/ver10/device/wsdl",
};
const ACTION = {
  probe: "http://schemas.xmlsoap.org/ws/2005/04/discovery/Probe",
  probeMatches: "http://schemas.xmlsoap.org/ws/2005/04/discovery/ProbeMatches",
};
const ANONYMOUS = "http://schemas.xmlsoap.org/ws/2004/08/addressing/role/anonymous";

/** One ProbeMatch: a device that answered. */
export interface ProbeMatch {
  /** EndpointReference address, normalized (`urn:uuid:...`): the device's stable id. */
  endpointAddress: string;
  /** Types, as reported (`dn:NetworkVideoTransmitter`...). */
  types: string[];
  /** Scope URIs, as reported. */
  scopes: string[];
  /** Device service URLs (http/https only; others dropped). */
  xaddrs: string[];
  /** The device's metadata version, 0 when absent. */
  metadataVersion: number;
}

/** What ONVIF scopes say about a device. */
export interface ScopeInfo {
  name: string | undefined;
  hardware: string | undefined;
  /** Location scopes joined with `/` (`city/office`). */
  location: string | undefined;
}

/**
 * A new WS-Addressing message id.
 *
 * @returns `uuid:<random uuid>`
 */
export function newMessageId(): string {
  return `uuid:${crypto.randomUUID()}`;
}

/**
 * Builds a Probe for ONVIF video transmitters.
 *
 * @param messageId from {@linkcode newMessageId}; replies carry it in `RelatesTo`
 * @returns the Probe envelope
 * @example
 * ```ts
 * const probe = buildProbe(newMessageId());
 * ```
 */
export function buildProbe(messageId: string): string {
  return `<?xml version="1.0" encoding="UTF-8"?>` +
    `<s:Envelope xmlns:s="${NS.s}" xmlns:a="${NS.a}" xmlns:d="${NS.d}" xmlns:dn="${NS.dn}">` +
    `<s:Header><a:Action s:mustUnderstand="1">${ACTION.probe}</a:Action>` +
    `<a:MessageID>${escapeXml(messageId)}</a:MessageID>` +
    `<a:ReplyTo><a:Address>${ANONYMOUS}</a:Address></a:ReplyTo>` +
    `<a:To s:mustUnderstand="1">urn:schemas-xmlsoap-org:ws:2005:04:discovery</a:To></s:Header>` +
    `<s:Body><d:Probe><d:Types>dn:NetworkVideoTransmitter</d:Types></d:Probe></s:Body>` +
    `</s:Envelope>`;
}

/**
 * Reads a Probe (for the simulator's responder).
 *
 * @param xml a datagram
 * @returns the probe's message id and requested types, or undefined when it is not a Probe
 * @throws {OnvifError} `onvif_bad_reply` for malformed XML
 */
export function readProbe(xml: string): { messageId: string; types: string[] } | undefined {
  const { header, content } = parseEnvelope(xml, MAX_DISCOVERY_REPLY_CHARS);
  if (content.name !== "Probe") return undefined;
  return {
    messageId: childText(header, "MessageID") ?? "",
    types: (childText(content, "Types") ?? "").split(/\s+/).filter(Boolean),
  };
}

/**
 * Builds a ProbeMatches reply (for the simulator's responder).
 *
 * @param reply the probe's message id and the device's description
 * @returns the ProbeMatches envelope
 */
export function buildProbeMatches(reply: {
  relatesTo: string;
  endpointAddress: string;
  xaddrs: string[];
  scopes: string[];
  metadataVersion?: number;
}): string {
  return `<?xml version="1.0" encoding="UTF-8"?>` +
    `<s:Envelope xmlns:s="${NS.s}" xmlns:a="${NS.a}" xmlns:d="${NS.d}" xmlns:dn="${NS.dn}" ` +
    `xmlns:tds="${NS.tds}"><s:Header><a:Action>${ACTION.probeMatches}</a:Action>` +
    `<a:MessageID>${newMessageId()}</a:MessageID>` +
    `<a:RelatesTo>${escapeXml(reply.relatesTo)}</a:RelatesTo><a:To>${ANONYMOUS}</a:To>` +
    `</s:Header><s:Body><d:ProbeMatches><d:ProbeMatch>` +
    `<a:EndpointReference><a:Address>${escapeXml(reply.endpointAddress)}</a:Address>` +
    `</a:EndpointReference><d:Types>dn:NetworkVideoTransmitter tds:Device</d:Types>` +
    `<d:Scopes>${escapeXml(reply.scopes.join(" "))}</d:Scopes>` +
    `<d:XAddrs>${escapeXml(reply.xaddrs.join(" "))}</d:XAddrs>` +
    `<d:MetadataVersion>${reply.metadataVersion ?? 1}</d:MetadataVersion>` +
    `</d:ProbeMatch></d:ProbeMatches></s:Body></s:Envelope>`;
}

/**
 * Parses a ProbeMatches datagram.
 *
 * @param xml the datagram's text
 * @param messageId our probe's id: a reply relating to another message is refused (a reply
 *   without `RelatesTo` is accepted; some cameras omit it)
 * @returns the matches with at least one usable XAddr (at most 16 per datagram)
 * @throws {OnvifError} `onvif_bad_reply` when the datagram is malformed, too large, carries a
 *   DOCTYPE/ENTITY, is not a ProbeMatches, relates to another probe, or names no usable device
 * @example
 * ```ts
 * const matches = parseProbeMatches(text, messageId);
 * ```
 */
export function parseProbeMatches(xml: string, messageId?: string): ProbeMatch[] {
  const { header, content } = parseEnvelope(xml, MAX_DISCOVERY_REPLY_CHARS);
  if (content.name !== "ProbeMatches") {
    throw bad(`expected ProbeMatches, got <${content.name}>`);
  }
  const relatesTo = childText(header, "RelatesTo");
  if (messageId !== undefined && relatesTo !== undefined && relatesTo !== messageId) {
    throw bad(`reply relates to ${JSON.stringify(relatesTo)}, not to our probe`);
  }
  const matches: ProbeMatch[] = [];
  for (const match of findChildren(content, "ProbeMatch").slice(0, 16)) {
    const address = childText(match, "EndpointReference", "Address");
    const xaddrs = (childText(match, "XAddrs") ?? "").split(/\s+/).filter(isHttpUrl).slice(0, 8);
    const endpointAddress = normalizeEndpointAddress(address ?? "");
    if (!isEndpointAddress(endpointAddress) || xaddrs.length === 0) continue;
    const version = Number(childText(match, "MetadataVersion"));
    matches.push({
      endpointAddress,
      types: words(childText(match, "Types")).slice(0, 16),
      scopes: words(childText(match, "Scopes")).filter((s) => s.length <= 512).slice(0, 64),
      xaddrs,
      metadataVersion: Number.isInteger(version) && version >= 0 ? version : 0,
    });
  }
  if (matches.length === 0) {
    throw bad("no ProbeMatch with an endpoint address and an http(s) XAddr");
  }
  return matches;
}

/**
 * Reads name, hardware and location from ONVIF scopes
 * (`onvif://www.onvif.org/name/Front%20Door`).
 *
 * @param scopes scope URIs
 * @returns the decoded values (undefined when absent)
 * @example
 * ```ts
 * readScopes(["onvif://www.onvif.org/name/Front%20Door"]).name; // "Front Door"
 * ```
 */
export function readScopes(scopes: string[]): ScopeInfo {
  const values = (kind: string) =>
    scopes
      .map((scope) => new RegExp(`^onvif://www\\.onvif\\.org/${kind}/(.+)$`, "i").exec(scope)?.[1])
      .filter((v): v is string => v !== undefined)
      .map(decodeScope);
  const location = values("location");
  return {
    name: values("name")[0],
    hardware: values("hardware")[0],
    location: location.length ? location.join("/") : undefined,
  };
}

/**
 * The ONVIF scopes a device with this description would announce (for the simulator).
 *
 * @param info name, hardware and location
 * @returns scope URIs
 */
export function buildScopes(info: ScopeInfo): string[] {
  const scope = (kind: string, value: string | undefined) =>
    value === undefined ? [] : [`onvif://www.onvif.org/${kind}/${encodeURIComponent(value)}`];
  return [
    "onvif://www.onvif.org/type/video_encoder",
    "onvif://www.onvif.org/Profile/Streaming",
    ...scope("name", info.name),
    ...scope("hardware", info.hardware),
    ...(info.location ?? "").split("/").filter(Boolean).flatMap((l) => scope("location", l)),
  ];
}

function decodeScope(value: string): string {
  try {
    return decodeURIComponent(value.replace(/\+/g, " "));
  } catch {
    return value;
  }
}

function words(text: string | undefined): string[] {
  return (text ?? "").split(/\s+/).filter(Boolean);
}

function isHttpUrl(text: string): boolean {
  if (text.length > 1024) return false;
  try {
    const url = new URL(text);
    return (url.protocol === "http:" || url.protocol === "https:") && url.hostname !== "";
  } catch {
    return false;
  }
}

function bad(message: string): OnvifError {
  return new OnvifError("onvif_bad_reply", `onvif: discovery reply refused: ${message}`);
}
