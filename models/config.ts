/**
 * Configuration from environment variables, validated once at start. A bad value is reported with
 * the variable's name and the server exits with code 2 (see main.ts).
 *
 * @module
 */
import { LOG_LEVELS, type LogLevel } from "./log.ts";
import { ValidationError } from "./errors.ts";

/** Everything configurable, after validation. */
export interface Config {
  /** `VIGIL_PORT` (default 8080; 0 picks a free port). */
  port: number;
  /** `VIGIL_HOST` (default 0.0.0.0). */
  host: string;
  /** `VIGIL_DATA_DIR` (default ./data): embedded database, secrets, recordings, spill files. */
  dataDir: string;
  /** `DATABASE_URL`: a real PostgreSQL; absent → the embedded database in the data dir. */
  databaseUrl: string | undefined;
  /** `VIGIL_AUTH` on/off (default on). */
  auth: boolean;
  /** `VIGIL_LOG` debug/info/warn/error (default info). */
  logLevel: LogLevel;
}

type Env = Record<string, string | undefined>;

/**
 * Reads and validates the configuration.
 *
 * @param env the environment (defaults to `Deno.env.toObject()`)
 * @returns the validated configuration
 * @throws {ValidationError} naming the variable and its bad value
 * @example
 * ```ts
 * loadConfig({ VIGIL_PORT: "9000" }).port; // 9000
 * ```
 */
export function loadConfig(env: Env = Deno.env.toObject()): Config {
  return {
    port: readPort(env, "VIGIL_PORT", 8080),
    host: readHost(env, "VIGIL_HOST", "0.0.0.0"),
    dataDir: readNonEmpty(env, "VIGIL_DATA_DIR", "./data"),
    databaseUrl: readDatabaseUrl(env),
    auth: readChoice(env, "VIGIL_AUTH", ["on", "off"], "on") === "on",
    logLevel: readChoice(env, "VIGIL_LOG", LOG_LEVELS, "info"),
  };
}

function invalid(name: string, value: string, expected: string): ValidationError {
  return new ValidationError(
    `config: ${name} must be ${expected}: current value is ${JSON.stringify(value)}`,
    name,
  );
}

function readPort(env: Env, name: string, fallback: number): number {
  const raw = env[name];
  if (raw === undefined || raw === "") return fallback;
  const port = Number(raw);
  if (!/^\d+$/.test(raw) || port > 65535) throw invalid(name, raw, "an integer from 0 to 65535");
  return port;
}

function readHost(env: Env, name: string, fallback: string): string {
  const raw = env[name];
  if (raw === undefined || raw === "") return fallback;
  if (!/^[A-Za-z0-9.:-]+$/.test(raw)) throw invalid(name, raw, "a host name or IP address");
  return raw;
}

function readNonEmpty(env: Env, name: string, fallback: string): string {
  const raw = env[name];
  if (raw === undefined) return fallback;
  if (raw.trim() === "" || raw.includes("\0")) throw invalid(name, raw, "a directory path");
  return raw;
}

function readDatabaseUrl(env: Env): string | undefined {
  const raw = env.DATABASE_URL;
  if (raw === undefined || raw === "") return undefined;
  let url: URL | undefined;
  try {
    url = new URL(raw);
  } catch {
    url = undefined;
  }
  if (!url || !["postgres:", "postgresql:"].includes(url.protocol)) {
    // Never echo the URL: it may hold a password.
    throw new ValidationError(
      "config: DATABASE_URL must be a postgres:// or postgresql:// URL",
      "DATABASE_URL",
    );
  }
  return raw;
}

function readChoice<T extends string>(
  env: Env,
  name: string,
  choices: readonly T[],
  fallback: T,
): T {
  const raw = env[name];
  if (raw === undefined || raw === "") return fallback;
  const found = choices.find((choice) => choice === raw.toLowerCase());
  if (!found) throw invalid(name, raw, `one of ${choices.join(", ")}`);
  return found;
}
