/**
 * The relay as one unit: Vigil's RTSP server, with its authorizer, and the stream hub that feeds
 * it. The server asks the hub for paths a reader demands; the hub publishes to the server. Both
 * main.ts (through actors/system.ts) and the benchmarks start it this way.
 * Why our own relay: docs/decisions/own-rtsp-relay.md.
 *
 * @module
 */
import type postgres from "postgres";
import { startRtspServer } from "./rtsp_server.ts";
import type { RtspLimits, RtspServer } from "./rtsp_server_types.ts";
import { Hub } from "./hub.ts";
import { relayAuthorizer } from "./rtsp_auth.ts";
import { internalCredentials, openRelayKeys, type RelayKeys } from "../../models/relay_keys.ts";
import type { ExtraScheme } from "../../models/media/rtsp_url.ts";
import { AuthLimiter } from "../../models/auth_limiter.ts";

/** What {@linkcode startRelay} needs. */
export interface RelayOptions {
  /** Database holding the API tokens readers authenticate with. */
  sql: postgres.Sql;
  /** Data dir holding the relay key. */
  dataDir: string;
  /** `VIGIL_AUTH`. Default true. */
  auth?: boolean;
  /** Listen address. Default 127.0.0.1. */
  hostname?: string;
  /** RTSP port; 0 picks a free one. Default 0. */
  port?: number;
  /** Server bounds. */
  limits?: Partial<RtspLimits>;
  /** How long a puller outlives its last reader, ms (default the hub's 10 s). */
  idleTimeoutMs?: number;
  /** Source schemes the hub may pull besides RTSP. */
  allowSchemes?: readonly ExtraScheme[];
  /** Failed authentications per host (default: a new one; the API shares the relay's). */
  limiter?: AuthLimiter;
}

/** A running relay. */
export interface Relay {
  server: RtspServer;
  hub: Hub;
  keys: RelayKeys;
  /** Failed authentications per host, shared by the relay and the API (SECURITY.md). */
  limiter: AuthLimiter;
  /** Stops the pullers (awaiting their ffmpegs), then the server. */
  stop(): Promise<void>;
}

/**
 * Starts the RTSP server and the hub.
 *
 * @param options database, data dir, address, bounds
 * @returns the relay
 * @example
 * ```ts
 * const relay = await startRelay({ sql: db.sql, dataDir, port: 8554, hostname: "0.0.0.0" });
 * await relay.stop();
 * ```
 */
export async function startRelay(options: RelayOptions): Promise<Relay> {
  const keys = await openRelayKeys(options.dataDir);
  const ref: { hub?: Hub } = {};
  const limiter = options.limiter ?? new AuthLimiter();
  const server = await startRtspServer({
    hostname: options.hostname ?? "127.0.0.1",
    port: options.port ?? 0,
    authorize: relayAuthorizer({
      sql: options.sql,
      keys,
      auth: options.auth ?? true,
      limiter,
    }),
    demand: (path) => ref.hub?.demand(path),
    publishOwner: (path) => ref.hub?.publishOwner(path),
    // Live sessions switch quality under their readers; the new size comes in band.
    switchable: (path) => path.startsWith("/live/"),
    limits: options.limits,
  });
  const hub = ref.hub = new Hub({
    server,
    credentials: (action, path) => internalCredentials(keys, action, path),
    idleTimeoutMs: options.idleTimeoutMs,
    allowSchemes: options.allowSchemes,
  });
  return {
    server,
    hub,
    keys,
    limiter,
    async stop() {
      await hub.stop();
      await server.close();
    },
  };
}
