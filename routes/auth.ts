/**
 * Authentication and authorization middleware. Which permission a request needs is decided in
 * one place, from its method and path, so a new route cannot forget to declare it.
 *
 * Failed authentication is rate-limited per client address (models/auth_limiter.ts): past the
 * burst, the address gets 429 with `Retry-After` for every request until it may try again. Each
 * failure is logged with the client's address, the reason and the token's public id (the part
 * before its secret) — never the token.
 *
 * @module
 */
import type { Context, MiddlewareHandler } from "hono";
import type { Database } from "../models/store/database.ts";
import { allows, type Permission, verifyToken } from "../models/auth.ts";
import { AuthLimiter } from "../models/auth_limiter.ts";
import { VigilError } from "../models/errors.ts";
import { createLogger } from "../models/log.ts";

const log = createLogger("auth");

/**
 * The permission a request needs: live viewing and dispatch have their own; other reads need
 * `read`; anything that changes state needs `write`.
 *
 * @param method HTTP method
 * @param path request path
 * @returns the permission
 */
export function permissionFor(method: string, path: string): Permission {
  if (path.startsWith("/api/dispatch")) return "dispatch";
  // Who may call the API is an admin's business, even just to read.
  if (path.startsWith("/api/tokens")) return "write";
  // The live event feed is live viewing: dashboards and the media server follow it.
  if (path.startsWith("/api/live") || path === "/api/events/stream") return "live";
  return method === "GET" || method === "HEAD" ? "read" : "write";
}

/**
 * Checks the bearer token (unless auth is off) and the role's permission, refusing an address
 * that failed too often.
 *
 * @param db database holding the tokens
 * @param enabled false when `VIGIL_AUTH=off`
 * @param limiter failed attempts per address (default: 10 in a burst, then one per 6 s)
 * @returns the middleware
 */
export function authenticate(
  db: Database,
  enabled: boolean,
  limiter: AuthLimiter = new AuthLimiter(),
): MiddlewareHandler {
  return async (c, next) => {
    if (!enabled) return await next();
    const client = clientAddress(c);
    const waitMs = limiter.blockedFor(client);
    if (waitMs > 0) {
      c.header("Retry-After", String(Math.ceil(waitMs / 1000)));
      throw new VigilError(
        "too_many_requests",
        "too many failed authentications from this address; retry later",
        429,
      );
    }
    const header = c.req.header("authorization") ?? "";
    const presented = /^Bearer\s+(\S+)$/i.exec(header)?.[1];
    const role = presented ? await verifyToken(db.sql, presented) : undefined;
    if (!role) {
      const reason = presented ? "the token is not valid" : "a bearer token is required";
      // The id is the public half of `vgl_<id>_<secret>`: enough to tell a revoked token in use.
      const id = presented ? /^vgl_([a-z0-9]{12})_/.exec(presented)?.[1] : undefined;
      const blocked = limiter.fail(client);
      log.warn("authentication failed", {
        client,
        reason,
        presentedId: id ?? null,
        path: c.req.path,
        blocked,
      });
      c.header(
        "WWW-Authenticate",
        presented ? 'Bearer realm="vigil", error="invalid_token"' : 'Bearer realm="vigil"',
      );
      throw new VigilError("unauthorized", reason, 401);
    }
    const needed = permissionFor(c.req.method, c.req.path);
    if (!allows(role, needed)) {
      throw new VigilError("forbidden", `the ${role} role cannot ${needed} here`, 403);
    }
    await next();
  };
}

/**
 * The client's address as the server saw the connection (Deno.serve passes it as the app's env);
 * `"unknown"` when there is none (`app.request()` in tests without one). Forwarded headers are
 * ignored: anyone can write them.
 */
function clientAddress(c: Context): string {
  const env: unknown = c.env;
  if (typeof env !== "object" || env === null || !("remoteAddr" in env)) return "unknown";
  const remote: unknown = env.remoteAddr;
  if (typeof remote !== "object" || remote === null || !("hostname" in remote)) return "unknown";
  return typeof remote.hostname === "string" ? remote.hostname : "unknown";
}
