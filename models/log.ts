/**
 * Structured logging: one JSON line per event on stderr, so a supervisor (systemd, docker) can ship
 * and parse them. Secrets never reach a line: values under keys that look like secrets are
 * replaced, and URLs have their userinfo password removed.
 *
 * @module
 */

/** Log levels in increasing severity. */
export const LOG_LEVELS = ["debug", "info", "warn", "error"] as const;
/** One of {@linkcode LOG_LEVELS}. */
export type LogLevel = typeof LOG_LEVELS[number];

/** Fields attached to a log line. */
export type LogFields = Record<string, unknown>;

/** A logger bound to a component name. */
export interface Logger {
  debug(msg: string, fields?: LogFields): void;
  info(msg: string, fields?: LogFields): void;
  warn(msg: string, fields?: LogFields): void;
  error(msg: string, fields?: LogFields): void;
  /** A logger whose lines also carry `fields` (e.g. `{camera: id}`). */
  child(fields: LogFields): Logger;
}

const SECRET_KEY = /pass(word)?|secret|token|authorization|credential/i;

/**
 * Removes secrets from a value before it is logged: keys that look like secrets are masked and any
 * `scheme://user:password@host` has its password replaced.
 *
 * @param value anything
 * @returns a JSON-safe copy without secrets
 * @example
 * ```ts
 * redact({ url: "rtsp://admin:hunter2@cam/1" }); // { url: "rtsp://admin:***@cam/1" }
 * ```
 */
export function redact(value: unknown, depth = 0): unknown {
  // Greedy up to the authority's last `@`, where URL parsers (and ffmpeg) end the user info:
  // a password may itself contain `@`; the authority ends at `/`, `?` or `#` (an `@` in a
  // fragment is not the user info's end: found by the parser fuzzer).
  if (typeof value === "string") {
    return value.replace(/(\/\/[^/@:\s]*:)[^/?#\s]*@/g, "$1***@");
  }
  if (value instanceof Error) return { name: value.name, message: redact(value.message) };
  if (value === null || typeof value !== "object" || depth > 5) return value;
  if (Array.isArray(value)) return value.map((v) => redact(v, depth + 1));
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) {
    out[k] = SECRET_KEY.test(k) && v !== undefined && v !== null ? "***" : redact(v, depth + 1);
  }
  return out;
}

let threshold: LogLevel = "info";
let sink: (line: string) => void = (line) => console.error(line);

/**
 * Sets the minimum level written and, for tests, where lines go.
 *
 * @param level minimum level
 * @param write receives each formatted line (defaults to stderr)
 */
export function configureLogging(level: LogLevel, write?: (line: string) => void): void {
  threshold = level;
  if (write) sink = write;
}

/**
 * Creates a logger for a component.
 *
 * @param component short name such as `"http"`, `"camera"`, `"db"`
 * @param base fields added to every line
 * @returns a {@linkcode Logger}
 */
export function createLogger(component: string, base: LogFields = {}): Logger {
  const emit = (level: LogLevel, msg: string, fields?: LogFields) => {
    if (LOG_LEVELS.indexOf(level) < LOG_LEVELS.indexOf(threshold)) return;
    const line = { ts: new Date().toISOString(), level, component, msg, ...base, ...fields };
    sink(JSON.stringify(redact(line)));
  };
  return {
    debug: (msg, fields) => emit("debug", msg, fields),
    info: (msg, fields) => emit("info", msg, fields),
    warn: (msg, fields) => emit("warn", msg, fields),
    error: (msg, fields) => emit("error", msg, fields),
    child: (fields) => createLogger(component, { ...base, ...fields }),
  };
}
