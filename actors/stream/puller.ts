/**
 * A puller: the one `ffmpeg -c copy` that pulls a camera stream and publishes it to the relay
 * (models/media/ffmpeg_args.ts `pullerArgs`), as a statechart: connecting → publishing; an exit,
 * or no packet for `stallMs`, → probing (a TCP connect to the camera, actors/stream/source_probe.ts,
 * until it answers: a dead camera starts no ffmpeg) → backoff on the camera's schedule
 * (models/backoff.ts) → again. Readers stay attached to the relay through its reconnects. The hub
 * creates and stops pullers. See docs/decisions/own-rtsp-relay.md and dead-camera-probe.md.
 *
 * @module
 */

import { assign, type EventObject, fromCallback, setup, type SnapshotFrom } from "xstate";
import { BACKOFF_BASE_MS, backoffDelay, PROBE_SLOW_INTERVAL_MS } from "../../models/backoff.ts";
import { pullerArgs, type RtspTransport } from "../../models/media/ffmpeg_args.ts";
import { StderrParser } from "../../models/media/ffmpeg_stderr.ts";
import type { ExtraScheme } from "../../models/media/rtsp_url.ts";
import { createLogger, redact } from "../../models/log.ts";
import { ValidationError } from "../../models/errors.ts";
import type { StreamStats } from "./rtsp_stream.ts";
import { type ChildProcess, describeExit, spawnChild } from "../process/child.ts";
import { probeSource } from "./source_probe.ts";

/** No packet for this long while publishing → ffmpeg is restarted. */
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
  /** The relay URL to publish to, internal credentials included. */
  publishUrl: string;
  /** The relay's numbers of `path` (to see packets arrive). */
  stats: () => StreamStats | null;
  /** Where each ffmpeg's PID and exit are reported (the hub awaits them at stop). */
  track: (pid: number, exited: Promise<unknown>) => void;
  /** Camera socket timeout, ms. */
  timeoutMs?: number;
  stallMs?: number;
  allowSchemes?: readonly ExtraScheme[];
  ffmpegPath?: string;
}

/** Events of the puller machine. */
export type PullerEvent =
  | { type: "PULLER.PUBLISHED"; pid: number }
  | { type: "PULLER.FAILED"; error: string; fatal: boolean }
  | { type: "PULLER.QUIET"; quiet: boolean }
  | { type: "PROBE.ANSWERED" };

/** A puller's context: counters, never media. */
export interface PullerContext {
  input: PullerInput;
  failures: number;
  reconnects: number;
  lastError: string | null;
  pid: number | null;
  /** When it last started publishing, epoch ms. */
  since: number | null;
  /** When the source stopped answering (first failure since publishing), epoch ms. */
  downSince: number | null;
  /** Publishing, but no packet for {@linkcode PULLER_QUIET_MS}. */
  quiet: boolean;
}

/**
 * Runs one ffmpeg and reports `PULLER.PUBLISHED` once the relay receives its packets, or
 * `PULLER.FAILED` when it exits, stalls or never publishes. Cleanup kills it.
 */
