/**
 * The sessions a puller (puller.ts) runs, one at a time: Vigil's own RTSP client publishing the
 * camera in process, or one `ffmpeg -c copy` publishing it over RTSP. Both are watched the same
 * way, through the relay's numbers of the path: published once packets arrive, quiet after
 * {@linkcode PULLER_QUIET_MS} without one, failed after `stallMs`. Why two:
 * docs/decisions/own-rtsp-client.md.
 *
 * @module
 */

import { type EventObject, fromCallback } from "xstate";
import { PROBE_SLOW_INTERVAL_MS } from "../../models/backoff.ts";
import {
  DEFAULT_TIMEOUT_MS,
  pullerArgs,
  type RtspTransport,
} from "../../models/media/ffmpeg_args.ts";
import { StderrParser } from "../../models/media/ffmpeg_stderr.ts";
import type { ExtraScheme } from "../../models/media/rtsp_url.ts";
import { createLogger, type Logger, redact } from "../../models/log.ts";
import { ValidationError } from "../../models/errors.ts";
import type { Sdp } from "../../models/rtsp/sdp.ts";
import type { PullEngine } from "../../models/rtsp/client_session.ts";
import type { StreamPublisher, StreamStats } from "./rtsp_stream.ts";
import type { Publication } from "./rtsp_server_types.ts";
import { RtspClient, RtspClientError } from "./rtsp_client.ts";
import { type ChildProcess, describeExit, spawnChild } from "../process/child.ts";

/** No packet for this long while publishing → the session is restarted. */
export const PULLER_STALL_MS = 10_000;
/**
 * No packet for this long while publishing → the source counts as down (the camera's state leaves
 * `live`) although ffmpeg waits on: a camera sends several packets a second, and a user should see
 * within 2 s that it stopped (issue 21, finding 6).
 */
export const PULLER_QUIET_MS = 1500;
/** ffmpeg that has not published within this long is restarted. */
export const PULLER_CONNECT_MS = 20_000;
/**
 * Longest wait before ffmpeg starts again once the camera answers the probe. The first start after
 * an outage comes at once; a camera that answers but whose stream fails again (a wrong path or
 * password) is retried ever more slowly, 250 ms doubling up to the probes' slow pace.
 */
export const PULLER_RETRY_MAX_MS = PROBE_SLOW_INTERVAL_MS;
/** How often the relay's numbers are looked at. */
const POLL_MS = 200;

/** What a puller pulls and where it publishes. */
export interface PullerInput {
  /** The camera URL, credentials included. */
  url: string;
  transport?: RtspTransport;
  /** The relay path it publishes. */
  path: string;
  /** The relay URL an ffmpeg publishes to, internal credentials included. */
  publishUrl: string;
  /** Publishes the path in process (what the RTSP client feeds). */
  publish: (sdp: Sdp, publisher: StreamPublisher) => Publication;
  /** The relay's numbers of `path` (to see packets arrive). */
  stats: () => StreamStats | null;
  /** Where each session's end (and an ffmpeg's PID) is reported: the hub awaits them at stop. */
  track: (exited: Promise<unknown>, pid: number | null) => void;
  /** Camera socket timeout, ms. */
  timeoutMs?: number;
  stallMs?: number;
  allowSchemes?: readonly ExtraScheme[];
  ffmpegPath?: string;
}
/** Events of the puller machine. */
export type PullerEvent =
  | { type: "PULLER.PUBLISHED"; pid: number | null }
  | {
    type: "PULLER.FAILED";
    error: string;
    fatal: boolean;
    /** The RTSP client cannot pull this camera: ffmpeg takes over, over this transport. */
    fallback?: { transport: RtspTransport | undefined };
  }
  | { type: "PULLER.QUIET"; quiet: boolean }
  | { type: "PROBE.ANSWERED" };

/**
 * Runs one session of the engine given: the RTSP client, or ffmpeg. Cleanup ends it.
 */
export const pullSession = fromCallback<
  EventObject,
  PullerInput & { engine: PullEngine },
  PullerEvent
>(
  ({ input, sendBack }) =>
    input.engine === "client" ? runClient(input, sendBack) : runProcess(input, sendBack),
);

/** What a session tells its puller. */
type SendBack = (event: PullerEvent) => void;

/**
 * Watches the relay's numbers of the session's path: `PULLER.PUBLISHED` once a packet arrived
 * after `started`, `PULLER.QUIET` on and off, and `fail` when nothing is published in time or the
 * packets stop for `stallMs`.
 *
 * @returns a function that stops watching
 */
function watchPublishing(
  input: PullerInput,
  pid: number | null,
  sendBack: SendBack,
  fail: (error: string) => void,
  log: Logger,
): () => void {
  const started = Date.now();
  const stallMs = input.stallMs ?? PULLER_STALL_MS;
  let published = false;
  let quiet = false;
  const poll = setInterval(() => {
    const stats = input.stats();
    const now = Date.now();
    const last = stats?.lastPacketAt ?? null;
    if (!published) {
      if (stats?.publishing && last !== null && last >= started) {
        published = true;
        log.info("puller publishing", { pid });
        sendBack({ type: "PULLER.PUBLISHED", pid });
      } else if (now - started > PULLER_CONNECT_MS) {
        fail(`puller: nothing published within ${PULLER_CONNECT_MS} ms`);
      }
    } else if (last !== null && now - last > stallMs) {
      fail(`puller: no packet for ${stallMs} ms (stalled)`);
    } else if ((last !== null && now - last > PULLER_QUIET_MS) !== quiet) {
      quiet = !quiet;
      sendBack({ type: "PULLER.QUIET", quiet });
    }
  }, POLL_MS);
  return () => clearInterval(poll);
}

