/**
 * Who may do what, for the auth middleware (routes/auth.ts), the API document (routes/openapi.ts)
 * and every route that filters by the request's token: the permission a request needs, how a path
 * relates to cameras for a token limited to some, and the request's token.
 *
 * @module
 */
import type { Context } from "hono";
import { type Permission, type TokenInfo, tokenMaySee, UNLIMITED } from "../../models/auth.ts";

declare module "hono" {
  interface ContextVariableMap {
    /** The token of the request (an unlimited admin when authentication is off). */
    token: TokenInfo;
  }
}

/**
 * The permission a request needs: live viewing and dispatch have their own; other reads need
 * `read`; anything that changes state needs `write`.
 *
 * @param method HTTP method
 * @param path request path
 * @returns the permission
 */
export function permissionFor(method: string, path: string): Permission {
  if (path === "/metrics") return "metrics";
  if (path === "/api/me") return "self";
  if (path.startsWith("/api/dispatch")) return "dispatch";
  // Who may call the API is an admin's business, even just to read.
  if (path.startsWith("/api/tokens")) return "write";
  // The live event feed is live viewing: dashboards and the media server follow it.
  // Live media served by the box (HLS, MJPEG) is live viewing too (see routes/live_media.ts).
  if (path.startsWith("/api/live") || path.startsWith("/live/") || path === "/api/events/stream") {
    return "live";
  }
  // Recordings are watched by viewers and fetched by the media server: reading them is playback.
  if ((method === "GET" || method === "HEAD") && isPlayback(path)) return "playback";
  // A signed relay URL is live viewing too: the media server asks for it.
  if (method === "GET" && /^\/api\/cameras\/[^/]+\/relay$/.test(path)) return "live";
  return method === "GET" || method === "HEAD" ? "read" : "write";
}

/** The timeline of a camera's recordings, and clips (their jobs, files and checks). */
function isPlayback(path: string): boolean {
  return /^\/api\/cameras\/[^/]+\/recordings\/?$/.test(path) || path === "/api/records" ||
    path.startsWith("/api/records/");
}

/**
 * The token of a request, as the middleware set it. A sub-app mounted without the middleware (a
 * test of one resource) answers as with authentication off: it is open anyway.
 *
 * @param c the request's context
 * @returns the token's info
 */
export function requestToken(c: Context): TokenInfo {
  const token: TokenInfo | undefined = c.get("token");
  return token ?? UNLIMITED;
}

/** How a path relates to cameras, for a token limited to some (see {@linkcode scopeOfPath}). */
export type PathScope =
  | { kind: "camera"; camera: string }
  | { kind: "filtered" }
  | { kind: "closed" };

const CAMERA_PATH = /^\/api\/(?:cameras|dispatch)\/([^/]+)(\/.*)?$/;
/** Paths whose handlers filter what they answer by the request's token. */
const FILTERED_PATHS = [
  // It answers with the token itself.
  /^\/api\/me$/,
  /^\/api\/cameras\/?$/,
  /^\/api\/events\/?$/,
  /^\/api\/events\/stream$/,
  /^\/api\/events\/[^/]+(\/snapshot\.jpg)?$/,
  /^\/api\/detections\/?$/,
  /^\/api\/detections\/counts$/,
  // Live sessions and their media answer 404 for a session of a camera the token may not see.
  /^\/api\/live(\/[^/]+)?\/?$/,
  /^\/live\/[^/]+\/[^/]+$/,
];

/**
 * What a path means to a token limited to cameras: it names one camera (checked here), or its
 * handler filters by the token, or it is closed to such tokens (everything else: discovery,
 * tokens, and any route not yet taught to filter).
 *
 * @param path request path
 * @returns the path's scope
 * @example
 * ```ts
 * scopeOfPath("/api/cameras/0192.../snapshot.jpg"); // { kind: "camera", camera: "0192..." }
 * scopeOfPath("/api/discovery"); // { kind: "closed" }
 * ```
 */
export function scopeOfPath(path: string): PathScope {
  const camera = CAMERA_PATH.exec(path)?.[1];
  if (camera !== undefined) return { kind: "camera", camera: safeDecode(camera) };
  return FILTERED_PATHS.some((pattern) => pattern.test(path))
    ? { kind: "filtered" }
    : { kind: "closed" };
}

function safeDecode(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    return segment;
  }
}

/**
 * Whether a token may see, switch or end a session: its owner may (while the camera stays in its
 * scope), and an admin may.
 *
 * @param token the request's token
 * @param info the session
 * @returns true when allowed
 */
export function mayUseSession(
  token: Pick<TokenInfo, "id" | "role" | "cameras">,
  info: { owner: string | null; camera: string },
): boolean {
  if (token.role === "admin") return true;
  return (info.owner ?? "") === token.id && tokenMaySee(token, info.camera);
}

/**
 * The client's address as the server saw the connection (Deno.serve passes it as the app's env);
 * `"unknown"` when there is none (`app.request()` in tests without one). Forwarded headers are
 * ignored: anyone can write them.
 *
 * @param c the request's context
 * @returns the address the limiter counts failures of
 */
export function clientAddress(c: Context): string {
  const env: unknown = c.env;
  if (typeof env !== "object" || env === null || !("remoteAddr" in env)) return "unknown";
  const remote: unknown = env.remoteAddr;
  if (typeof remote !== "object" || remote === null || !("hostname" in remote)) return "unknown";
  return typeof remote.hostname === "string" ? remote.hostname : "unknown";
}
