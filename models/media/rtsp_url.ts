/**
 * Checks camera source URLs before they get anywhere near ffmpeg, and moves credentials in and
 * out of them: the database keeps the URL without its password and the password encrypted
 * apart, and logs only ever see the redacted form.
 *
 * @module
 */

import { ValidationError } from "../errors.ts";

/** Schemes a camera source may use without asking. */
export const RTSP_SCHEMES = ["rtsp", "rtsps"] as const;
/** Extra schemes a caller may allow explicitly (MJPEG/HLS cameras). Never `file`. */
export type ExtraScheme = "http" | "https";

/** Options for {@linkcode validateSourceUrl}. */
export interface SourceUrlOptions {
  /** Schemes accepted besides rtsp/rtsps. Default: none. */
  allowSchemes?: readonly ExtraScheme[];
  /** Field name used in error messages and `ValidationError.field`. Default `"sourceUrl"`. */
  field?: string;
}

/** Longest URL accepted; real camera URLs are far shorter, and this bounds what reaches argv. */
export const MAX_URL_LENGTH = 2048;

// deno-lint-ignore no-control-regex -- matching control characters is the point
const UNSAFE_CHARS = /[\s\u0000-\u001f\u007f]/;

/**
 * Validates a camera source URL: rtsp:// or rtsps:// (http/https only when allowed), with a host,
 * no whitespace or control characters, and nothing ffmpeg could read as an option or a local file.
 *
 * @param raw the URL as given by the user (may carry `user:password@`)
 * @param options extra allowed schemes and the field name for messages
 * @returns the parsed URL
 * @throws {ValidationError} naming what is wrong
 * @example
 * ```ts
 * validateSourceUrl("rtsp://admin:pw@192.168.1.20:554/stream1").hostname; // "192.168.1.20"
 * validateSourceUrl("file:///etc/passwd"); // throws ValidationError
 * ```
 */
export function validateSourceUrl(raw: unknown, options: SourceUrlOptions = {}): URL {
  const field = options.field ?? "sourceUrl";
  const fail = (why: string): never => {
    throw new ValidationError(`Invalid '${field}': ${why}`, field);
  };
  if (typeof raw !== "string") return fail(`must be a string, got ${typeof raw}`);
  if (raw.length === 0) return fail("must not be empty");
  if (raw.length > MAX_URL_LENGTH) return fail(`must be at most ${MAX_URL_LENGTH} characters`);
  if (raw.startsWith("-")) {
    return fail("must not start with '-' (ffmpeg would read it as an option)");
  }
  if (UNSAFE_CHARS.test(raw)) return fail("must not contain whitespace or control characters");
  const allowed: string[] = [...RTSP_SCHEMES, ...(options.allowSchemes ?? [])];
  const scheme = /^([a-z][a-z0-9+.-]*):/i.exec(raw)?.[1]?.toLowerCase();
  if (scheme === undefined) return fail(`must be a URL starting with ${listSchemes(allowed)}`);
  if (!allowed.includes(scheme)) {
    return fail(`scheme '${scheme}:' is not allowed; use ${listSchemes(allowed)}`);
  }
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return fail("is not a parsable URL");
  }
  if (url.hostname === "") return fail("must name a host");
  return url;
}

/** A URL with its credentials split out. */
export interface SplitUrl {
  /** The URL without `user:password@`. */
  url: string;
  /** Decoded user name, or `null` when there was none. */
  username: string | null;
  /** Decoded password, or `null` when there was none. */
  password: string | null;
}

/**
 * Splits the credentials out of a source URL, so the password can be stored encrypted apart.
 *
 * @param raw a valid source URL (validate first)
 * @param field the field named in errors
 * @returns the bare URL and the decoded user name and password
 * @throws {ValidationError} when the credentials hold a broken percent escape or a control
 *   character, or a password comes without a user name
 * @example
 * ```ts
 * splitCredentials("rtsp://admin:p%40ss@cam:554/s");
 * // { url: "rtsp://cam:554/s", username: "admin", password: "p@ss" }
 * ```
 */
export function splitCredentials(raw: string, field = "sourceUrl"): SplitUrl {
  const url = new URL(raw);
  const decode = (part: string) => {
    if (part === "") return null;
    try {
      return decodeURIComponent(part);
    } catch {
      throw new ValidationError(
        `Invalid '${field}': the credentials hold a broken % escape`,
        field,
      );
    }
  };
  const username = decode(url.username);
  const password = decode(url.password);
  // RTSP authentication sends a user name with the password: without one, the password would be
  // stored but never used (found by the parser fuzzer: the credentials did not round-trip).
  if (password !== null && username === null) {
    throw new ValidationError(`Invalid '${field}': a password needs a user name`, field);
  }
  // A NUL cannot be stored as text (found by the route fuzzer: 500), and no camera's user name
  // or password holds a control character.
  // deno-lint-ignore no-control-regex -- refusing control characters is the point
  if (/[\x00-\x1f\x7f]/.test(`${username ?? ""}${password ?? ""}`)) {
    throw new ValidationError(
      `Invalid '${field}': the credentials hold a control character`,
      field,
    );
  }
  url.username = "";
  url.password = "";
  return { url: url.href, username, password };
}

/**
 * Puts credentials back into a bare source URL (percent-encoding them), e.g. before handing it to
 * ffmpeg. Credentials already in the URL are replaced; `null`/empty leaves that part out.
 *
 * @param raw the bare URL
 * @param credentials user name and password (plain text)
 * @returns the URL with `user:password@`
 * @example
 * ```ts
 * withCredentials("rtsp://cam/s", { username: "admin", password: "p@ss" });
 * // "rtsp://admin:p%40ss@cam/s"
 * ```
 */
export function withCredentials(
  raw: string,
  credentials: { username?: string | null; password?: string | null },
): string {
  const url = new URL(raw);
  url.username = credentials.username ? encodeURIComponent(credentials.username) : "";
  url.password = credentials.username && credentials.password
    ? encodeURIComponent(credentials.password)
    : "";
  return url.href;
}

function listSchemes(schemes: readonly string[]): string {
  return schemes.map((s) => `${s}://`).join(" or ");
}
