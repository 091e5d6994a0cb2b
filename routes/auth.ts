/**
 * Authentication and authorization middleware: the permission a request needs comes from its
 * method and path in one place (`permissionFor`, routes/shared/access.ts), so a new route cannot
 * forget it; camera-limited tokens are held to their cameras (404 for another) and refused (403)
 * on paths not known to filter (`scopeOfPath`, same file); failed authentication is rate-limited
 * per address (models/auth_limiter.ts) and logged without the token. Why: SECURITY.md.
 *
 * @module
 */
import type { MiddlewareHandler } from "hono";
import type { Database } from "../models/store/database.ts";
import { allows, tokenMaySee, UNLIMITED, verifyToken } from "../models/auth.ts";
import { AuthLimiter } from "../models/auth_limiter.ts";
import { NotFoundError, VigilError } from "../models/errors.ts";
import { clientAddress, permissionFor, scopeOfPath } from "./shared/access.ts";
import { createLogger } from "../models/log.ts";

const log = createLogger("auth");

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
    if (!enabled) {
      c.set("token", UNLIMITED);
      return await next();
    }
    const client = clientAddress(c);
    const waitMs = limiter.blockedFor(client);
    if (waitMs > 0) {
      c.header("Retry-After", String(Math.ceil(waitMs / 1000)));
      throw new VigilError(
        "too_many_requests",
        "too many failed authentications from this address; retry later",
      );
    }
    const header = c.req.header("authorization") ?? "";
    const presented = /^Bearer\s+(\S+)$/i.exec(header)?.[1];
    const token = presented ? await verifyToken(db.sql, presented) : undefined;
    if (!token) {
      const reason = presented ? "the token is not valid" : "a bearer token is required";
      // The id is the public half of `vgl_<id>_<secret>`: enough to tell a revoked token in use.
      const id = presented ? /^vgl_([a-z0-9]{12})_/.exec(presented)?.[1] : undefined;
      // Only a presented-but-wrong token counts: a request with none (an EventSource's first try,
      // a misconfigured client behind the same NAT) guesses nothing and must not lock out the
      // address's valid tokens.
      const blocked = header !== "" ? limiter.fail(client) : false;
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
      throw new VigilError("unauthorized", reason);
    }
    const needed = permissionFor(c.req.method, c.req.path);
    if (!allows(token.role, needed)) {
      throw new VigilError("forbidden", `the ${token.role} role cannot ${needed} here`);
    }
    if (token.cameras !== null) {
      const scope = scopeOfPath(c.req.path);
      if (scope.kind === "closed") {
        throw new VigilError("forbidden", "this token is limited to some cameras");
      }
      // Another camera answers as a missing one: the token does not learn that it exists.
      if (scope.kind === "camera" && !tokenMaySee(token, scope.camera)) {
        throw new NotFoundError(`camera ${scope.camera}`);
      }
    }
    c.set("token", token);
    await next();
  };
}
