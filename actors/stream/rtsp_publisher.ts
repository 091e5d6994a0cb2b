/**
 * Publisher requests of Vigil's RTSP server: ANNOUNCE, SETUP of a publisher and RECORD, and the
 * end of a publisher's session.
 *
 * @module
 */

import { header, type RtspRequest } from "../../models/rtsp/message.ts";
import { validPath } from "../../models/rtsp/url.ts";
import { mediaIndexForControl, parseSdp, type Sdp } from "../../models/rtsp/sdp.ts";
import { formatTransport, parseTransport } from "../../models/rtsp/transport.ts";
import type { Logger } from "../../models/log.ts";
import type { RtspAccess } from "./rtsp_access.ts";
import type { StreamPaths } from "./rtsp_paths.ts";
import {
  type ConnState,
  type PublisherSession,
  type RtspServerOptions,
  SESSION_TIMEOUT_S,
} from "./rtsp_server_types.ts";

/** What the publisher requests use of their server. */
export interface PublisherDeps {
  access: Pick<RtspAccess, "allows">;
  paths: Pick<StreamPaths, "get" | "publish" | "unpublished">;
  publishOwner: RtspServerOptions["publishOwner"];
  onPublish: RtspServerOptions["onPublish"];
  log: Logger;
  /** A new session id. */
  sessionId(): string;
}

/** The publisher side of a server. */
export class PublisherRequests {
  readonly #deps: PublisherDeps;

  /** @param deps what of the server the requests use */
  constructor(deps: PublisherDeps) {
    this.#deps = deps;
  }

  /**
   * ANNOUNCE: a publisher describes what it will send to `path`; opens its session.
   *
   * @param state the connection
   * @param req the request (its body is the SDP)
   * @param path the path
   * @param query the request URI's query
   */
  async announce(
    state: ConnState,
    req: RtspRequest,
    path: string,
    query: Record<string, string>,
  ): Promise<void> {
    if (!validPath(path)) return state.conn.reply(req, 400);
    if (!(await this.#deps.access.allows(state, req, "publish", path, query))) return;
    if (state.session) return state.conn.reply(req, 455);
    if (!/^application\/sdp\b/i.test(header(req.headers, "content-type") ?? "")) {
      return state.conn.reply(req, 415);
    }
    let sdp: Sdp;
    try {
      sdp = parseSdp(new TextDecoder().decode(req.body));
    } catch (error) {
      this.#deps.log.warn("publisher sent an unusable SDP", { path, error });
      return state.conn.reply(req, 400);
    }
    state.session = {
      kind: "publisher",
      id: this.#deps.sessionId(),
      path,
      sdp,
      channels: new Map(),
      stream: null,
    };
    state.conn.reply(req, 200);
  }

  /**
   * SETUP of one announced track for publishing.
   *
   * @param state the connection
   * @param req the request
   * @param session the connection's publisher session
   * @param path the request's path (naming the track)
   */
  setup(state: ConnState, req: RtspRequest, session: PublisherSession, path: string): void {
    const index = mediaIndexForControl(session.sdp, path);
    if (index === -1) return state.conn.reply(req, 404);
    const transport = parseTransport(header(req.headers, "transport") ?? "");
    if (!transport || transport.mode !== "record") return state.conn.reply(req, 461);
    const pair = transport.interleaved ?? [index * 2, index * 2 + 1];
    if (session.channels.has(pair[0]) || session.channels.has(pair[1])) {
      return state.conn.reply(req, 461);
    }
    session.channels.set(pair[0], { track: index, rtcp: false });
    session.channels.set(pair[1], { track: index, rtcp: true });
    state.conn.reply(req, 200, [
      ["Transport", formatTransport(pair, "record")],
      ["Session", `${session.id};timeout=${SESSION_TIMEOUT_S}`],
    ]);
  }

  /**
   * RECORD: the publisher takes its path, unless the hub's own puller owns it.
   *
   * @param state the connection
   * @param req the request
   */
  record(state: ConnState, req: RtspRequest): void {
    const { log, paths } = this.#deps;
    const session = state.session;
    if (session?.kind !== "publisher" || session.channels.size === 0) {
      return state.conn.reply(req, 455);
    }
    if (session.stream) return state.conn.reply(req, 200, [["Session", session.id]]);
    const previous = paths.get(session.path)?.publisher;
    const owner = this.#deps.publishOwner?.(session.path);
    if (owner !== undefined && (state.user !== owner || (previous && previous !== state.conn))) {
      log.warn("publisher refused: the hub's own puller owns this path", {
        path: session.path,
        remote: state.conn.remote,
      });
      return state.conn.reply(req, 403);
    }
    const { stream, closed } = paths.publish(session.path, state.conn, session.sdp);
    // The newest publisher wins on a path the hub does not own (a publisher that reconnects
    // before its old connection is noticed gone must not be locked out).
    if (previous && previous !== state.conn) previous.close("server");
    if (closed > 0) {
      log.info("readers reconnect: the new publisher's media differ", {
        path: session.path,
        closed,
      });
    }
    session.stream = stream;
    state.conn.expireAfter(0);
    state.conn.reply(req, 200, [["Session", session.id]]);
    log.info("path published", { path: session.path, tracks: stream.trackCount });
    this.#deps.onPublish?.({ type: "publish", path: session.path });
  }

  /**
   * A publisher's session ended (TEARDOWN or its connection closed): its path loses its publisher
   * unless another connection took it meanwhile.
   *
   * @param state the connection
   * @param session the session
   */
  end(state: ConnState, session: PublisherSession): void {
    const stream = session.stream;
    if (!stream || stream.publisher !== state.conn) return;
    stream.unpublish();
    this.#deps.log.info("path unpublished", { path: stream.path });
    this.#deps.onPublish?.({ type: "unpublish", path: stream.path });
    this.#deps.paths.unpublished(stream);
  }
}
