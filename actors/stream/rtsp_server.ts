/**
 * Vigil's own RTSP server: the relay every consumer of a camera reads from (RFC 2326, RTP over TCP
 * interleaved only). Local publishers (ffmpeg `-f rtsp -rtsp_transport tcp`) ANNOUNCE, SETUP and
 * RECORD a path; readers OPTIONS, DESCRIBE, SETUP, PLAY, keep alive with GET_PARAMETER (or
 * OPTIONS) and TEARDOWN. It forwards RTP packets and never decodes (see rtsp_stream.ts).
 *
 * - Paths are anything a publisher publishes (`/cam/<id>` from the hub, `/live/<session>` from
 *   live sessions). A `demand` hook lets the hub start a puller when a reader asks for a path
 *   nobody publishes yet, and keep it while that reader stays (MediaMTX's runOnDemand); a path
 *   neither published nor demandable is 404.
 * - Every request but OPTIONS is authorised through the `authorize` hook, once per connection,
 *   action and path; a failure answers 401 with the configured challenges (or 403).
 * - Bounds: connections, readers per path and in total (over → 453; internal consumers are not
 *   counted), message sizes (see models/rtsp/message.ts), a connection that sends no complete
 *   request in time, and each reader's outgoing queue. A malformed request is answered 400 and
 *   its connection closed; no connection can take the server or another reader down.
 *
 * @module
 */

import { RtspConn } from "./rtsp_conn.ts";
import type { Stream } from "./rtsp_stream.ts";
import { header, type HeaderList, type RtspRequest } from "../../models/rtsp/message.ts";
import { serializeResponse } from "../../models/rtsp/message.ts";
import { parseTarget } from "../../models/rtsp/url.ts";
import { basicChallenge, digestChallenge, parseAuthorization } from "../../models/rtsp/auth.ts";
import { createLogger } from "../../models/log.ts";
import {
  type ConnState,
  DEFAULT_LIMITS,
  MAX_AUTH_FAILURES,
  PUBLIC,
  type RtspAuthDecision,
  type RtspLimits,
  type RtspServer,
  type RtspServerOptions,
  type ServerCtx,
} from "./rtsp_server_types.ts";
import { readerHandlers } from "./rtsp_reader.ts";
import { publisherHandlers } from "./rtsp_publisher.ts";
import { admit, startRevalidation } from "./rtsp_limits.ts";

export type { StreamStats } from "./rtsp_stream.ts";
export { DEFAULT_LIMITS } from "./rtsp_server_types.ts";
export type {
  RtspAuthDecision,
  RtspAuthRequest,
  RtspDemand,
  RtspLimits,
  RtspServer,
  RtspServerOptions,
} from "./rtsp_server_types.ts";

/**
 * Starts the server and resolves once it listens.
 *
 * @param options address, hooks and bounds
 * @returns the server
 * @throws Deno.errors.AddrInUse (as a rejection) when the port is taken
 * @example
 * ```ts
 * const server = await startRtspServer({ port: 0 });
 * // ffmpeg -re -i clip.mp4 -c copy -f rtsp -rtsp_transport tcp ${server.url("/cam/1")}
 * // ffprobe -rtsp_transport tcp ${server.url("/cam/1")}
 * await server.close();
 * ```
 */
