/**
 * Configuration from environment variables, validated once at start. A bad value is reported with
 * the variable's name and the server exits with code 2 (see main.ts).
 *
 * @module
 */
import { LOG_LEVELS, type LogLevel } from "./log.ts";
import { ValidationError } from "./errors.ts";
import { type MinFree, parseMinFree, parseSize } from "./recording/disk_guard.ts";
import { SEGMENT_SECONDS } from "./media/segment_args.ts";
import { parseCorsOrigins } from "./net/cors.ts";
import { type MqttSettings, mqttSettingsFromEnv } from "./mqtt/mqtt_settings.ts";
import { parsePushAllow, type PushAllowEntry } from "./net/push_target.ts";

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
  /** `VIGIL_MODELS_DIR` (default: the checkout's assets/models): detection models (see detectors/catalog.ts). */
  modelsDir: string;
  /** `VIGIL_AUTH` on/off (default on). */
  auth: boolean;
  /** `VIGIL_LOG` debug/info/warn/error (default info). */
  logLevel: LogLevel;
  /** `VIGIL_DISCOVERY_INTERVAL_S`: seconds between automatic WS-Discovery scans (default 0: off). */
  discoveryIntervalS: number;
  /** `VIGIL_DETECTION_RETENTION_DAYS` (default 7): per-frame detections are kept this long. */
  detectionRetentionDays: number;
  /** `VIGIL_EVENT_RETENTION_DAYS` (default 30): events are kept this long. */
  eventRetentionDays: number;
  /** `VIGIL_SEGMENT_SECONDS` (default 10): target length of recorded segments. */
  segmentSeconds: number;
  /** `VIGIL_RECORDINGS_MIN_FREE` (default 5%): free space the disk guard keeps. */
  recordingsMinFree: MinFree;
  /** `VIGIL_RECORDINGS_MAX_SIZE` (default none): most bytes recordings may use. */
  recordingsMaxSize: number | undefined;
  /** `VIGIL_COMPILE_CONCURRENCY` (default 1): compileRecord jobs at once. */
  compileConcurrency: number;
  /** `VIGIL_RECORD_RETENTION_DAYS` (default 30): compiled clips are kept this long. */
  recordRetentionDays: number;
  /** `VIGIL_RTSP_PORT` (default 8554; 0 picks a free one): the relay's RTSP port. */
  rtspPort: number;
  /** `VIGIL_RTSP_HOST` (default: `VIGIL_HOST`): the address the relay listens on. */
  rtspHost: string;
  /** `VIGIL_HUB_IDLE_S` (default 10): a camera's puller stops this long after its last reader. */
  hubIdleS: number;
  /** `VIGIL_RTSP_MAX_READERS` (default 128): external relay readers in total. */
  rtspMaxReaders: number;
  /** `VIGIL_RTSP_MAX_READERS_PER_PATH` (default 32): external readers of one stream. */
  rtspMaxReadersPerPath: number;
  /**
   * `VIGIL_METRICS_ADDR` (`host:port`, default none): also serve `GET /metrics` there, without a
   * token. On the API port it always needs one.
   */
  metricsAddr: { hostname: string; port: number } | undefined;
  /** `VIGIL_PUBLIC_URL`: how clients reach this box (`http://box:8080`); absent → the request's. */
  publicUrl: string | undefined;
  /** `VIGIL_CORS_ORIGINS` (comma-separated, default none): origins a browser may call from. */
  corsOrigins: string[];
  /** `VIGIL_MQTT_URL` and friends (see models/mqtt/mqtt_settings.ts); undefined when off. */
  mqtt: MqttSettings | undefined;
  /** `VIGIL_BOX_CAPACITY` (default 16): cameras this box takes when several boxes share them. */
  boxCapacity: number;
  /** Live sessions: idle timeout and budgets (see actors/live/manager.ts). */
  live: {
    /** `VIGIL_LIVE_IDLE_S` (default 30): a session nobody reads for this long ends. */
    idleS: number;
    /** `VIGIL_LIVE_MAX_TRANSCODES` (default 2): encoding transcoders at most. */
    maxTranscodes: number;
    /** `VIGIL_LIVE_MAX_SESSIONS` (default 32): sessions at most. */
    maxSessions: number;
    /**
     * `VIGIL_LIVE_SESSIONS_PER_TOKEN` (default 8, at most `VIGIL_LIVE_MAX_SESSIONS`): sessions
     * one token may hold.
     */
    sessionsPerToken: number;
    /** `VIGIL_PUSH_ALLOW`: local `rtsp-push` targets allowed anyway (default none). */
    pushAllow: PushAllowEntry[];
  };
}

type Env = Record<string, string | undefined>;

