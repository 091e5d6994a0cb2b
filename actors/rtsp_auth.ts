/**
 * Who may read and publish on Vigil's RTSP relay:
 *
 * - publishing: only Vigil itself (the internal credentials from the data dir), whatever
 *   `VIGIL_AUTH` says — nobody on the LAN may replace a camera's picture;
 * - reading: the internal credentials; with `VIGIL_AUTH=off` anyone; otherwise an API token of
 *   role admin, viewer or media as the password of RTSP Basic (any user name) — a token limited
 *   to some cameras only for their paths (`tokenMaySee`, models/auth.ts) — or a signed expiring
 *   URL (`?exp=…&sig=…`, see models/rtsp/signed_url.ts) for players that cannot send
 *   credentials.
 *
 * Tokens are stored as SHA-256 hashes only (models/auth.ts), so Digest — which needs the password
 * in clear on the server — can check only the internal credentials; the relay therefore offers
 * Basic (ffmpeg, VLC and GStreamer pick Digest whenever it is offered, which would lock token
 * holders out). MediaMTX has the same limit with hashed credentials.
 *
 * @module
 */
import type postgres from "postgres";
import type { RtspAuthDecision, RtspAuthRequest } from "./rtsp_server.ts";
import { verifyDigest } from "../models/rtsp/auth.ts";
import { checkSignedPath } from "../models/rtsp/signed_url.ts";
import {
  allows,
  constantTimeEqual,
  type TokenInfo,
  tokenMaySee,
  verifyToken,
} from "../models/auth.ts";
import type { RelayKeys } from "../models/relay_keys.ts";

/** What the authorizer needs. */
export interface RelayAuthOptions {
  /** Database holding the API tokens. */
  sql: postgres.Sql;
  /** The relay's secrets. */
  keys: RelayKeys;
  /** `VIGIL_AUTH`: false lets anyone read. */
  auth: boolean;
}

/**
 * Builds the relay's authorizer.
 *
 * @param options tokens database, relay keys, whether auth is on
 * @returns the `authorize` hook of `startRtspServer`
 * @example
 * ```ts
 * startRtspServer({ authorize: relayAuthorizer({ sql, keys, auth: true }) });
 * ```
 */
export function relayAuthorizer(
  options: RelayAuthOptions,
): (request: RtspAuthRequest) => Promise<RtspAuthDecision> {
  const { sql, keys } = options;
  return async (request) => {
    const c = request.credentials;
    const internal = c?.scheme === "basic"
      ? c.username === keys.internal.username &&
        constantTimeEqual(c.password, keys.internal.password)
      : c?.scheme === "digest"
      ? c.username === keys.internal.username &&
        verifyDigest(c, keys.internal.password, request.method)
      : false;
    if (internal) return { allowed: true, internal: true };
    if (request.action === "publish") return { allowed: false };
    if (!options.auth) return { allowed: true };
    if (checkSignedPath(keys.signingKey, request.path, request.query, Date.now() / 1000) === "ok") {
      return { allowed: true };
    }
    if (c?.scheme === "basic") {
      const token = await verifyToken(sql, c.password);
      if (token && allows(token.role, "live")) {
        return mayRead(token, request.path) ? { allowed: true } : { allowed: false, status: 403 };
      }
    }
    return { allowed: false };
  };
}

/**
 * Whether a token may read a relay path: any, unless it is limited to cameras — then only the
 * paths of those cameras (`/cam/<id>` and below); other paths (live sessions...) stay closed to it
 * until they can tell which camera they show.
 */
function mayRead(token: TokenInfo, path: string): boolean {
  if (token.cameras === null) return true;
  const camera = /^\/cam\/([^/]+)/.exec(path)?.[1];
  return camera !== undefined && tokenMaySee(token, camera);
}