export function startRtspServer(options: RtspServerOptions = {}): Promise<RtspServer> {
  const limits: RtspLimits = { ...DEFAULT_LIMITS, ...options.limits };
  const hostname = options.hostname ?? "127.0.0.1";
  let listener: Deno.TcpListener;
  try {
    listener = Deno.listen({ hostname, port: options.port ?? 8554, transport: "tcp" });
  } catch (error) {
    if (!(error instanceof Deno.errors.AddrInUse)) return Promise.reject(error);
    return Promise.reject(
      new Deno.errors.AddrInUse(
        `rtsp: cannot listen on ${hostname}:${options.port ?? 8554}: the address is in use ` +
          "(another RTSP server? set VIGIL_RTSP_PORT)",
      ),
    );
  }
  const port = listener.addr.port;
  const realm = options.realm ?? "Vigil";
  const methods = options.authMethods ?? ["basic"];
  const authorize = options.authorize ?? (() => ({ allowed: true as const }));
  const log = createLogger("rtsp");
  const streams = new Map<string, Stream>();
  const connections = new Set<ConnState>();
  const graceTimers = new Map<string, ReturnType<typeof setTimeout>>();
  const waiters = new Map<string, Set<() => void>>();
  const readerCounts = new Map<string, number>();
  const readers = { total: 0 };
  const messageLimits = {
    maxHeaderBytes: limits.maxHeaderBytes,
    maxBodyBytes: limits.maxBodyBytes,
  };
  const urlHost = hostname === "0.0.0.0" || hostname === "::" ? "127.0.0.1" : hostname;
  const loops = new Set<Promise<void>>();

  const randomHex = (bytes: number) => crypto.getRandomValues(new Uint8Array(bytes)).toHex();

  const reply = (
    state: ConnState,
    req: RtspRequest | null,
    status: number,
    headers: HeaderList = [],
    body?: string,
  ) => {
    const cseq = req ? header(req.headers, "cseq") : undefined;
    const all: HeaderList = [
      ...(cseq && /^\d{1,10}$/.test(cseq) ? [["CSeq", cseq]] as HeaderList : []),
    ];
    all.push(["Server", "Vigil"], ...headers);
    state.conn.send(serializeResponse({ status, headers: all, body }));
  };

  const notify = (path: string) => {
    const set = waiters.get(path);
    if (!set) return;
    waiters.delete(path);
    for (const wake of set) wake();
  };

  const waitForStream = (path: string, ms: number): Promise<Stream | undefined> => {
    const found = streams.get(path);
    if (found) return Promise.resolve(found);
    return new Promise((resolve) => {
      const set = waiters.get(path) ?? new Set();
      waiters.set(path, set);
      const wake = () => {
        clearTimeout(timer);
        set.delete(wake);
        if (set.size === 0 && waiters.get(path) === set) waiters.delete(path);
        resolve(streams.get(path));
      };
      const timer = setTimeout(wake, ms);
      set.add(wake);
    });
  };

  const removeStream = (path: string) => {
    const stream = streams.get(path);
    if (!stream) return;
    streams.delete(path);
    clearTimeout(graceTimers.get(path));
    graceTimers.delete(path);
    for (const reader of [...stream.readers]) reader.conn.close("server");
  };

  const checkAuth = async (
    state: ConnState,
    req: RtspRequest,
    action: "read" | "publish",
    path: string,
    query: Record<string, string>,
  ): Promise<boolean> => {
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
      reply(state, req, 503);
      return false;
    }
    if (decision.allowed) {
      if (state.authorized.size >= limits.maxPathsPerConnection) {
        reply(state, req, 453);
        return false;
      }
      state.authorized.add(key);
      if (action === "publish") state.user = credentials?.username ?? null;
      if (decision.stillValid) state.checks.set(key, decision.stillValid);
      if (decision.internal) state.internal = true;
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
    reply(state, req, status, challenges);
    if (++state.failures >= MAX_AUTH_FAILURES) state.conn.close("protocol");
    return false;
  };

  const ctx: ServerCtx = {
    limits,
    options,
    log,
    streams,
    graceTimers,
    readerCounts,
    readers,
    urlHost,
    port,
    randomHex,
    reply,
    notify,
    waitForStream,
    checkAuth,
  };
  const { describe, readerSetup, play } = readerHandlers(ctx);
  const { announce, publisherSetup, record } = publisherHandlers(ctx);

  /** Resolves the stream a reader of `path` reads, demanding its source if needed. */

  const endSession = (state: ConnState) => {
    const session = state.session;
    state.session = null;
    if (!session) return;
    if (session.kind === "reader") {
      if (session.reader) streams.get(session.path)?.detach(session.reader);
      if (!session.internal) {
        readers.total--;
        const n = (readerCounts.get(session.path) ?? 1) - 1;
        if (n > 0) readerCounts.set(session.path, n);
        else readerCounts.delete(session.path);
      }
      return;
    }
    const stream = session.stream;
    if (!stream || stream.publisher !== state.conn) return;
    stream.unpublish();
    log.info("path unpublished", { path: stream.path });
    options.onPublish?.({ type: "unpublish", path: stream.path });
    if (stream.readers.size === 0) {
      streams.delete(stream.path);
      return;
    }
    graceTimers.set(
      stream.path,
      setTimeout(() => {
        graceTimers.delete(stream.path);
        if (streams.get(stream.path) === stream && !stream.publisher) removeStream(stream.path);
      }, limits.publisherGraceMs),
    );
  };

  const handleRequest = async (state: ConnState, req: RtspRequest) => {
    const target = parseTarget(req.uri);
    if (!target) {
      reply(state, req, 400);
      state.conn.close("protocol");
      return;
    }
    const streaming = state.session?.kind === "reader"
      ? state.session.reader
      : state.session?.stream;
    // Only an authorised connection earns the long session timeout: an unauthenticated one keeps
    // its handshake deadline however many OPTIONS it sends, so it cannot hold a slot forever.
    if (!streaming && state.authorized.size > 0) state.conn.expireAfter(limits.sessionTimeoutMs);
    switch (req.method) {
      case "OPTIONS":
        return reply(state, req, 200, [["Public", PUBLIC]]);
      case "DESCRIBE":
        return await describe(state, req, target.path, target.query);
      case "ANNOUNCE":
        return await announce(state, req, target.path, target.query);
      case "SETUP": {
        const session = state.session;
        if (session?.kind === "publisher") {
          return publisherSetup(state, req, session, target.path);
        }
        return await readerSetup(state, req, target);
      }
      case "PLAY":
        return play(state, req);
      case "RECORD":
        return record(state, req);
      case "TEARDOWN":
        endSession(state);
        if (state.authorized.size > 0) state.conn.expireAfter(limits.sessionTimeoutMs);
        return reply(state, req, 200);
      case "GET_PARAMETER":
      case "SET_PARAMETER": {
        const session = header(req.headers, "session");
        return reply(state, req, 200, session ? [["Session", session.split(";")[0]!]] : []);
      }
      default:
        return reply(state, req, 501, [["Public", PUBLIC]]);
    }
  };

  const accept = (tcp: Deno.TcpConn) => {
    const conn = new RtspConn(tcp, limits.readerQueueBytes);
    const host = tcp.remoteAddr.transport === "tcp" ? tcp.remoteAddr.hostname : "unknown";
    if (!admit(connections, limits, log, conn, host)) return;
    const state: ConnState = {
      conn,
      host,
      nonce: randomHex(16),
      user: null,
      authorized: new Set(),
      checks: new Map(),
      internal: false,
      failures: 0,
      leases: new Map(),
      aliases: new Map(),
      session: null,
    };
    connections.add(state);
    conn.expireAfter(limits.handshakeTimeoutMs);
    const loop = conn.start({
      message(result) {
        if (result.kind === "interleaved") {
          const session = state.session;
          if (session?.kind !== "publisher" || !session.stream) return;
          if (session.stream.publisher !== conn) return;
          const map = session.channels.get(result.channel);
          if (map) session.stream.forward(map.track, map.rtcp, result.payload, Date.now());
          return;
        }
        if (result.kind === "error") {
          log.info("malformed request", { remote: conn.remote, error: result.message });
          return conn.replyAndClose(result.status);
        }
        if (result.kind === "response") return; // clients have nothing to answer
        return handleRequest(state, result.request).catch((error) => {
          log.error("request failed", { method: result.request.method, error });
          reply(state, result.request, 500);
        });
      },
      closed(reason) {
        endSession(state);
        for (const lease of state.leases.values()) lease.release();
        state.leases.clear();
        connections.delete(state);
        if (reason === "overflow") {
          log.warn("reader dropped: it stopped reading", { remote: conn.remote });
        }
      },
    }, messageLimits);
    loops.add(loop);
    loop.finally(() => loops.delete(loop));
  };

  const acceptLoop = (async () => {
    try {
      for await (const tcp of listener) accept(tcp);
    } catch (error) {
      if (!(error instanceof Deno.errors.BadResource)) log.error("accept failed", { error });
    }
  })();

  // Grants that may lapse (a revoked token) are re-checked; a lapsed one closes its connection.
  const revalidate = startRevalidation(connections, limits, log);

  log.info("rtsp server listening", { hostname, port });
  return Promise.resolve({
    port,
    hostname,
    url: (path) => `rtsp://${urlHost.includes(":") ? `[${urlHost}]` : urlHost}:${port}${path}`,
    stats: (path) => streams.get(path)?.stats(Date.now()) ?? null,
    paths: () => [...streams.keys()],
    closeReaders(path) {
      let closed = 0;
      for (const state of [...connections]) {
        const reading = state.session?.kind === "reader" && state.session.path === path;
        if (reading || state.aliases.has(path)) {
          state.conn.close("server");
          closed++;
        }
      }
      return closed;
    },
    async close() {
      clearInterval(revalidate);
      try {
        listener.close();
      } catch {
        // already closed
      }
      for (const state of [...connections]) state.conn.close("server");
      for (const timer of graceTimers.values()) clearTimeout(timer);
      graceTimers.clear();
      for (const path of [...waiters.keys()]) notify(path);
      await acceptLoop;
      await Promise.all([...loops]);
      streams.clear();
    },
  });
}
