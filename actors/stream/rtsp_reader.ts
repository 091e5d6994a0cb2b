/**
 * Reader handling of Vigil's RTSP server: DESCRIBE, SETUP of a reader and PLAY, and the stream a
 * reader's path resolves to (demanding its source when needed).
 *
 * @module
 */

import { header, type RtspRequest } from "../../models/rtsp/message.ts";
import { splitTrack, validPath } from "../../models/rtsp/url.ts";
import { formatTransport, parseTransport } from "../../models/rtsp/transport.ts";
import type { Stream } from "./rtsp_stream.ts";
import { type ConnState, type ServerCtx, SESSION_TIMEOUT_S } from "./rtsp_server_types.ts";

/** The reader request handlers of a server. */
export function readerHandlers(ctx: ServerCtx) {
  const { limits, options, log, streams, readerCounts, urlHost, port } = ctx;
  const { randomHex, reply, checkAuth, waitForStream } = ctx;

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
        if (onPath >= limits.maxReadersPerPath || ctx.readers.total >= limits.maxReaders) {
          log.warn("reader refused: limit reached", {
            path: stream.path,
            onPath,
            totalReaders: ctx.readers.total,
          });
          return reply(state, req, 453);
        }
        readerCounts.set(stream.path, onPath + 1);
        ctx.readers.total++;
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

  return { streamFor, describe, readerSetup, play };
}
