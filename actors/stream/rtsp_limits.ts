/**
 * Connection bounds of Vigil's RTSP server: the per-address and total connection caps (evicting
 * the oldest unauthorised connection for a newcomer), and the periodic re-check of grants that may
 * lapse.
 *
 * @module
 */

import type { RtspConn } from "./rtsp_conn.ts";
import type { ConnState, RtspLimits } from "./rtsp_server_types.ts";
import type { Logger } from "../../models/log.ts";

/**
 * Whether a new connection from `host` may stay; closes it (or evicts an older unauthorised one
 * to make room) as the limits say.
 *
 * @returns false when `conn` was refused and closed
 */
export function admit(
  connections: Set<ConnState>,
  limits: RtspLimits,
  log: Logger,
  conn: RtspConn,
  host: string,
): boolean {
  if (!isLoopback(host)) {
    let fromHost = 0;
    for (const other of connections) if (other.host === host) fromHost++;
    if (fromHost >= limits.maxConnectionsPerAddress) {
      log.warn("connection refused: too many connections from this address", { host });
      conn.close("server");
      return false;
    }
  }
  if (connections.size >= limits.maxConnections) {
    // Sets iterate in insertion order: the first unauthorised one is the oldest.
    let victim: ConnState | undefined;
    for (const other of connections) {
      if (other.authorized.size === 0) {
        victim = other;
        break;
      }
    }
    if (!victim) {
      log.warn("connection refused: too many connections", { remote: conn.remote });
      conn.close("server");
      return false;
    }
    log.warn("connection evicted for a newcomer: full and not authorised", {
      remote: victim.conn.remote,
    });
    connections.delete(victim);
    victim.conn.close("server");
  }
  return true;
}

/**
 * Re-checks, every `limits.revalidateMs`, the grants that may lapse (a revoked token); a lapsed one
 * closes its connection.
 *
 * @returns the interval, for clearInterval
 */
export function startRevalidation(
  connections: Set<ConnState>,
  limits: RtspLimits,
  log: Logger,
): ReturnType<typeof setInterval> {
  let revalidating = false;
  return setInterval(async () => {
    if (revalidating) return;
    revalidating = true;
    try {
      for (const state of [...connections]) {
        for (const check of [...state.checks.values()]) {
          const ok = await check().catch((error) => {
            log.warn("grant re-check failed; closing", { error });
            return false;
          });
          if (!ok) {
            log.info("connection closed: its grant was revoked", { remote: state.conn.remote });
            state.conn.close("server");
            break;
          }
        }
      }
    } finally {
      revalidating = false;
    }
  }, limits.revalidateMs);
}

/** Whether a host is a loopback address (where Vigil's own consumers connect from). */
export function isLoopback(host: string): boolean {
  return host === "::1" || host.startsWith("127.") || host.startsWith("::ffff:127.");
}
