/**
 * Vigil's RTSP server (RFC 2326, RTP over TCP interleaved only): Vigil's publishers ANNOUNCE and
 * RECORD a path, readers DESCRIBE, SETUP and PLAY it; packets are forwarded, never decoded. Paths
 * nobody publishes may be started on demand by the hub; every request is authorised per
 * connection, action and path, and every resource is bounded. The server owns its parts: access
 * (rtsp_access.ts), connection and reader accounting (rtsp_connections.ts), paths (rtsp_paths.ts)
 * and the reader and publisher requests. Why our own: docs/decisions/own-rtsp-relay.md.
 *
 * @module
 */

import { RtspConn } from "./rtsp_conn.ts";
import type { StreamPublisher, StreamStats } from "./rtsp_stream.ts";
import type { Sdp } from "../../models/rtsp/sdp.ts";
import { header, type RtspRequest } from "../../models/rtsp/message.ts";
import { parseTarget } from "../../models/rtsp/url.ts";
import { createLogger, type Logger } from "../../models/log.ts";
import {
  type ConnState,
  DEFAULT_LIMITS,
  type Forwarding,
  PUBLIC,
  type Publication,
  type RtspLimits,
  type RtspServer,
  type RtspServerOptions,
} from "./rtsp_server_types.ts";
import { PathForward } from "./rtsp_forward.ts";
import { isStreaming, RtspAccess } from "./rtsp_access.ts";
import { RtspConnections } from "./rtsp_connections.ts";
import { StreamPaths } from "./rtsp_paths.ts";
import { ReaderRequests } from "./rtsp_reader.ts";
import { PublisherRequests } from "./rtsp_publisher.ts";

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
  return Promise.resolve(new Server(listener, hostname, options));
}

/** A listening server: its connections, paths and request handlers. */
class Server implements RtspServer {
  readonly port: number;
  readonly hostname: string;
  readonly #listener: Deno.TcpListener;
  readonly #limits: RtspLimits;
  readonly #log: Logger = createLogger("rtsp");
  readonly #urlHost: string;
  readonly #connections: RtspConnections;
  readonly #paths: StreamPaths;
  readonly #readers: ReaderRequests;
  readonly #publishers: PublisherRequests;
  readonly #loops = new Set<Promise<void>>();
  readonly #acceptLoop: Promise<void>;
  readonly #recheck: ReturnType<typeof setInterval>;
  readonly #onPublish: RtspServerOptions["onPublish"];
  /** Publishers inside the process (the hub's RTSP clients), told when the server closes. */
  readonly #inProcess = new Set<StreamPublisher>();

