/**
 * Who may read and publish on Vigil's RTSP relay: only Vigil publishes (its per-path internal
 * credentials, whatever `VIGIL_AUTH` says); readers use those credentials, an API token allowed
 * live viewing (a camera-limited one only on its cameras' paths) as the Basic password, or a
 * signed expiring URL — or anyone, with `VIGIL_AUTH=off`. Refused reader credentials count in the
 * API's limiter; refused publishers do not (publishing takes a per-path secret nobody can guess,
 * and a push session of Vigil's own aimed at its relay must not lock the box's address out);
 * token grants are re-checked while a session lasts. Tokens are stored hashed, so Digest
 * cannot check them. Why: docs/decisions/own-rtsp-relay.md, SECURITY.md.
 *
 * @module
 */
import type postgres from "postgres";
import type { RtspAuthDecision, RtspAuthRequest } from "./rtsp_server_types.ts";
import { verifyDigest } from "../../models/rtsp/auth.ts";
import { checkSignedPath } from "../../models/rtsp/signed_url.ts";
import {
  allows,
  constantTimeEqual,
  tokenExists,
  type TokenInfo,
  tokenMaySee,
  verifyToken,
} from "../../models/auth.ts";
import { internalCredentials, type RelayKeys } from "../../models/relay_keys.ts";
import { AuthLimiter } from "../../models/auth_limiter.ts";
import { createLogger } from "../../models/log.ts";

const log = createLogger("rtsp-auth");

/** What the authorizer needs. */
export interface RelayAuthOptions {
  /** Database holding the API tokens. */
  sql: postgres.Sql;
  /** The relay's secrets. */
  keys: RelayKeys;
  /** `VIGIL_AUTH`: false lets anyone read. */
  auth: boolean;
  /** Failed authentications per host, shared with the API. Default: one of its own. */
  limiter?: AuthLimiter;
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
  const limiter = options.limiter ?? new AuthLimiter();
  return async (request) => {
    const c = request.credentials;
    // Internal credentials hold for one action on one path (models/relay_keys.ts).
    const own = internalCredentials(keys, request.action, request.path);
    const internal = c?.scheme === "basic"
      ? internalUser(c.username, own.username) && constantTimeEqual(c.password, own.password)
      : c?.scheme === "digest"
      ? internalUser(c.username, own.username) && verifyDigest(c, own.password, request.method)
      : false;
    if (internal) return { allowed: true, internal: true };
    const host = request.host ?? hostOf(request.remote);
    if (limiter.blockedFor(host) > 0) return { allowed: false, status: 403 };
    const refused = (): RtspAuthDecision => {
      const blocked = limiter.fail(host);
      log.warn("relay authentication failed", { host, path: request.path, blocked });
      return { allowed: false };
    };
    if (request.action === "publish") {
      if (c) log.warn("relay publish refused", { host, path: request.path });
      return { allowed: false };
    }
    if (!options.auth) return { allowed: true };
    const signed = checkSignedPath(keys.signingKey, request.path, request.query, Date.now() / 1000);
    if (signed === "ok") {
      const tok = request.query.tok;
      if (tok === undefined) return { allowed: true };
      // Bound to the token that asked for it: void once that token is revoked.
      if (!(await tokenExists(sql, tok))) return refused();
      return { allowed: true, stillValid: () => tokenExists(sql, tok) };
    }
    if (c?.scheme === "basic") {
      const token = await verifyToken(sql, c.password);
      if (token && allows(token.role, "live")) {
        if (!mayRead(token, request.path)) return { allowed: false, status: 403 };
        // Re-checked while the session lasts: revoking the token closes it.
        return { allowed: true, stillValid: () => tokenExists(sql, token.id) };
      }
      if (!token) return refused();
      return { allowed: false };
    }
    if (c || "sig" in request.query) return refused();
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

/** The host of `host:port` (IPv6 hosts keep their colons). */
function hostOf(remote: string): string {
  return remote.replace(/:\d+$/, "");
}

/** The internal user, alone or with a puller's suffix (`vigil.<hex>`, see Hub.publishOwner). */
function internalUser(username: string, internal: string): boolean {
  return username === internal ||
    (username.startsWith(`${internal}.`) &&
      /^[a-z0-9]{1,32}$/.test(username.slice(internal.length + 1)));
}