/**
 * Pulls the camera with Vigil's RTSP client and publishes its path in process: no process, no
 * second RTSP hop. Reports `PULLER.FAILED` with `fallback` when the camera needs what only ffmpeg
 * speaks (no RTP over TCP, an SDP the client cannot use). Cleanup sends TEARDOWN.
 */
function runClient(input: PullerInput, sendBack: SendBack): () => void {
  const log = createLogger("puller", { path: input.path });
  let stopping = false;
  let reported = false;
  let client: RtspClient | null = null;
  let publication: Publication | null = null;
  let closing: Promise<void> = Promise.resolve();
  let ended: () => void = () => {};
  const endedOnce = new Promise<void>((resolve) => (ended = resolve));
  // Ends a handshake in progress: a camera that never answers does not hold the hub's stop.
  const handshake = new AbortController();
  const end = () => {
    handshake.abort();
    stopWatching();
    publication?.unpublish();
    publication = null;
    if (client) closing = client.close();
    client = null;
    ended();
  };
  const fail = (error: string, fallback?: { transport: RtspTransport | undefined }) => {
    if (stopping || reported) return;
    reported = true;
    log.warn("puller failed", { error: String(redact(error)), fallback: fallback !== undefined });
    sendBack({ type: "PULLER.FAILED", error: String(redact(error)), fatal: false, fallback });
    end();
  };
  // Another publisher took the path (the server closes, or a forced takeover).
  const publisher: StreamPublisher = { close: () => fail("puller: the relay closed the path") };
  const stopWatching = watchPublishing(input, null, sendBack, fail, log);
  const opened = RtspClient.open({
    url: input.url,
    timeoutMs: input.timeoutMs ?? DEFAULT_TIMEOUT_MS,
    signal: handshake.signal,
    // Published before PLAY, so the first keyframe's packets are not lost.
    onPlay: (sdp) => {
      publication = input.publish(sdp, publisher);
    },
    onPacket: (track, rtcp, packet) => publication?.forward(track, rtcp, packet),
    onClose: (error) => fail(`puller: ${error.message}`),
  }).then((opened) => {
    if (stopping || reported) return opened.close();
    client = opened;
    log.debug("rtsp client playing", { tracks: opened.sdp.media.length });
  }, (error) => {
    publication?.unpublish();
    publication = null;
    const code = error instanceof RtspClientError ? error.code : null;
    fail(
      `puller: ${error instanceof Error ? error.message : error}`,
      code === "udp-only"
        ? { transport: "udp" }
        : code === "unsupported"
        ? { transport: input.transport }
        : undefined,
    );
  });
  input.track(opened.then(() => endedOnce).then(() => closing), null);
  return () => {
    stopping = true;
    end();
  };
}

/**
 * Runs one ffmpeg and reports `PULLER.PUBLISHED` once the relay receives its packets, or
 * `PULLER.FAILED` when it exits, stalls or never publishes. Cleanup kills it.
 */
function runProcess(input: PullerInput, sendBack: SendBack): () => void {
  const log = createLogger("puller", { path: input.path });
  let args: string[];
  try {
    args = pullerArgs({
      url: input.url,
      transport: input.transport,
      timeoutMs: input.timeoutMs,
      allowSchemes: input.allowSchemes,
      output: input.publishUrl,
    });
  } catch (err) {
    const fatal = err instanceof ValidationError;
    queueMicrotask(() => sendBack({ type: "PULLER.FAILED", error: `puller: ${err}`, fatal }));
    return () => {};
  }
  const parser = new StderrParser();
  let child: ChildProcess;
  try {
    child = spawnChild(input.ffmpegPath ?? "ffmpeg", {
      args,
      onStderrLine: (line) => parser.push(line),
    });
  } catch (err) {
    const error = `puller: cannot start ffmpeg: ${err instanceof Error ? err.message : err}`;
    queueMicrotask(() => sendBack({ type: "PULLER.FAILED", error, fatal: true }));
    return () => {};
  }
  let stopping = false;
  let reported = false;
  const fail = (error: string) => {
    if (stopping || reported) return;
    reported = true;
    log.warn("puller failed", { error, pid: child.pid });
    sendBack({ type: "PULLER.FAILED", error: String(redact(error)), fatal: false });
    kill();
  };
  const kill = () => {
    stopWatching();
    void child.stop();
  };
  const exited = child.done.then((status) => {
    const error = parser.lastError;
    fail(`puller: stream ended (ffmpeg ${describeExit(status)})${error ? `: ${error}` : ""}`);
  });
  input.track(exited, child.pid);
  log.debug("ffmpeg started", { pid: child.pid });
  // kill() (called only after this point) stops it.
  const stopWatching = watchPublishing(input, child.pid, sendBack, fail, log);
  return () => {
    stopping = true;
    kill();
  };
}
