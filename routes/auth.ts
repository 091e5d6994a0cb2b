/**
 * Authentication and authorization middleware. Which permission a request needs is decided in
 * one place, from its method and path, so a new route cannot forget to declare it.
 *
 * @module
 */
import type { MiddlewareHandler } from "hono";
import type { Database } from "../models/store/database.ts";
import { allows, type Permission, verifyToken } from "../models/auth.ts";
import { VigilError } from "../models/errors.ts";

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
  // Live media served by the box (HLS, MJPEG) is live viewing too (see routes/live_media.ts).
  if (path.startsWith("/api/live") || path.startsWith("/live/") || path === "/api/events/stream") {
    return "live";
  }
  // A signed relay URL is live viewing too: the media server asks for it.
  if (method === "GET" && /^\/api\/cameras\/[^/]+\/relay$/.test(path)) return "live";
  return method === "GET" || method === "HEAD" ? "read" : "write";
}

/**
 * Checks the bearer token (unless auth is off) and the role's permission.
 *
 * @param db database holding the tokens
 * @param enabled false when `VIGIL_AUTH=off`
 * @returns the middleware
 */
export function authenticate(db: Database, enabled: boolean): MiddlewareHandler {
  return async (c, next) => {
    if (!enabled) return await next();
    const header = c.req.header("authorization") ?? "";
    const match = /^Bearer\s+(\S+)$/i.exec(header);
    if (!match?.[1]) {
      c.header("WWW-Authenticate", 'Bearer realm="vigil"');
      throw new VigilError("unauthorized", "a bearer token is required", 401);
    }
    const role = await verifyToken(db.sql, match[1]);
    if (!role) {
      c.header("WWW-Authenticate", 'Bearer realm="vigil", error="invalid_token"');
      throw new VigilError("unauthorized", "the token is not valid", 401);
    }
    const needed = permissionFor(c.req.method, c.req.path);
    if (!allows(role, needed)) {
      throw new VigilError("forbidden", `the ${role} role cannot ${needed} here`, 403);
    }
    await next();
  };
}
