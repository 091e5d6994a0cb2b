/**
 * Cross-origin access (CORS) for the origins an operator lists in `VIGIL_CORS_ORIGINS`: a
 * dashboard on another origin may call the API and read `/live` media with its bearer token. Only
 * listed origins are ever echoed — never `*` — and no credentials mode is offered, since tokens
 * travel in the `Authorization` header, not cookies.
 *
 * @module
 */
import { ValidationError } from "../errors.ts";

/** Methods a listed origin may use. */
export const CORS_METHODS = "GET, HEAD, POST, PUT, PATCH, DELETE";
/** Request headers a listed origin may send (`Last-Event-ID`: the event feed resumes with it). */
export const CORS_HEADERS = "authorization, content-type, last-event-id";
/** Seconds a browser may cache a preflight answer. */
export const CORS_MAX_AGE_S = 600;

/**
 * Parses `VIGIL_CORS_ORIGINS`: comma-separated origins such as `https://ha.example:8123`.
 *
 * @param raw the variable's value (absent or empty: no origin)
 * @returns the origins, normalized (lower-case scheme and host, no default port)
 * @throws {ValidationError} for `*`, a path, or anything that is not an http(s) origin
 * @example
 * ```ts
 * parseCorsOrigins("https://ha.example:8123, http://dash.lan"); // two origins
 * ```
 */
export function parseCorsOrigins(raw: string | undefined): string[] {
  if (raw === undefined || raw.trim() === "") return [];
  return raw.split(",").map((part) => part.trim()).filter((part) => part !== "").map((part) => {
    const url = URL.canParse(part) ? new URL(part) : undefined;
    if (
      !url || !["http:", "https:"].includes(url.protocol) || part.includes("*") ||
      url.username !== "" || url.password !== "" || url.pathname !== "/" || url.search !== "" ||
      url.hash !== ""
    ) {
      throw new ValidationError(
        "config: VIGIL_CORS_ORIGINS must list http(s) origins without a path (never *): " +
          `current entry is ${JSON.stringify(part)}`,
        "VIGIL_CORS_ORIGINS",
      );
    }
    return url.origin;
  });
}

/**
 * The CORS headers a request gets: none unless its `Origin` is listed.
 *
 * @param origins the listed origins
 * @param origin the request's `Origin` header
 * @param preflight whether this is a preflight (`OPTIONS` with `Access-Control-Request-Method`)
 * @returns headers to set, or undefined for an origin not listed
 */
export function corsHeaders(
  origins: readonly string[],
  origin: string | undefined,
  preflight: boolean,
): Record<string, string> | undefined {
  if (origin === undefined || !origins.includes(origin)) return undefined;
  const headers: Record<string, string> = {
    "access-control-allow-origin": origin,
    vary: "Origin",
  };
  if (!preflight) return headers;
  return {
    ...headers,
    "access-control-allow-methods": CORS_METHODS,
    "access-control-allow-headers": CORS_HEADERS,
    "access-control-max-age": String(CORS_MAX_AGE_S),
  };
}
