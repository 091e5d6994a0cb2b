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
import { Stream, type StreamReader, type StreamStats } from "./rtsp_stream.ts";
import { header, type HeaderList, type RtspRequest } from "../models/rtsp/message.ts";
import { serializeResponse } from "../models/rtsp/message.ts";
import { parseTarget, splitTrack, validPath } from "../models/rtsp/url.ts";
import { mediaIndexForControl, parseSdp, type Sdp } from "../models/rtsp/sdp.ts";
import { formatTransport, parseTransport } from "../models/rtsp/transport.ts";
import {
  basicChallenge,
  type Credentials,
  digestChallenge,
  parseAuthorization,
} from "../models/rtsp/auth.ts";
import { createLogger } from "../models/log.ts";

export type { StreamStats } from "./rtsp_stream.ts";

/** What a request asks the authorizer. */
export interface RtspAuthRequest {
  /** Reading a path, or publishing one. */
  action: "read" | "publish";
  /** The path as the client named it. */
  path: string;
  /** The request URI's query (a signed URL carries `exp` and `sig`). */
  query: Record<string, string>;
  /** Credentials from `Authorization`, or null. Digest ones carry a nonce this server issued. */
  credentials: Credentials | null;
  /** The request method (Digest responses depend on it). */
  method: string;
  /** The client's address (`host:port`). */
  remote: string;
  /** The client's host alone (rate limits are per host). */
  host?: string;
}

/** The authorizer's answer. */
export type RtspAuthDecision =
  | {
    allowed: true;
    internal?: boolean;
    /**
     * Re-asked every `revalidateMs` while the connection lasts; false (or a failure) closes it
     * (a token revoked after it opened the session).
     */
    stillValid?: () => Promise<boolean>;
  }
  | { allowed: false; status?: 401 | 403 };

/** A hold on a path a reader demanded; released when the reader leaves. */
export interface RtspDemand {
  /** The path to read (an alias may point at another path publishing the same source). */
  path: string;
  /** Lets the source stop (after its idle timeout) once nobody holds it. */
  release(): void;
}

/** Bounds of the server. */
export interface RtspLimits {
  /**
   * Open connections. When full, the oldest connection not yet authorised is closed to make room;
   * when every one is authorised, the newcomer is closed at once.
   */
  maxConnections: number;
  /**
   * Open connections from one non-loopback address; more are closed at once. Loopback is exempt:
   * Vigil's own pullers and consumers all come from there.
   */
  maxConnectionsPerAddress: number;
  /** External readers of one path; more get 453. */
  maxReadersPerPath: number;
  /** External readers in total; more get 453. */
  maxReaders: number;
  /** Bytes of start line and headers of a request. */
  maxHeaderBytes: number;
  /** Bytes of a request body (an SDP). */
  maxBodyBytes: number;
  /**
   * A new connection must be authorised for some path within this long; requests before that
   * (OPTIONS, GET_PARAMETER, refused ones) do not extend it.
   */
  handshakeTimeoutMs: number;
  /**
   * An authorised connection that is neither playing nor recording closes after this long without
   * a request.
   */
  sessionTimeoutMs: number;
  /** Bytes queued to a reader beyond which it is dropped for not reading. */
  readerQueueBytes: number;
  /** Bytes of packets kept since the last keyframe, for late readers. */
  gopCacheBytes: number;
  /** How long a DESCRIBE waits for a demanded path to be published. */
  demandWaitMs: number;
  /** How long readers stay attached to a path whose publisher left. */
  publisherGraceMs: number;
  /** How often the grants of open connections are re-checked (`stillValid`). */
  revalidateMs: number;
  /** Paths (per action) one connection may be authorised for or alias; more get 453. */
  maxPathsPerConnection: number;
}

/** Defaults of {@linkcode RtspLimits}. */
export const DEFAULT_LIMITS: Readonly<RtspLimits> = {
  maxConnections: 256,
  maxConnectionsPerAddress: 16,
  maxReadersPerPath: 32,
  maxReaders: 128,
  maxHeaderBytes: 8192,
  maxBodyBytes: 65536,
  handshakeTimeoutMs: 10_000,
  sessionTimeoutMs: 60_000,
  readerQueueBytes: 4 * 1024 * 1024,
  gopCacheBytes: 4 * 1024 * 1024,
  // Below ffmpeg's 5 s socket timeout of Vigil's own readers, so they see 503 rather than a hang.
  demandWaitMs: 4000,
  publisherGraceMs: 15_000,
  revalidateMs: 30_000,
  maxPathsPerConnection: 16,
};

