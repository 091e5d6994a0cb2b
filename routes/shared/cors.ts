/**
 * The CORS middleware (rules in models/net/cors.ts): a preflight from a listed origin is answered
 * here, before authentication (a browser sends it without the token); other requests from a
 * listed origin get `Access-Control-Allow-Origin` on whatever they are answered, errors included,
 * so the dashboard can read a 401. A request from any other origin is left exactly as it was.
 *
 * @module
 */
import type { MiddlewareHandler } from "hono";
import { corsHeaders } from "../../models/net/cors.ts";

/**
 * @param origins the listed origins (`VIGIL_CORS_ORIGINS`)
 * @returns the middleware
 */
export function cors(origins: readonly string[]): MiddlewareHandler {
  return async (c, next) => {
    const origin = c.req.header("origin");
    const preflight = c.req.method === "OPTIONS" &&
      c.req.header("access-control-request-method") !== undefined;
    const headers = corsHeaders(origins, origin, preflight);
    if (!headers) return await next();
    if (preflight) return c.body(null, 204, headers);
    await next();
    // Set on the final reply, so errors (a 401 the dashboard must read) carry them too.
    for (const [name, value] of Object.entries(headers)) c.res.headers.set(name, value);
  };
}
