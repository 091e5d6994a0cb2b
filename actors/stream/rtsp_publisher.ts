/**
 * Publisher handling of Vigil's RTSP server: ANNOUNCE, SETUP of a publisher and RECORD.
 *
 * @module
 */

import { header, type RtspRequest } from "../../models/rtsp/message.ts";
import { validPath } from "../../models/rtsp/url.ts";
import { mediaIndexForControl, parseSdp, type Sdp } from "../../models/rtsp/sdp.ts";
import { formatTransport, parseTransport } from "../../models/rtsp/transport.ts";
import { Stream } from "./rtsp_stream.ts";
import {
  type ConnState,
  type PublisherSession,
  type ServerCtx,
  SESSION_TIMEOUT_S,
} from "./rtsp_server_types.ts";

/** The publisher request handlers of a server. */
export function publisherHandlers(ctx: ServerCtx) {
  const { limits, options, log, streams, graceTimers } = ctx;
  const { randomHex, reply, checkAuth, notify } = ctx;

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

  return { announce, publisherSetup, record };
}
