/**
 * RTSP authentication headers (RFC 2326 §D, RFC 7617 Basic, RFC 2617/7616 Digest with MD5, the
 * only algorithm RTSP clients implement): parse `Authorization`, write `WWW-Authenticate`, and
 * compute or check a Digest response. Which credentials are valid is the caller's business.
 * Digest needs the password in clear, so it serves only the box's internal credentials; API
 * tokens (stored hashed) use Basic. Why: docs/decisions/own-rtsp-relay.md.
 *
 * @module
 */

import { createHash, timingSafeEqual } from "node:crypto";

/** Longest `Authorization` value considered. */
export const MAX_AUTHORIZATION_LENGTH = 2048;

/** Credentials as a client presented them. */
export type Credentials =
  | { scheme: "basic"; username: string; password: string }
  | {
    scheme: "digest";
    username: string;
    realm: string;
    nonce: string;
    uri: string;
    response: string;
    qop: string | undefined;
    nc: string | undefined;
    cnonce: string | undefined;
  };

/** Digest credentials. */
export type DigestCredentials = Extract<Credentials, { scheme: "digest" }>;

/**
 * Parses an `Authorization` header.
 *
 * @param value the header value
 * @returns the credentials, or `null` for anything malformed, oversized or of another scheme
 * @example
 * ```ts
 * parseAuthorization("Basic dmlnaWw6czNjcmV0"); // "vigil:s3cret" → { scheme: "basic", username: "vigil", password: "s3cret" }
 * ```
 */
export function parseAuthorization(value: string | undefined): Credentials | null {
  if (value === undefined || value.length > MAX_AUTHORIZATION_LENGTH) return null;
  const m = /^(\S+)\s+(.*)$/s.exec(value.trim());
  if (!m) return null;
  const scheme = m[1]!.toLowerCase();
  if (scheme === "basic") return parseBasic(m[2]!.trim());
  if (scheme === "digest") return parseDigest(m[2]!);
  return null;
}

function parseBasic(encoded: string): Credentials | null {
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(encoded)) return null;
  let text: string;
  try {
    const bytes = Uint8Array.fromBase64(encoded);
    text = new TextDecoder("utf-8", { fatal: true }).decode(bytes);
  } catch {
    return null;
  }
  const colon = text.indexOf(":");
  if (colon === -1) return null;
  return { scheme: "basic", username: text.slice(0, colon), password: text.slice(colon + 1) };
}

function parseDigest(rest: string): Credentials | null {
  const params: Record<string, string> = {};
  const re = /\s*([A-Za-z-]+)\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^\s,"]*))\s*(?:,|$)/gy;
  let match: RegExpExecArray | null;
  let at = 0;
  while (at < rest.length && (match = re.exec(rest)) !== null) {
    if (match[0] === "") return null;
    at = re.lastIndex;
    const name = match[1]!.toLowerCase();
    params[name] = match[2] !== undefined ? match[2].replace(/\\(.)/g, "$1") : match[3] ?? "";
  }
  if (rest.slice(at).trim() !== "") return null;
  const { username, realm, nonce, uri, response } = params;
  if (!username || realm === undefined || !nonce || !uri || !response) return null;
  if (params.algorithm !== undefined && params.algorithm.toUpperCase() !== "MD5") return null;
  if (!/^[0-9a-f]{32}$/i.test(response)) return null;
  return {
    scheme: "digest",
    username,
    realm,
    nonce,
    uri,
    response: response.toLowerCase(),
    qop: params.qop,
    nc: params.nc,
    cnonce: params.cnonce,
  };
}

/**
 * The `WWW-Authenticate` value asking for Basic.
 *
 * @param realm protection space shown to users
 * @returns the header value
 * @example
 * ```ts
 * basicChallenge("Vigil"); // 'Basic realm="Vigil"'
 * ```
 */
export function basicChallenge(realm: string): string {
  return `Basic realm="${quote(realm)}"`;
}

/**
 * The `WWW-Authenticate` value asking for Digest (MD5, no qop: what RTSP clients expect).
 *
 * @param realm protection space
 * @param nonce server nonce
 * @returns the header value
 * @example
 * ```ts
 * digestChallenge("Vigil", "abc"); // 'Digest realm="Vigil", nonce="abc", algorithm=MD5'
 * ```
 */
export function digestChallenge(realm: string, nonce: string): string {
  return `Digest realm="${quote(realm)}", nonce="${quote(nonce)}", algorithm=MD5`;
}

/**
 * Computes the Digest `response` a client with `password` sends (RFC 2617 §3.2.2; without qop,
 * the RFC 2069 form).
 *
 * @param c username, realm, nonce, uri and the optional qop/nc/cnonce
 * @param password the password in clear
 * @param method the request method
 * @returns 32 lower-case hex digits
 * @example
 * ```ts
 * digestResponse({ username: "u", realm: "r", nonce: "n", uri: "/x", qop: undefined,
 *   nc: undefined, cnonce: undefined }, "p", "DESCRIBE");
 * ```
 */
export function digestResponse(
  c: Pick<DigestCredentials, "username" | "realm" | "nonce" | "uri" | "qop" | "nc" | "cnonce">,
  password: string,
  method: string,
): string {
  const ha1 = md5(`${c.username}:${c.realm}:${password}`);
  const ha2 = md5(`${method}:${c.uri}`);
  if (c.qop === "auth") return md5(`${ha1}:${c.nonce}:${c.nc ?? ""}:${c.cnonce ?? ""}:auth:${ha2}`);
  return md5(`${ha1}:${c.nonce}:${ha2}`);
}

/**
 * Checks Digest credentials against a password, in constant time.
 *
 * @param c the client's credentials
 * @param password the password the server knows
 * @param method the request method
 * @returns true when the client knew the password
 * @example
 * ```ts
 * verifyDigest(credentials, internalSecret, "DESCRIBE");
 * ```
 */
export function verifyDigest(c: DigestCredentials, password: string, method: string): boolean {
  const expected = new TextEncoder().encode(digestResponse(c, password, method));
  const got = new TextEncoder().encode(c.response);
  return expected.length === got.length && timingSafeEqual(expected, got);
}

function md5(text: string): string {
  return createHash("md5").update(text).digest("hex");
}

function quote(text: string): string {
  return text.replace(/["\\\r\n]/g, "");
}
