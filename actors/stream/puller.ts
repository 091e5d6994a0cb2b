/**
 * A puller: what pulls a camera stream into its relay path, as a statechart: connecting →
 * publishing; a failure, or no packet for `stallMs`, → probing (a TCP connect to the camera,
 * actors/stream/source_probe.ts, until it answers: a dead camera gets no new session) → backoff on
 * the camera's schedule (models/backoff.ts) → again. Plain RTSP over TCP is pulled by Vigil's own
 * client (rtsp_client.ts) publishing in process; rtsps, http, UDP cameras and a camera the client
 * cannot handle (it refuses TCP, an SDP it cannot use) by one `ffmpeg -c copy`
 * (models/media/ffmpeg_args.ts `pullerArgs`). Readers stay attached to the relay through its
 * reconnects. The hub creates and stops pullers. See docs/decisions/own-rtsp-client.md,
 * own-rtsp-relay.md and dead-camera-probe.md.
 *
 * @module
 */

import { assign, setup, type SnapshotFrom } from "xstate";
import { BACKOFF_BASE_MS, backoffDelay } from "../../models/backoff.ts";
import { type PullEngine, pullEngine } from "../../models/rtsp/client_session.ts";
import type { RtspTransport } from "../../models/media/ffmpeg_args.ts";
import {
  PULLER_RETRY_MAX_MS,
  type PullerEvent,
  type PullerInput,
  pullSession,
} from "./pull_sessions.ts";
import { probeSource } from "./source_probe.ts";

/** A puller's context: counters, never media. */
export interface PullerContext {
  input: PullerInput;
  /** Who pulls: the RTSP client, or ffmpeg (for what the client does not speak). */
  engine: PullEngine;
  /** The RTSP transport ffmpeg uses (UDP for a camera that refused TCP to the client). */
  transport: RtspTransport | undefined;
  failures: number;
  reconnects: number;
  lastError: string | null;
  pid: number | null;
  /** When it last started publishing, epoch ms. */
  since: number | null;
  /** When the source stopped answering (first failure since publishing), epoch ms. */
  downSince: number | null;
  /** Publishing, but no packet for `PULLER_QUIET_MS`. */
  quiet: boolean;
}

/** The puller statechart. */
export const pullerMachine = setup({
  types: {
    context: {} as PullerContext,
    events: {} as PullerEvent,
    input: {} as PullerInput,
  },
  actors: { pull: pullSession, probe: probeSource },
  delays: {
    // The probe's answer is the go-ahead after an outage; retries that fail again slow down.
    backoff: ({ context }) =>
      context.failures <= 1 ? 0 : backoffDelay(context.failures - 1, {
        baseMs: BACKOFF_BASE_MS,
        maxMs: PULLER_RETRY_MAX_MS,
      }),
  },
  guards: {
    fatal: ({ event }) => event.type === "PULLER.FAILED" && event.fatal,
    fallback: ({ context, event }) =>
      event.type === "PULLER.FAILED" && event.fallback !== undefined && context.engine === "client",
  },
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
    // The camera needs what only ffmpeg speaks: it pulls from now on, at once.
    useFfmpeg: assign(({ context, event }) =>
      event.type === "PULLER.FAILED"
        ? {
          engine: "ffmpeg" as const,
          transport: event.fallback?.transport ?? context.transport,
          lastError: event.error,
        }
        : {}
    ),
    countReconnect: assign(({ context }) => ({ reconnects: context.reconnects + 1 })),
  },
}).createMachine({
  id: "puller",
  initial: "running",
  context: ({ input }) => ({
    input,
    engine: pullEngine(input.url, input.transport),
    transport: input.transport,
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
      invoke: {
        src: "pull",
        input: ({ context }) => ({
          ...context.input,
          engine: context.engine,
          transport: context.transport,
        }),
      },
      on: {
        "PULLER.FAILED": [
          { guard: "fallback", target: "running", reenter: true, actions: "useFfmpeg" },
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
    /** No session while the camera does not answer: probes only. */
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
