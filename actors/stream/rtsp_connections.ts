/**
 * The connection and reader accounting of Vigil's RTSP server, in one place: the open connections
 * with their per-address and total caps (evicting the oldest unauthorised connection for a
 * newcomer), the external readers per path and in total, and the periodic re-check of grants that
 * may lapse.
 *
 * @module
 */

import type { ConnState, RtspLimits } from "./rtsp_server_types.ts";
import type { Logger } from "../../models/log.ts";
import { clientKey } from "../../models/auth_limiter.ts";
import { withTimeout } from "../../models/timeout.ts";

/**
 * A grant re-check that takes longer fails (and closes its connection): a hung query must not stop
 * every later re-check, as one still running makes the next call do nothing.
 */
export const RECHECK_TIMEOUT_MS = 10_000;

/** The bounds {@linkcode RtspConnections} enforces. */
export type ConnectionLimits = Pick<
  RtspLimits,
  "maxConnections" | "maxConnectionsPerAddress" | "maxReadersPerPath" | "maxReaders"
>;

/** The open connections of a server and the readers among them. */
export class RtspConnections {
  #open = new Set<ConnState>();
  #readersOnPath = new Map<string, number>();
  #readers = 0;
  #rechecking = false;
  readonly #limits: ConnectionLimits;
  readonly #log: Logger;
  readonly #recheckTimeoutMs: number;

  /**
   * @param limits the caps on connections and readers
   * @param log where refusals are logged
   * @param recheckTimeoutMs time limit of one grant re-check (default {@linkcode RECHECK_TIMEOUT_MS})
   */
  constructor(limits: ConnectionLimits, log: Logger, recheckTimeoutMs = RECHECK_TIMEOUT_MS) {
    this.#limits = limits;
    this.#log = log;
    this.#recheckTimeoutMs = recheckTimeoutMs;
  }

  /**
   * Takes a new connection in, or closes it (or evicts an older unauthorised one to make room) as
   * the limits say.
   *
   * @param state the new connection
   * @returns false when it was refused and closed
   */
  admit(state: ConnState): boolean {
    const { host, conn } = state;
    if (!isLoopback(host)) {
      // IPv6 by its /64, like the failed-auth limiter: one client holds a whole /64.
      const key = clientKey(host);
      let fromHost = 0;
      for (const other of this.#open) if (clientKey(other.host) === key) fromHost++;
      if (fromHost >= this.#limits.maxConnectionsPerAddress) {
        this.#log.warn("connection refused: too many connections from this address", { host });
        conn.close("server");
        return false;
      }
    }
    if (this.#open.size >= this.#limits.maxConnections) {
      // Sets iterate in insertion order: the first unauthorised one is the oldest.
      let victim: ConnState | undefined;
      for (const other of this.#open) {
        if (other.authorized.size === 0) {
          victim = other;
          break;
        }
      }
      if (!victim) {
        this.#log.warn("connection refused: too many connections", { remote: conn.remote });
        conn.close("server");
        return false;
      }
      this.#log.warn("connection evicted for a newcomer: full and not authorised", {
        remote: victim.conn.remote,
      });
      this.#open.delete(victim);
      victim.conn.close("server");
    }
    this.#open.add(state);
    return true;
  }

  /**
   * Forgets a closed connection.
   *
   * @param state the connection
   */
  remove(state: ConnState): void {
    this.#open.delete(state);
  }

  /**
   * Counts an external reader of `path`, unless the path or the server is full of them.
   *
   * @param path the path read
   * @returns false (and nothing counted) when a limit is reached
   */
  addReader(path: string): boolean {
    const onPath = this.#readersOnPath.get(path) ?? 0;
    if (onPath >= this.#limits.maxReadersPerPath || this.#readers >= this.#limits.maxReaders) {
      this.#log.warn("reader refused: limit reached", {
        path,
        onPath,
        totalReaders: this.#readers,
      });
      return false;
    }
    this.#readersOnPath.set(path, onPath + 1);
    this.#readers++;
    return true;
  }

  /**
   * Uncounts an external reader of `path` that {@linkcode RtspConnections.addReader} counted.
   *
   * @param path the path it read
   */
  removeReader(path: string): void {
    this.#readers--;
    const n = (this.#readersOnPath.get(path) ?? 1) - 1;
    if (n > 0) this.#readersOnPath.set(path, n);
    else this.#readersOnPath.delete(path);
  }

  /**
   * Closes the connections reading `path`, or that asked for it under an alias.
   *
   * @param path the path
   * @returns how many were closed
   */
  closeReaders(path: string): number {
    let closed = 0;
    for (const state of [...this.#open]) {
      const reading = state.session?.kind === "reader" && state.session.path === path;
      if (reading || state.aliases.has(path)) {
        state.conn.close("server");
        closed++;
      }
    }
    return closed;
  }

  /** Closes every connection. */
  closeAll(): void {
    for (const state of [...this.#open]) state.conn.close("server");
  }

  /**
   * Re-checks the grants that may lapse (a revoked token); a lapsed one closes its connection. A
   * call while the previous one still runs does nothing.
   */
  async recheckGrants(): Promise<void> {
    if (this.#rechecking) return;
    this.#rechecking = true;
    try {
      for (const state of [...this.#open]) {
        for (const check of [...state.checks.values()]) {
          const ok = await withTimeout(
            check(),
            this.#recheckTimeoutMs,
            () => new Error(`no answer within ${this.#recheckTimeoutMs} ms`),
          ).catch((error) => {
            this.#log.warn("grant re-check failed; closing", { error });
            return false;
          });
          if (!ok) {
            this.#log.info("connection closed: its grant was revoked", {
              remote: state.conn.remote,
            });
            state.conn.close("server");
            break;
          }
        }
      }
    } finally {
      this.#rechecking = false;
    }
  }
}

/** Whether a host is a loopback address (where Vigil's own consumers connect from). */
function isLoopback(host: string): boolean {
  return host === "::1" || host.startsWith("127.") || host.startsWith("::ffff:127.");
}
