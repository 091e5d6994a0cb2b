/**
 * WS-Security UsernameToken with a password digest, the way ONVIF devices authenticate SOAP calls:
 * `PasswordDigest = Base64(SHA1(nonce + created + password))`, where `nonce` is the raw bytes and
 * `created` the exact timestamp string sent. Both sides are here: the client builds tokens, the
 * camera simulator (and tests) verify them.
 *
 * @module
 */
import { createHash } from "node:crypto";
import { childText, escapeXml, findChild, type XmlElement } from "./xml.ts";

/** A UsernameToken ready to be written into a SOAP header. */
export interface UsernameToken {
  username: string;
  /** Base64 of SHA-1(nonce + created + password). */
  digest: string;
  /** Base64 of the random nonce bytes. */
  nonce: string;
  /** The creation time as sent, `YYYY-MM-DDTHH:MM:SSZ`, in the DEVICE's clock. */
  created: string;
}

/** How far a token's `Created` may be from the verifier's clock, by default (5 minutes). */
export const DEFAULT_TOKEN_WINDOW_MS = 5 * 60_000;

const PASSWORD_DIGEST_TYPE =
  "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-username-token-profile-1.0#PasswordDigest";
const BASE64_ENCODING =
  "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-soap-message-security-1.0#Base64Binary";

/**
 * Computes the WS-Security password digest.
 *
 * @param nonce the raw nonce bytes
 * @param created the `Created` string exactly as sent
 * @param password the plain password
 * @returns Base64(SHA1(nonce + created + password))
 * @example
 * ```ts
 * passwordDigest(new Uint8Array(16), "2026-01-01T00:00:00Z", "secret");
 * ```
 */
export function passwordDigest(nonce: Uint8Array, created: string, password: string): string {
  return createHash("sha1")
    .update(nonce)
    .update(new TextEncoder().encode(created + password))
    .digest("base64");
}

/**
 * Formats a time the way `Created` is sent: UTC, whole seconds (some cameras reject milliseconds).
 *
 * @param ms epoch milliseconds
 * @returns e.g. `2026-01-01T00:00:00Z`
 */
export function formatCreated(ms: number): string {
  return new Date(ms).toISOString().replace(/\.\d{3}Z$/, "Z");
}

/**
 * Creates a fresh token whose `Created` is in the device's clock (local time + offset), so a camera
 * whose clock is hours off still accepts it.
 *
 * @param options credentials, the device clock offset, and for tests a fixed clock and nonce
 * @returns the token
 * @example
 * ```ts
 * const token = createUsernameToken({ username: "admin", password: "pw", timeOffsetMs: 7_200_000 });
 * ```
 */
export function createUsernameToken(options: {
  username: string;
  password: string;
  /** Device clock minus local clock, from GetSystemDateAndTime. */
  timeOffsetMs?: number;
  now?: number;
  nonce?: Uint8Array;
}): UsernameToken {
  const nonce = options.nonce ?? crypto.getRandomValues(new Uint8Array(16));
  const created = formatCreated((options.now ?? Date.now()) + (options.timeOffsetMs ?? 0));
  return {
    username: options.username,
    digest: passwordDigest(nonce, created, options.password),
    nonce: nonce.toBase64(),
    created,
  };
}

/**
 * Writes the `wsse:Security` header element for a token.
 *
 * @param token from {@linkcode createUsernameToken}
 * @returns the XML of the header element (namespaces declared on it)
 */
export function usernameTokenXml(token: UsernameToken): string {
  return `<wsse:Security s:mustUnderstand="1" ` +
    `xmlns:wsse="http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-secext-1.0.xsd" ` +
    `xmlns:wsu="http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-utility-1.0.xsd">` +
    `<wsse:UsernameToken><wsse:Username>${escapeXml(token.username)}</wsse:Username>` +
    `<wsse:Password Type="${PASSWORD_DIGEST_TYPE}">${token.digest}</wsse:Password>` +
    `<wsse:Nonce EncodingType="${BASE64_ENCODING}">${token.nonce}</wsse:Nonce>` +
    `<wsu:Created>${token.created}</wsu:Created></wsse:UsernameToken></wsse:Security>`;
}

/**
 * Reads a UsernameToken from a parsed SOAP `Header`.
 *
 * @param header the `Header` element, if any
 * @returns the token, or undefined when the header carries none or it is incomplete
 */
export function readUsernameToken(header: XmlElement | undefined): UsernameToken | undefined {
  const token = findChild(findChild(header, "Security"), "UsernameToken");
  const username = childText(token, "Username");
  const digest = childText(token, "Password");
  const nonce = childText(token, "Nonce");
  const created = childText(token, "Created");
  if (username === undefined || !digest || !nonce || !created) return undefined;
  return { username, digest, nonce, created };
}

/** Why {@linkcode verifyUsernameToken} refused a token, or `"ok"`. */
export type TokenVerdict =
  | "ok"
  | "unknown_user"
  | "bad_digest"
  | "stale"
  | "replayed"
  | "malformed";

/**
 * Verifies a token against the expected credentials, the verifier's clock, and the nonces already
 * seen (a replayed nonce is refused). Accepted nonces are added to `seenNonces` with their expiry;
 * expired ones are pruned.
 *
 * @param token the received token
 * @param expected the account and the verifier's current time (its own, possibly skewed, clock)
 * @param seenNonces nonce → expiry time, kept by the caller between calls
 * @returns `"ok"` or the reason for refusing
 */
export function verifyUsernameToken(
  token: UsernameToken,
  expected: { username: string; password: string; now: number; windowMs?: number },
  seenNonces: Map<string, number>,
): TokenVerdict {
  const windowMs = expected.windowMs ?? DEFAULT_TOKEN_WINDOW_MS;
  for (const [nonce, expiry] of seenNonces) if (expiry < expected.now) seenNonces.delete(nonce);
  const created = Date.parse(token.created);
  let nonceBytes: Uint8Array;
  try {
    nonceBytes = Uint8Array.fromBase64(token.nonce);
  } catch {
    return "malformed";
  }
  if (Number.isNaN(created)) return "malformed";
  if (token.username !== expected.username) return "unknown_user";
  if (passwordDigest(nonceBytes, token.created, expected.password) !== token.digest) {
    return "bad_digest";
  }
  if (Math.abs(created - expected.now) > windowMs) return "stale";
  if (seenNonces.has(token.nonce)) return "replayed";
  seenNonces.set(token.nonce, expected.now + 2 * windowMs);
  return "ok";
}