/** Options of {@linkcode startRtspServer}. */
export interface RtspServerOptions {
  /** Address to listen on. Default `127.0.0.1`. */
  hostname?: string;
  /** TCP port; 0 picks a free one. Default 8554. */
  port?: number;
  /** Decides every request; default: everything allowed. */
  authorize?: (request: RtspAuthRequest) => RtspAuthDecision | Promise<RtspAuthDecision>;
  /** Starts (and holds) the source of a path a reader asks for; undefined: not demandable. */
  demand?: (path: string) => RtspDemand | undefined;
  /** Challenges offered on 401, in order. Default `["basic"]`. */
  authMethods?: ("basic" | "digest")[];
  /** Realm of the challenges. Default `Vigil`. */
  realm?: string;
  /** Bounds; unset fields keep {@linkcode DEFAULT_LIMITS}. */
  limits?: Partial<RtspLimits>;
  /**
   * The user name that owns a path (the hub's live puller for it), or undefined. While a path has
   * an owner, only a connection authorised under that name may publish it, and not while another
   * connection publishes it: a leaked publish credential cannot take over a camera the hub pulls.
   */
  publishOwner?: (path: string) => string | undefined;
  /** Told when a path gets or loses its publisher. */
  onPublish?: (event: { type: "publish" | "unpublish"; path: string }) => void;
}

/** A running server. */
export interface RtspServer {
  /** The port it listens on. */
  readonly port: number;
  /** The address it listens on. */
  readonly hostname: string;
  /** `rtsp://host:port<path>` (a wildcard address becomes 127.0.0.1). */
  url(path: string): string;
  /** Numbers of a path, or null when it is not published (nor kept for its readers). */
  stats(path: string): StreamStats | null;
  /** Paths currently known. */
  paths(): string[];
  /**
   * Closes the connections reading `path`, or that asked for it under an alias: their source
   * changed and they must reconnect to get it.
   *
   * @returns how many were closed
   */
  closeReaders(path: string): number;
  /** Closes the listener and every connection. */
  close(): Promise<void>;
}

interface ReaderSession {
  kind: "reader";
  id: string;
  path: string;
  channels: ([number, number] | undefined)[];
  reader: StreamReader | null;
  internal: boolean;
}

interface PublisherSession {
  kind: "publisher";
  id: string;
  path: string;
  sdp: Sdp;
  channels: Map<number, { track: number; rtcp: boolean }>;
  stream: Stream | null;
}

interface ConnState {
  conn: RtspConn;
  /** The client's host (no port), for the per-address cap. */
  host: string;
  nonce: string;
  /** User name of the last authorised credentials (who publishes, see `publishOwner`). */
  user: string | null;
  authorized: Set<string>;
  /** Re-checks of the grants in `authorized` that may lapse (revocable tokens). */
  checks: Map<string, () => Promise<boolean>>;
  internal: boolean;
  failures: number;
  leases: Map<string, RtspDemand>;
  aliases: Map<string, string>;
  session: ReaderSession | PublisherSession | null;
}

const PUBLIC = "OPTIONS, DESCRIBE, SETUP, PLAY, TEARDOWN, GET_PARAMETER, SET_PARAMETER, " +
  "ANNOUNCE, RECORD";
