/**
 * Who may do what on a connection of Vigil's RTSP server: each request but OPTIONS asks the
 * server's `authorize` hook, once per connection, action and path; a refusal answers 401 with the
 * configured challenges (or 403), and too many refusals close the connection.
 *
 * @module
 */

import { header, type HeaderList, type RtspRequest } from "../../models/rtsp/message.ts";
import { basicChallenge, digestChallenge, parseAuthorization } from "../../models/rtsp/auth.ts";
import type { Logger } from "../../models/log.ts";
import {
  type ConnState,
  MAX_AUTH_FAILURES,
  type RtspAuthDecision,
  type RtspServerOptions,
} from "./rtsp_server_types.ts";

/** What {@linkcode RtspAccess} is built with. */
export interface AccessOptions {
  /** The server's hook deciding every request. */
  authorize: NonNullable<RtspServerOptions["authorize"]>;
  /** Challenges offered on 401, in order. */
  methods: ("basic" | "digest")[];
  /** Realm of the challenges. */
  realm: string;
  /** Paths (per action) one connection may be authorised for; more get 453. */
  maxPathsPerConnection: number;
  /** An authorised connection that is not streaming is closed after this long idle. */
  sessionTimeoutMs: number;
  log: Logger;
}

/** The grants of a server's connections. */
export class RtspAccess {
  readonly #options: AccessOptions;

  /** @param options the hook, the challenges and the per-connection bound */
  constructor(options: AccessOptions) {
    this.#options = options;
  }

  /**
   * Whether a connection may do `action` on `path`. A grant is remembered for the connection (and
   * re-checked later when it may lapse); a refusal is answered here.
   *
   * @param state the connection
   * @param req the request (its credentials, and what the refusal answers)
   * @param action reading or publishing
   * @param path the path
   * @param query the request URI's query (a signed URL)
   * @returns true when granted; false when the request has been answered (401, 403, 453, 503)
   */
  async allows(
    state: ConnState,
    req: RtspRequest,
    action: "read" | "publish",
    path: string,
    query: Record<string, string>,
  ): Promise<boolean> {
    const { authorize, methods, realm, log } = this.#options;
    const key = `${action} ${path}`;
    if (state.authorized.has(key)) return true;
    let credentials = parseAuthorization(header(req.headers, "authorization"));
    if (
      credentials &&
      (!methods.includes(credentials.scheme) ||
        (credentials.scheme === "digest" &&
          (credentials.nonce !== state.nonce || credentials.realm !== realm)))
    ) {
      credentials = null;
    }
    let decision: RtspAuthDecision;
    try {
      decision = await authorize({
        action,
        path,
        query,
        credentials,
        method: req.method,
        remote: state.conn.remote,
        host: state.host,
      });
    } catch (error) {
      log.error("authorization failed", { path, error });
      state.conn.reply(req, 503);
      return false;
    }
    // Closed while the hook ran (its handshake deadline, an eviction): nothing more may happen.
    if (state.conn.closed) return false;
    if (decision.allowed) {
      if (state.authorized.size >= this.#options.maxPathsPerConnection) {
        state.conn.reply(req, 453);
        return false;
      }
      state.authorized.add(key);
      if (action === "publish") state.user = credentials?.username ?? null;
      if (decision.stillValid) state.checks.set(key, decision.stillValid);
      if (decision.internal) state.internal = true;
      // The first grant ends the handshake deadline, which could otherwise close the connection
      // in the middle of this very request (a SETUP waiting for a demanded path).
      if (!isStreaming(state)) state.conn.expireAfter(this.#options.sessionTimeoutMs);
      return true;
    }
    const status = decision.status ?? 401;
    const challenges: HeaderList = status === 401
      ? methods.map((m) => [
        "WWW-Authenticate",
        m === "digest" ? digestChallenge(realm, state.nonce) : basicChallenge(realm),
      ])
      : [];
    if (credentials) {
      log.info("rtsp authorization refused", { path, action, remote: state.conn.remote });
    }
    state.conn.reply(req, status, challenges);
    if (++state.failures >= MAX_AUTH_FAILURES) state.conn.close("protocol");
    return false;
  }
}

/**
 * Whether a connection is playing or recording (it then has no idle timeout).
 *
 * @param state the connection
 * @returns true while media flows
 */
export function isStreaming(state: ConnState): boolean {
  const session = state.session;
  return Boolean(session?.kind === "reader" ? session.reader : session?.stream);
}