/** Where the setup step puts the converted model: the checkout's `assets/models`, from any cwd. */
export const DEFAULT_MODELS_DIR = new URL("../assets/models", import.meta.url).pathname;

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
  const host = readHost(env, "VIGIL_HOST", "0.0.0.0");
  return {
    port: readInt(env, "VIGIL_PORT", 8080, 0, 65535),
    host,
    dataDir: readNonEmpty(env, "VIGIL_DATA_DIR", "./data"),
    databaseUrl: readDatabaseUrl(env),
    modelsDir: readNonEmpty(env, "VIGIL_MODELS_DIR", DEFAULT_MODELS_DIR),
    auth: readChoice(env, "VIGIL_AUTH", ["on", "off"], "on") === "on",
    logLevel: readChoice(env, "VIGIL_LOG", LOG_LEVELS, "info"),
    discoveryIntervalS: discoveryIntervalFromEnv(env),
    detectionRetentionDays: readInt(env, "VIGIL_DETECTION_RETENTION_DAYS", 7, 1, 3650),
    eventRetentionDays: readInt(env, "VIGIL_EVENT_RETENTION_DAYS", 30, 1, 3650),
    segmentSeconds: readInt(
      env,
      "VIGIL_SEGMENT_SECONDS",
      SEGMENT_SECONDS.default,
      SEGMENT_SECONDS.min,
      SEGMENT_SECONDS.max,
    ),
    recordingsMinFree: parseMinFree(env.VIGIL_RECORDINGS_MIN_FREE || "5%"),
    recordingsMaxSize: env.VIGIL_RECORDINGS_MAX_SIZE
      ? parseSize(env.VIGIL_RECORDINGS_MAX_SIZE, "VIGIL_RECORDINGS_MAX_SIZE")
      : undefined,
    compileConcurrency: readInt(env, "VIGIL_COMPILE_CONCURRENCY", 1, 1, 8),
    recordRetentionDays: readInt(env, "VIGIL_RECORD_RETENTION_DAYS", 30, 1, 3650),
    rtspPort: readInt(env, "VIGIL_RTSP_PORT", 8554, 0, 65535),
    rtspHost: readHost(env, "VIGIL_RTSP_HOST", host),
    hubIdleS: readInt(env, "VIGIL_HUB_IDLE_S", 10, 0, 3600),
    rtspMaxReaders: readInt(env, "VIGIL_RTSP_MAX_READERS", 128, 1, 10_000),
    rtspMaxReadersPerPath: readInt(env, "VIGIL_RTSP_MAX_READERS_PER_PATH", 32, 1, 10_000),
    metricsAddr: readAddress(env, "VIGIL_METRICS_ADDR"),
    publicUrl: readPublicUrl(env),
    boxCapacity: readInt(env, "VIGIL_BOX_CAPACITY", 16, 1, 1000),
    corsOrigins: parseCorsOrigins(env.VIGIL_CORS_ORIGINS),
    mqtt: mqttSettingsFromEnv(env),
    live: readLive(env),
  };
}

function readLive(env: Env): Config["live"] {
  const maxSessions = readInt(env, "VIGIL_LIVE_MAX_SESSIONS", 32, 1, 1000);
  return {
    idleS: readInt(env, "VIGIL_LIVE_IDLE_S", 30, 5, 3600),
    maxTranscodes: readInt(env, "VIGIL_LIVE_MAX_TRANSCODES", 2, 0, 64),
    maxSessions,
    // A per-token quota above the box's budget would be no quota: it is held to it.
    sessionsPerToken: readInt(
      env,
      "VIGIL_LIVE_SESSIONS_PER_TOKEN",
      Math.min(8, maxSessions),
      1,
      maxSessions,
    ),
    pushAllow: parsePushAllow(env.VIGIL_PUSH_ALLOW ?? ""),
  };
}

function readPublicUrl(env: Env): string | undefined {
  const raw = env.VIGIL_PUBLIC_URL;
  if (raw === undefined || raw === "") return undefined;
  const url = URL.canParse(raw) ? new URL(raw) : undefined;
  if (!url || !["http:", "https:"].includes(url.protocol) || url.pathname !== "/" || url.search) {
    throw invalid("VIGIL_PUBLIC_URL", raw, "an http(s) URL without a path, e.g. http://box:8080");
  }
  return url.origin;
}

/**
 * Reads `VIGIL_DISCOVERY_INTERVAL_S`: seconds between automatic scans, 0 or absent for never.
 *
 * @param env the environment
 * @returns seconds, 0 when off
 * @throws {ValidationError} unless a whole number from 0 to 86400 (and at least 10 when on, so a
 *   typo cannot flood the LAN with multicast)
 * @example
 * ```ts
 * discoveryIntervalFromEnv({ VIGIL_DISCOVERY_INTERVAL_S: "300" }); // 300
 * ```
 */
export function discoveryIntervalFromEnv(env: Env): number {
  const raw = env.VIGIL_DISCOVERY_INTERVAL_S;
  if (raw === undefined || raw === "") return 0;
  const seconds = Number(raw);
  if (!/^\d+$/.test(raw) || seconds > 86_400 || (seconds > 0 && seconds < 10)) {
    throw invalid("VIGIL_DISCOVERY_INTERVAL_S", raw, "0 (off) or a whole number from 10 to 86400");
  }
  return seconds;
}

function invalid(name: string, value: string, expected: string): ValidationError {
  return new ValidationError(
    `config: ${name} must be ${expected}: current value is ${JSON.stringify(value)}`,
    name,
  );
}

function readInt(env: Env, name: string, fallback: number, min: number, max: number): number {
  const raw = env[name];
  if (raw === undefined || raw === "") return fallback;
  const value = Number(raw);
  if (!/^\d+$/.test(raw) || value < min || value > max) {
    throw invalid(name, raw, `an integer from ${min} to ${max}`);
  }
  return value;
}

function readHost(env: Env, name: string, fallback: string): string {
  const raw = env[name];
  if (raw === undefined || raw === "") return fallback;
  if (!/^[A-Za-z0-9.:-]+$/.test(raw)) throw invalid(name, raw, "a host name or IP address");
  return raw;
}

function readAddress(env: Env, name: string): { hostname: string; port: number } | undefined {
  const raw = env[name];
  if (raw === undefined || raw === "") return undefined;
  // host:port, [v6]:port, or :port for every interface.
  const match = /^(?:\[([0-9A-Fa-f:.]+)\]|([A-Za-z0-9.-]*)):(\d{1,5})$/.exec(raw);
  const port = Number(match?.[3]);
  if (!match || port < 0 || port > 65535) {
    throw invalid(name, raw, "host:port (e.g. 127.0.0.1:9464, [::1]:9464 or :9464)");
  }
  return { hostname: match[1] ?? (match[2] || "0.0.0.0"), port };
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