const pullProcess = fromCallback<EventObject, PullerInput>(({ input, sendBack }) => {
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
  const started = Date.now();
  let stopping = false;
  let reported = false;
  let published = false;
  let quiet = false;
  const fail = (error: string) => {
    if (stopping || reported) return;
    reported = true;
    log.warn("puller failed", { error, pid: child.pid });
    sendBack({ type: "PULLER.FAILED", error: String(redact(error)), fatal: false });
    kill();
  };
  const kill = () => {
    clearInterval(poll);
    void child.stop();
  };
  const exited = child.done.then((status) => {
    const error = parser.lastError;
    fail(`puller: stream ended (ffmpeg ${describeExit(status)})${error ? `: ${error}` : ""}`);
  });
  input.track(child.pid, exited);
  log.debug("ffmpeg started", { pid: child.pid });
  const stallMs = input.stallMs ?? PULLER_STALL_MS;
  // kill() (called only after this point) clears it.
  const poll = setInterval(() => {
    const stats = input.stats();
    const now = Date.now();
    const last = stats?.lastPacketAt ?? null;
    if (!published) {
      if (stats?.publishing && last !== null && last >= started) {
        published = true;
        log.info("puller publishing", { pid: child.pid });
        sendBack({ type: "PULLER.PUBLISHED", pid: child.pid });
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
  return () => {
    stopping = true;
    kill();
  };
});

/** The puller statechart. */
export const pullerMachine = setup({
  types: {
    context: {} as PullerContext,
    events: {} as PullerEvent,
    input: {} as PullerInput,
  },
  actors: { pull: pullProcess, probe: probeSource },
  delays: {
    // The probe's answer is the go-ahead after an outage; retries that fail again slow down.
    backoff: ({ context }) =>
      context.failures <= 1 ? 0 : backoffDelay(context.failures - 1, {
        baseMs: BACKOFF_BASE_MS,
        maxMs: PULLER_RETRY_MAX_MS,
      }),
  },
  guards: { fatal: ({ event }) => event.type === "PULLER.FAILED" && event.fatal },
  actions: {
    recordFailure: assign(({ context, event }) =>
      event.type === "PULLER.FAILED"
        ? {
          failures: context.failures + 1,
          lastError: event.error,
          pid: null,
          since: null,
          downSince: context.downSince ?? Date.now(),
          quiet: false,
        }
        : {}
    ),
    markPublishing: assign(({ event }) =>
      event.type === "PULLER.PUBLISHED"
        ? {
          failures: 0,
          lastError: null,
          pid: event.pid,
          since: Date.now(),
          downSince: null,
          quiet: false,
        }
        : {}
    ),
    markQuiet: assign(({ event }) =>
      event.type === "PULLER.QUIET"
        ? { quiet: event.quiet, lastError: event.quiet ? "puller: the camera sends nothing" : null }
        : {}
    ),
    countReconnect: assign(({ context }) => ({ reconnects: context.reconnects + 1 })),
  },
}).createMachine({
  id: "puller",
  initial: "running",
  context: ({ input }) => ({
    input,
    failures: 0,
    reconnects: 0,
    lastError: null,
    pid: null,
    since: null,
    downSince: null,
    quiet: false,
  }),
  states: {
    running: {
      initial: "connecting",
      invoke: { src: "pull", input: ({ context }) => context.input },
      on: {
        "PULLER.FAILED": [
          { guard: "fatal", target: "failed", actions: "recordFailure" },
          { target: "probing", actions: "recordFailure" },
        ],
      },
      states: {
        connecting: {
          on: { "PULLER.PUBLISHED": { target: "publishing", actions: "markPublishing" } },
        },
        publishing: { on: { "PULLER.QUIET": { actions: "markQuiet" } } },
      },
    },
    /** No ffmpeg while the camera does not answer: probes only. */
    probing: {
      invoke: {
        src: "probe",
        input: ({ context }) => ({
          url: context.input.url,
          downSince: context.downSince ?? Date.now(),
        }),
      },
      on: { "PROBE.ANSWERED": "backoff" },
    },
    backoff: {
      after: { backoff: { target: "running", actions: "countReconnect" } },
    },
    /** A source that can never work (a bad URL): no retry loop. */
    failed: {},
  },
});

/** A puller's snapshot. */
export type PullerSnapshot = SnapshotFrom<typeof pullerMachine>;

/** The flat state the API shows. */
export type PullerState = "idle" | "connecting" | "publishing" | "backoff" | "failed";

/**
 * The flat state of a puller snapshot.
 *
 * @param snapshot the puller's snapshot
 * @returns connecting, publishing, backoff (waiting to retry, probing included) or failed
 */
export function pullerState(snapshot: PullerSnapshot): PullerState {
  if (snapshot.matches({ running: "publishing" })) return "publishing";
  if (snapshot.matches({ running: "connecting" })) return "connecting";
  if (snapshot.matches("backoff") || snapshot.matches("probing")) return "backoff";
  return "failed";
}