  constructor(listener: Deno.TcpListener, hostname: string, options: RtspServerOptions) {
    const limits: RtspLimits = { ...DEFAULT_LIMITS, ...options.limits };
    const log = this.#log;
    this.#listener = listener;
    this.#limits = limits;
    this.hostname = hostname;
    this.port = listener.addr.port;
    this.#onPublish = options.onPublish;
    this.#urlHost = hostname === "0.0.0.0" || hostname === "::" ? "127.0.0.1" : hostname;
    this.#connections = new RtspConnections(limits, log);
    this.#paths = new StreamPaths(limits, options.switchable);
    const access = new RtspAccess({
      authorize: options.authorize ?? (() => ({ allowed: true as const })),
      methods: options.authMethods ?? ["basic"],
      realm: options.realm ?? "Vigil",
      maxPathsPerConnection: limits.maxPathsPerConnection,
      sessionTimeoutMs: limits.sessionTimeoutMs,
      log,
    });
    const sessionId = () => randomHex(8);
    this.#readers = new ReaderRequests({
      access,
      paths: this.#paths,
      connections: this.#connections,
      demand: options.demand,
      limits,
      origin: `rtsp://${this.#urlHost}:${this.port}`,
      sessionId,
    });
    this.#publishers = new PublisherRequests({
      access,
      paths: this.#paths,
      publishOwner: options.publishOwner,
      onPublish: options.onPublish,
      log,
      sessionId,
    });
    this.#acceptLoop = this.#acceptAll();
    // Grants that may lapse (a revoked token) are re-checked; a lapsed one closes its connection.
    this.#recheck = setInterval(() => this.#connections.recheckGrants(), limits.revalidateMs);
    log.info("rtsp server listening", { hostname, port: this.port });
  }

  url(path: string): string {
    const host = this.#urlHost.includes(":") ? `[${this.#urlHost}]` : this.#urlHost;
    return `rtsp://${host}:${this.port}${path}`;
  }

  stats(path: string): StreamStats | null {
    return this.#paths.get(path)?.stats(Date.now()) ?? null;
  }

  paths(): string[] {
    return this.#paths.names();
  }

  closeReaders(path: string): number {
    return this.#connections.closeReaders(path);
  }

  forward(from: string, to: string): Forwarding {
    const forward = new PathForward(this.#paths, from, to, this.#limits.demandWaitMs);
    const started = forward.start();
    started.catch(() => forward.stop());
    return { started, stop: () => forward.stop() };
  }

  publish(path: string, sdp: Sdp, publisher: StreamPublisher): Publication {
    const previous = this.#paths.get(path)?.publisher;
    const { stream } = this.#paths.publish(path, publisher, sdp);
    if (previous && previous !== publisher) previous.close("server");
    this.#inProcess.add(publisher);
    this.#onPublish?.({ type: "publish", path });
    let published = true;
    return {
      forward: (track, rtcp, packet) => {
        if (stream.publisher === publisher) stream.forward(track, rtcp, packet, Date.now());
      },
      unpublish: () => {
        if (!published) return;
        published = false;
        this.#inProcess.delete(publisher);
        if (stream.publisher !== publisher) return;
        stream.unpublish();
        this.#onPublish?.({ type: "unpublish", path });
        this.#paths.unpublished(stream);
      },
    };
  }

  async close(): Promise<void> {
    clearInterval(this.#recheck);
    for (const publisher of [...this.#inProcess]) publisher.close("server");
    try {
      this.#listener.close();
    } catch {
      // already closed
    }
    this.#connections.closeAll();
    this.#paths.close();
    await this.#acceptLoop;
    await Promise.all([...this.#loops]);
    this.#paths.clear();
  }

  async #acceptAll(): Promise<void> {
    try {
      for await (const tcp of this.#listener) this.#accept(tcp);
    } catch (error) {
      if (!(error instanceof Deno.errors.BadResource)) this.#log.error("accept failed", { error });
    }
  }

  #accept(tcp: Deno.TcpConn): void {
    const limits = this.#limits;
    const log = this.#log;
    const conn = new RtspConn(tcp, limits.readerQueueBytes);
    const state: ConnState = {
      conn,
      host: tcp.remoteAddr.transport === "tcp" ? tcp.remoteAddr.hostname : "unknown",
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
    if (!this.#connections.admit(state)) return;
    conn.expireAfter(limits.handshakeTimeoutMs);
    const loop = conn.start({
      message: (result) => {
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
        return this.#handleRequest(state, result.request).catch((error) => {
          log.error("request failed", { method: result.request.method, error });
          conn.reply(result.request, 500);
        });
      },
      closed: (reason) => {
        this.#endSession(state);
        for (const lease of state.leases.values()) lease.release();
        state.leases.clear();
        this.#connections.remove(state);
        if (reason === "overflow") {
          log.warn("reader dropped: it stopped reading", { remote: conn.remote });
        }
      },
    }, { maxHeaderBytes: limits.maxHeaderBytes, maxBodyBytes: limits.maxBodyBytes });
    this.#loops.add(loop);
    loop.finally(() => this.#loops.delete(loop));
  }

  async #handleRequest(state: ConnState, req: RtspRequest): Promise<void> {
    const { conn } = state;
    const target = parseTarget(req.uri);
    if (!target) {
      conn.reply(req, 400);
      conn.close("protocol");
      return;
    }
    // Only an authorised connection earns the long session timeout: an unauthenticated one keeps
    // its handshake deadline however many OPTIONS it sends, so it cannot hold a slot forever.
    if (!isStreaming(state) && state.authorized.size > 0) {
      conn.expireAfter(this.#limits.sessionTimeoutMs);
    }
    switch (req.method) {
      case "OPTIONS":
        return conn.reply(req, 200, [["Public", PUBLIC]]);
      case "DESCRIBE":
        return await this.#readers.describe(state, req, target.path, target.query);
      case "ANNOUNCE":
        return await this.#publishers.announce(state, req, target.path, target.query);
      case "SETUP": {
        const session = state.session;
        if (session?.kind === "publisher") {
          return this.#publishers.setup(state, req, session, target.path);
        }
        return await this.#readers.setup(state, req, target);
      }
      case "PLAY":
        return this.#readers.play(state, req, target.path);
      case "RECORD":
        return this.#publishers.record(state, req);
      case "TEARDOWN":
        this.#endSession(state);
        if (state.authorized.size > 0) conn.expireAfter(this.#limits.sessionTimeoutMs);
        return conn.reply(req, 200);
      case "GET_PARAMETER":
      case "SET_PARAMETER": {
        const session = header(req.headers, "session");
        return conn.reply(req, 200, session ? [["Session", session.split(";")[0]!]] : []);
      }
      default:
        return conn.reply(req, 501, [["Public", PUBLIC]]);
    }
  }

  #endSession(state: ConnState): void {
    const session = state.session;
    state.session = null;
    if (session?.kind === "reader") this.#readers.end(session);
    else if (session) this.#publishers.end(state, session);
  }
}

function randomHex(bytes: number): string {
  return crypto.getRandomValues(new Uint8Array(bytes)).toHex();
}
