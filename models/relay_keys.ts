/**
 * The relay's secrets, derived from one random key in `$VIGIL_DATA_DIR/rtsp.key` (0600, made at
 * first start) with distinct HMAC labels: the per-action, per-path internal credentials of Vigil's
 * own consumers and pullers (they travel on ffmpeg command lines, so a leaked one grants one
 * action on one path) and the key that signs relay URLs. See SECURITY.md (a local user).
 *
 * @module
 */
import { createHmac } from "node:crypto";
import { join } from "node:path";

/** User name of internal consumers on the relay. */
export const INTERNAL_USER = "vigil";

/** The relay's secrets. */
export interface RelayKeys {
  /** Key from which the internal credentials of each action and path are derived. */
  internalKey: Uint8Array;
  /** Key of signed relay URLs (see models/rtsp/signed_url.ts). */
  signingKey: Uint8Array;
}

const KEY_FILE = "rtsp.key";

/**
 * Loads the relay key from the data dir, creating it on first use, and derives the secrets.
 *
 * @param dataDir Vigil's data directory
 * @returns the internal credentials and the signing key
 * @throws Error when the key file exists with the wrong size
 * @example
 * ```ts
 * const keys = await openRelayKeys("./data");
 * internalCredentials(keys, "read", "/cam/1").username; // "vigil"
 * ```
 */
export async function openRelayKeys(dataDir: string): Promise<RelayKeys> {
  const path = join(dataDir, KEY_FILE);
  let raw: Uint8Array;
  try {
    raw = await Deno.readFile(path);
  } catch (error) {
    if (!(error instanceof Deno.errors.NotFound)) throw error;
    raw = crypto.getRandomValues(new Uint8Array(32));
    try {
      await Deno.writeFile(path, raw, { mode: 0o600, createNew: true });
    } catch (race) {
      // Another process created it first: use theirs.
      if (!(race instanceof Deno.errors.AlreadyExists)) throw race;
      raw = await Deno.readFile(path);
    }
  }
  if (raw.length !== 32) throw new Error(`relay: ${path} must hold 32 bytes`);
  const derive = (label: string) => createHmac("sha256", raw).update(label).digest();
  return {
    internalKey: new Uint8Array(derive("vigil internal reader")),
    signingKey: new Uint8Array(derive("vigil signed relay url")),
  };
}

/** What an internal credential may do. */
export type InternalAction = "read" | "publish";

/**
 * The internal credentials for one action on one relay path: valid for that and nothing else.
 *
 * @param keys the relay's secrets
 * @param action read or publish
 * @param path the relay path (`/cam/<id>`, `/cam/<id>/sub`, `/live/<session>`)
 * @returns user `vigil` and the derived password
 * @example
 * ```ts
 * const url = withCredentials(server.url("/cam/1"), internalCredentials(keys, "read", "/cam/1"));
 * ```
 */
export function internalCredentials(
  keys: Pick<RelayKeys, "internalKey">,
  action: InternalAction,
  path: string,
): { username: string; password: string } {
  const password = createHmac("sha256", keys.internalKey).update(`${action} ${path}`)
    .digest("base64url");
  return { username: INTERNAL_USER, password };
}
