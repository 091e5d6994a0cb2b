/**
 * Reader requests of Vigil's RTSP server: DESCRIBE, SETUP of a reader and PLAY, the stream a
 * reader's path resolves to (demanding its source when needed), and the end of a reader's session.
 *
 * @module
 */

import { header, type RtspRequest } from "../../models/rtsp/message.ts";
import { splitTrack, validPath } from "../../models/rtsp/url.ts";
import { formatTransport, parseTransport } from "../../models/rtsp/transport.ts";
import type { Stream } from "./rtsp_stream.ts";
import type { RtspAccess } from "./rtsp_access.ts";
import type { RtspConnections } from "./rtsp_connections.ts";
import type { StreamPaths } from "./rtsp_paths.ts";
import {
  type ConnState,
  type ReaderSession,
  type RtspLimits,
  type RtspServerOptions,
  SESSION_TIMEOUT_S,
} from "./rtsp_server_types.ts";

/** What the reader requests use of their server. */
export interface ReaderDeps {
  access: Pick<RtspAccess, "allows">;
  paths: Pick<StreamPaths, "get" | "waitFor">;
  /** Where external readers are counted against the limits. */
  connections: Pick<RtspConnections, "addReader" | "removeReader">;
  demand: RtspServerOptions["demand"];
  limits: Pick<RtspLimits, "maxPathsPerConnection" | "demandWaitMs">;
  /** `rtsp://host:port` of the server, for a request URI that names none. */
  origin: string;
  /** A new session id. */
  sessionId(): string;
}

/** The reader side of a server. */
export class ReaderRequests {
  readonly #deps: ReaderDeps;

  /** @param deps what of the server the requests use */
  constructor(deps: ReaderDeps) {
    this.#deps = deps;
  }

  /**
   * DESCRIBE: the SDP of the path's stream.
   *
   * @param state the connection
   * @param req the request
   * @param path the path asked for
   * @param query the request URI's query
   */
  async describe(
    state: ConnState,
    req: RtspRequest,
    path: string,
    query: Record<string, string>,
  ): Promise<void> {
    if (!validPath(path)) return state.conn.reply(req, 404);
    if (!(await this.#deps.access.allows(state, req, "read", path, query))) return;
    const stream = await this.#streamFor(state, path);
    if (state.conn.closed) return;
    if (typeof stream === "number") return state.conn.reply(req, stream);
    state.conn.reply(req, 200, [
      ["Content-Type", "application/sdp"],
      ["Content-Base", this.#baseUrl(req, path)],
    ], stream.description);
  }

  /**
   * SETUP of one track for reading; the first one opens the session (an external reader is
   * counted, or refused with 453 over the limits).
   *
   * @param state the connection
   * @param req the request
   * @param target the path (with its track suffix) and query
   */
  async setup(
    state: ConnState,
    req: RtspRequest,
    target: { path: string; query: Record<string, string> },
  ): Promise<void> {
    const split = splitTrack(target.path) ?? { path: target.path, track: 0 };
    if (!(await this.#deps.access.allows(state, req, "read", split.path, target.query))) return;
    // Only RTP over the RTSP connection: a UDP-only SETUP gets 461 (RFC 2326 §11.3.11) before
    // anything starts, and the client asks again over TCP.
    const transport = parseTransport(header(req.headers, "transport") ?? "");
    if (!transport || transport.mode !== "play") return state.conn.reply(req, 461);
    const stream = await this.#streamFor(state, split.path);
    // A connection that closed while this request waited has ended its session already: counting
    // a reader (or opening a session) now would never be undone.
    if (state.conn.closed) return;
    if (typeof stream === "number") return state.conn.reply(req, stream);
    if (split.track >= stream.trackCount) return state.conn.reply(req, 404);
    let session = state.session;
    if (session?.kind === "publisher") return state.conn.reply(req, 455);
    if (session) {
      if (header(req.headers, "session")?.split(";")[0] !== session.id) {
        return state.conn.reply(req, 454);
      }
      if (session.path !== stream.path || session.reader) return state.conn.reply(req, 455);
    } else {
      if (!state.internal && !this.#deps.connections.addReader(stream.path)) {
        return state.conn.reply(req, 453);
      }
      session = {
        kind: "reader",
        id: this.#deps.sessionId(),
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
    if (taken) return state.conn.reply(req, 461);
    session.channels[split.track] = pair;
    state.conn.reply(req, 200, [
      ["Transport", formatTransport(pair, "play")],
      ["Session", `${session.id};timeout=${SESSION_TIMEOUT_S}`],
    ]);
  }

  /**
   * PLAY: the reader starts receiving the stream. The reply says where (RFC 2326 §12.33 and
   * RFC 7826 §18.45): per track set up, `RTP-Info` with the sequence number and RTP time of the
   * first packet it gets (known once the track has had a packet), and a live `Range`.
   *
   * @param state the connection
   * @param req the request
   * @param path the request URI's path (the tracks' URLs are made from it, like DESCRIBE's base)
   */
  play(state: ConnState, req: RtspRequest, path: string): void {
    const session = state.session;
    if (session?.kind !== "reader") return state.conn.reply(req, session ? 455 : 454);
    if (header(req.headers, "session")?.split(";")[0] !== session.id) {
      return state.conn.reply(req, 454);
    }
    const stream = this.#deps.paths.get(session.path);
    if (!stream) return state.conn.reply(req, 404);
    const headers: [string, string][] = [["Session", session.id], ["Range", "npt=0.000-"]];
    if (!session.reader) {
      const base = this.#baseUrl(req, path.replace(/\/$/, ""));
      const info = session.channels.flatMap((pair, track) => {
        const at = pair && stream.startPosition(track);
        return at ? [`url=${base}trackID=${track};seq=${at.seq};rtptime=${at.ts}`] : [];
      });
      if (info.length > 0) headers.push(["RTP-Info", info.join(",")]);
    }
    state.conn.reply(req, 200, headers);
    if (session.reader) return;
    session.reader = { conn: state.conn, channels: session.channels, internal: session.internal };
    state.conn.expireAfter(0);
    // Attached in the same turn as the reply: no packet can come between what it says and them.
    stream.attach(session.reader);
  }

  /**
   * A reader's session ended (TEARDOWN or its connection closed): it stops receiving and is no
   * longer counted.
   *
   * @param session the session
   */
  end(session: ReaderSession): void {
    if (session.reader) this.#deps.paths.get(session.path)?.detach(session.reader);
    if (!session.internal) this.#deps.connections.removeReader(session.path);
  }

  /** Resolves the stream a reader of `path` reads, demanding its source if needed. */
  async #streamFor(state: ConnState, path: string): Promise<Stream | 404 | 453 | 503> {
    const { limits, paths } = this.#deps;
    let canonical = state.aliases.get(path);
    if (canonical === undefined) {
      // A lease taken after the close would never be released (the close released the others).
      if (state.conn.closed) return 503;
      if (state.aliases.size >= limits.maxPathsPerConnection) return 453;
      const lease = this.#deps.demand?.(path);
      if (lease) state.leases.set(path, lease);
      canonical = lease?.path ?? path;
      state.aliases.set(path, canonical);
    }
    const stream = paths.get(canonical);
    if (stream) return stream;
    if (!state.leases.has(path)) return 404;
    return (await paths.waitFor(canonical, limits.demandWaitMs)) ?? 503;
  }

  #baseUrl(req: RtspRequest, path: string): string {
    const m = /^(rtsps?:\/\/[^/?#]+)/i.exec(req.uri);
    return `${m ? m[1] : this.#deps.origin}${path}/`;
  }
}
