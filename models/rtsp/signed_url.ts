/**
 * Signed, expiring relay URLs for players that cannot send credentials: `?exp=<unix s>&sig=<…>`
 * where `sig` is base64url(HMAC-SHA256(key, path + "\n" + exp)). A signature is bound to one path
 * and one expiry, so it can be neither moved to another camera nor extended, and no token travels
 * in the URL (URLs end up in logs and player histories). A URL issued to an API token also
 * carries that token's public id (`tok=<id>`, signed too): the relay honours it only while the
 * token exists, so revoking a token also voids the URLs it signed.
 *
 * @module
 */

import { createHmac, timingSafeEqual } from "node:crypto";

/** Longest lifetime a signed URL may have (a day): long-lived secrets belong in tokens. */
export const MAX_SIGNED_TTL_S = 86_400;

/** Outcome of {@linkcode checkSignedPath}. */
export type SignatureCheck = "ok" | "missing" | "expired" | "invalid";

/**
 * Signs a path until `expiresAt`.
 *
 * @param key the signing key (≥ 32 bytes)
 * @param path the relay path, e.g. `/cam/0192…`
 * @param expiresAt expiry, unix seconds
 * @returns the query string to append (`exp=…&sig=…`)
 * @throws {RangeError} for a short key or a non-integer expiry
 * @example
 * ```ts
 * const query = signPath(key, "/cam/1", Math.floor(Date.now() / 1000) + 600);
 * const url = `rtsp://box:8554/cam/1?${query}`;
 * ```
 */
export function signPath(
  key: Uint8Array,
  path: string,
  expiresAt: number,
  tokenId?: string,
): string {
  if (key.length < 32) throw new RangeError("signed url: the key must hold at least 32 bytes");
  if (!Number.isSafeInteger(expiresAt) || expiresAt < 0) {
    throw new RangeError(`signed url: expiry must be unix seconds, got ${expiresAt}`);
  }
  if (tokenId !== undefined && !/^[a-z0-9]{1,64}$/.test(tokenId)) {
    throw new RangeError(`signed url: not a token id: ${tokenId}`);
  }
  const tok = tokenId === undefined ? "" : `tok=${tokenId}&`;
  return `${tok}exp=${expiresAt}&sig=${mac(key, path, String(expiresAt), tokenId)}`;
}

/**
 * Checks the `exp` and `sig` query parameters of a request for `path`.
 *
 * @param key the signing key
 * @param path the path the request names
 * @param query the request's query parameters
 * @param now current time, unix seconds
 * @returns `ok`, or why not (`missing` when no `sig` was given)
 * @example
 * ```ts
 * checkSignedPath(key, "/cam/1", { exp: "1767225600", sig: "…" }, Date.now() / 1000); // "ok"
 * ```
 */
export function checkSignedPath(
  key: Uint8Array,
  path: string,
  query: Record<string, string>,
  now: number,
): SignatureCheck {
  const { exp, sig, tok } = query;
  if (sig === undefined) return "missing";
  if (exp === undefined || !/^\d{1,12}$/.test(exp) || !/^[A-Za-z0-9_-]{43}$/.test(sig)) {
    return "invalid";
  }
  if (tok !== undefined && !/^[a-z0-9]{1,64}$/.test(tok)) return "invalid";
  const expected = new TextEncoder().encode(mac(key, path, exp, tok));
  const given = new TextEncoder().encode(sig);
  if (!timingSafeEqual(expected, given)) return "invalid";
  return Number(exp) < now ? "expired" : "ok";
}

function mac(key: Uint8Array, path: string, exp: string, tok?: string): string {
  const text = tok === undefined ? `${path}\n${exp}` : `${path}\n${exp}\n${tok}`;
  return createHmac("sha256", key).update(text).digest("base64url");
}