const SESSION_TIMEOUT_S = 60;
/** Failed authorisations a connection may make before it is closed. */
const MAX_AUTH_FAILURES = 5;

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
  let totalReaders = 0;
  const messageLimits = {
    maxHeaderBytes: limits.maxHeaderBytes,
    maxBodyBytes: limits.maxBodyBytes,
  };
  const urlHost = hostname === "0.0.0.0" || hostname === "::" ? "127.0.0.1" : hostname;
  const loops = new Set<Promise<void>>();

  const randomHex = (bytes: number) =>
    Array.from(
      crypto.getRandomValues(new Uint8Array(bytes)),
      (b) => b.toString(16).padStart(2, "0"),
    )
      .join("");

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

  /** Resolves the stream a reader of `path` reads, demanding its source if needed. */
  const streamFor = async (
    state: ConnState,
    path: string,
  ): Promise<Stream | 404 | 453 | 503> => {
    let canonical = state.aliases.get(path);
    if (canonical === undefined) {
      if (state.aliases.size >= limits.maxPathsPerConnection) return 453;
      const lease = options.demand?.(path);
      if (lease) state.leases.set(path, lease);
      canonical = lease?.path ?? path;
      state.aliases.set(path, canonical);
    }
    const stream = streams.get(canonical);
    if (stream) return stream;
    if (!state.leases.has(path)) return 404;
    return (await waitForStream(canonical, limits.demandWaitMs)) ?? 503;
  };

  const endSession = (state: ConnState) => {
    const session = state.session;
    state.session = null;
    if (!session) return;
    if (session.kind === "reader") {
      if (session.reader) streams.get(session.path)?.detach(session.reader);
      if (!session.internal) {
        totalReaders--;
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

  const baseUrl = (req: RtspRequest, path: string) => {
    const m = /^(rtsps?:\/\/[^/?#]+)/i.exec(req.uri);
    return `${m ? m[1] : `rtsp://${urlHost}:${port}`}${path}/`;
  };

  const describe = async (
    state: ConnState,
    req: RtspRequest,
    path: string,
    query: Record<string, string>,
  ) => {
    if (!validPath(path)) return reply(state, req, 404);
    if (!(await checkAuth(state, req, "read", path, query))) return;
    const stream = await streamFor(state, path);
    if (typeof stream === "number") return reply(state, req, stream);
    reply(state, req, 200, [
      ["Content-Type", "application/sdp"],
      ["Content-Base", baseUrl(req, path)],
    ], stream.description);
  };

  const readerSetup = async (
    state: ConnState,
    req: RtspRequest,
    target: { path: string; query: Record<string, string> },
  ) => {
    const split = splitTrack(target.path) ?? { path: target.path, track: 0 };
    if (!(await checkAuth(state, req, "read", split.path, target.query))) return;
    const stream = await streamFor(state, split.path);
    if (typeof stream === "number") return reply(state, req, stream);
    if (split.track >= stream.trackCount) return reply(state, req, 404);
    const transport = parseTransport(header(req.headers, "transport") ?? "");
    if (!transport || transport.mode !== "play") return reply(state, req, 461);
    let session = state.session;
    if (session?.kind === "publisher") return reply(state, req, 455);
    if (session) {
      if (header(req.headers, "session")?.split(";")[0] !== session.id) {
        return reply(state, req, 454);
      }
      if (session.path !== stream.path || session.reader) return reply(state, req, 455);
    } else {
      if (!state.internal) {
        const onPath = readerCounts.get(stream.path) ?? 0;
        if (onPath >= limits.maxReadersPerPath || totalReaders >= limits.maxReaders) {
          log.warn("reader refused: limit reached", { path: stream.path, onPath, totalReaders });
          return reply(state, req, 453);
        }
        readerCounts.set(stream.path, onPath + 1);
        totalReaders++;
      }
      session = {
        kind: "reader",
        id: randomHex(8),
        path: stream.path,
        channels: [],
        reader: null,
        internal: state.internal,
      };
      state.session = session;
    }
    const pair = transport.interleaved ?? [split.track * 2, split.track * 2 + 1];
    const taken = session.channels.some((c, i) =>
      c !== undefined && i !== split.track && (c.includes(pair[0]) || c.includes(pair[1]))
    );
    if (taken) return reply(state, req, 461);
    session.channels[split.track] = pair;
    reply(state, req, 200, [
      ["Transport", formatTransport(pair, "play")],
      ["Session", `${session.id};timeout=${SESSION_TIMEOUT_S}`],
    ]);
  };

  const play = (state: ConnState, req: RtspRequest) => {
    const session = state.session;
    if (session?.kind !== "reader") return reply(state, req, session ? 455 : 454);
    if (header(req.headers, "session")?.split(";")[0] !== session.id) return reply(state, req, 454);
    const stream = streams.get(session.path);
    if (!stream) return reply(state, req, 404);
    reply(state, req, 200, [["Session", session.id], ["Range", "npt=0.000-"]]);
    if (session.reader) return;
    session.reader = { conn: state.conn, channels: session.channels, internal: session.internal };
    state.conn.expireAfter(0);
    stream.attach(session.reader);
  };

  const announce = async (
    state: ConnState,
    req: RtspRequest,
    path: string,
    query: Record<string, string>,
  ) => {
    if (!validPath(path)) return reply(state, req, 400);
    if (!(await checkAuth(state, req, "publish", path, query))) return;
    if (state.session) return reply(state, req, 455);
    if (!/^application\/sdp\b/i.test(header(req.headers, "content-type") ?? "")) {
      return reply(state, req, 415);
    }
    let sdp: Sdp;
    try {
      sdp = parseSdp(new TextDecoder().decode(req.body));
    } catch (error) {
      log.warn("publisher sent an unusable SDP", { path, error });
      return reply(state, req, 400);
    }
    state.session = {
      kind: "publisher",
      id: randomHex(8),
      path,
      sdp,
      channels: new Map(),
      stream: null,
    };
    reply(state, req, 200);
  };

  const publisherSetup = (
    state: ConnState,
    req: RtspRequest,
    session: PublisherSession,
    path: string,
  ) => {
    const index = mediaIndexForControl(session.sdp, path);
    if (index === -1) return reply(state, req, 404);
    const transport = parseTransport(header(req.headers, "transport") ?? "");
    if (!transport || transport.mode !== "record") return reply(state, req, 461);
    const pair = transport.interleaved ?? [index * 2, index * 2 + 1];
    if (session.channels.has(pair[0]) || session.channels.has(pair[1])) {
      return reply(state, req, 461);
    }
    session.channels.set(pair[0], { track: index, rtcp: false });
    session.channels.set(pair[1], { track: index, rtcp: true });
    reply(state, req, 200, [
      ["Transport", formatTransport(pair, "record")],
      ["Session", `${session.id};timeout=${SESSION_TIMEOUT_S}`],
    ]);
  };

  const record = (state: ConnState, req: RtspRequest) => {
    const session = state.session;
    if (session?.kind !== "publisher" || session.channels.size === 0) {
      return reply(state, req, 455);
    }
    if (session.stream) return reply(state, req, 200, [["Session", session.id]]);
    let stream = streams.get(session.path);
    const owner = options.publishOwner?.(session.path);
    if (owner !== undefined) {
      const live = stream?.publisher;
      if (state.user !== owner || (live && live !== state.conn)) {
        log.warn("publisher refused: the hub's own puller owns this path", {
          path: session.path,
          remote: state.conn.remote,
        });
        return reply(state, req, 403);
      }
    }
    if (stream) {
      const previous = stream.publisher;
      const closed = stream.publish(state.conn, session.sdp);
      // The newest publisher wins on a path the hub does not own (a publisher that reconnects
      // before its old connection is noticed gone must not be locked out).
      if (previous && previous !== state.conn) previous.close("server");
      if (closed > 0) {
        log.info("readers reconnect: the new publisher's media differ", {
          path: session.path,
          closed,
        });
      }
    } else {
      stream = new Stream(session.path, session.sdp, limits.gopCacheBytes);
      stream.publish(state.conn, session.sdp);
      streams.set(session.path, stream);
    }
    clearTimeout(graceTimers.get(session.path));
    graceTimers.delete(session.path);
    session.stream = stream;
    state.conn.expireAfter(0);
    reply(state, req, 200, [["Session", session.id]]);
    log.info("path published", { path: session.path, tracks: stream.trackCount });
    options.onPublish?.({ type: "publish", path: session.path });
    notify(session.path);
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
    if (!isLoopback(host)) {
      let fromHost = 0;
      for (const other of connections) if (other.host === host) fromHost++;
      if (fromHost >= limits.maxConnectionsPerAddress) {
        log.warn("connection refused: too many connections from this address", { host });
        conn.close("server");
        return;
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
        return;
      }
      log.warn("connection evicted for a newcomer: full and not authorised", {
        remote: victim.conn.remote,
      });
      connections.delete(victim);
      victim.conn.close("server");
    }
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
  let revalidating = false;
  const revalidate = setInterval(async () => {
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

/** Whether a host is a loopback address (where Vigil's own consumers connect from). */
function isLoopback(host: string): boolean {
  return host === "::1" || host.startsWith("127.") || host.startsWith("::ffff:127.");
}
