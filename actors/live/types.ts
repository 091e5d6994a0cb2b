/**
 * The shapes of live sessions: what is asked for, what the manager keeps, and what the API shows.
 *
 * @module
 */
import type { Quality } from "../../models/media/quality.ts";
import { servedAs } from "../../models/media/quality.ts";
import type { PushTarget } from "../../models/net/push_target.ts";
import type { Tap } from "./feed.ts";
import { HlsSink, MjpegSink, RtspSink, type SessionSink } from "./sinks.ts";
import type { SessionActor } from "./session.ts";
import type { Transcoder } from "./transcoder.ts";

/** How a session is delivered. */
export const LIVE_OUTPUTS = ["rtsp", "rtsp-push", "hls", "mjpeg"] as const;
/** One of {@linkcode LIVE_OUTPUTS}. */
export type LiveOutput = typeof LIVE_OUTPUTS[number];

/** A validated request for a session. */
export interface OpenRequest {
  camera: string;
  quality: Quality;
  annotated: boolean;
  output: LiveOutput;
  /** `rtsp-push` only: where to push (checked `rtsp(s)://`, its password apart). */
  target?: PushTarget;
  /** The public id of the token that opens it (its owner); "" with authentication off. */
  owner: string;
  /** The owner is an admin: held to the box's budgets only, not to the per-token quotas. */
  ownerIsAdmin?: boolean;
}

/** A session as the manager keeps it. */
export interface LiveSession {
  id: string;
  request: OpenRequest;
  transcoder: Transcoder;
  sink: SessionSink;
  tap: Tap;
  actor: SessionActor;
  /** Settles once its output is closed after the end. */
  closed: Promise<void>;
  createdAt: string;
  /** Quality switches of this session run one after another. */
  switching: Promise<void>;
  /** A `source` rtsp session: the relay forwards the hub's path as the session's (no process). */
  forwarding?: { stop(): void };
}

/** A session as the API shows it. */
export interface SessionInfo {
  id: string;
  camera: string;
  /** The quality asked for. */
  quality: Quality;
  /** What is served: a rung name or `<height>p`, how, from which camera stream, at what size. */
  served: {
    quality: string;
    mode: "copy" | "encode";
    stream: "main" | "sub";
    codec: string;
    width: number;
    height: number;
    bitrateKbps: number | null;
  };
  annotated: boolean;
  output: LiveOutput;
  /** `rtsp-push` target without its password. */
  target: string | null;
  /** The public id of the token that opened it; null with authentication off. */
  owner: string | null;
  /** `starting`, `live` or `reconnecting` (the camera dropped out; it comes back by itself). */
  state: "starting" | "live" | "reconnecting";
  /** Paths of the outputs on this box (the routes make URLs of them). */
  paths: { rtsp?: string; hls?: string; mjpeg?: string };
  /** Sessions sharing this session's transcoder, this one included. */
  sharedBy: number;
  /** Pictures dropped because the output fell behind. */
  dropped: number;
  /** Annotated sessions: pictures drawn with boxes and sent bare. */
  annotation: { drawn: number; bare: number } | null;
  createdAt: string;
}

/**
 * The key of a shared transcoder.
 *
 * @returns `camera|quality|annotated|delivery`
 */
export function transcoderKey(
  camera: string,
  quality: Quality,
  annotated: boolean,
  delivery: "h264" | "jpeg" | "relay",
): string {
  return `${camera}|${quality}|${annotated ? "annotated" : "plain"}|${delivery}`;
}

/**
 * The API view of a session.
 *
 * @param session the session
 * @returns its info
 */
export function describeSession(session: LiveSession): SessionInfo {
  const { request, transcoder, sink } = session;
  const plan = transcoder.spec.plan;
  const snapshot = session.actor.getSnapshot();
  const state = transcoder.state() === "retrying"
    ? "reconnecting"
    : snapshot.matches({ on: { output: "live" } })
    ? "live"
    : "starting";
  const paths: SessionInfo["paths"] = {};
  if (sink instanceof RtspSink && request.output === "rtsp") paths.rtsp = `/live/${session.id}`;
  if (sink instanceof HlsSink) paths.hls = `/live/${session.id}/index.m3u8`;
  if (sink instanceof MjpegSink) paths.mjpeg = `/live/${session.id}/mjpeg`;
  return {
    id: session.id,
    camera: request.camera,
    quality: request.quality,
    served: {
      quality: servedAs(plan),
      mode: plan.mode,
      stream: plan.stream,
      codec: plan.codec,
      width: plan.width,
      height: plan.height,
      bitrateKbps: plan.mode === "encode" && plan.codec === "h264" ? plan.bitrateKbps : null,
    },
    annotated: request.annotated,
    output: request.output,
    target: request.target?.shown ?? null,
    owner: request.owner === "" ? null : request.owner,
    state,
    paths,
    sharedBy: transcoder.actor.getSnapshot().context.refs,
    dropped: session.tap.dropped,
    annotation: request.annotated ? { ...transcoder.annotation } : null,
    createdAt: session.createdAt,
  };
}
