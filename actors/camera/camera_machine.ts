/**
 * The per-camera statechart, three parallel regions: `stream` (offline → connecting → live ⇄
 * backoff: one invoked capture, retried on the schedule of models/backoff.ts, a bad source URL
 * fatal; live ⇄ sourceLost while the `source` child says the camera is gone, which capture cannot
 * see through the relay), `analytics` (detached ⇄ attached: the `analysis` child the unit
 * supplies) and `recording` (idle → recording → finalizing, one `recorder` child that answers
 * `RECORDING.FINALIZED` once the open segment is indexed). Context holds configuration, settings
 * and counters only; frames live in the camera's {@linkcode CaptureHandle}.
 *
 * @module
 */

import {
  type Actor,
  type AnyActorLogic,
  assign,
  createActor,
  fromCallback,
  sendTo,
  setup,
  type SnapshotFrom,
} from "xstate";
import { BACKOFF_BASE_MS, BACKOFF_MAX_MS, backoffDelay } from "../../models/backoff.ts";
import type { FrameSlot } from "../../models/media/frame_slot.ts";
import type { RtspTransport } from "../../models/media/ffmpeg_args.ts";
import type { StreamInfo } from "../../models/media/ffmpeg_stderr.ts";
import type { ExtraScheme } from "../../models/media/rtsp_url.ts";
import {
  type CaptureConfig,
  CaptureHandle,
  type CaptureParentEvent,
  type CaptureStats,
  createCaptureLogic,
} from "./capture.ts";

/** What a camera actor is created with. */
export interface CameraInput {
  /** Camera id (database row id). */
  id: string;
  /** Source URL with credentials. */
  sourceUrl: string;
  /** RTSP transport. Default `"tcp"`. */
  transport?: RtspTransport;
  /** Width of analysis frames. */
  analysisWidth: number;
  /** Height of analysis frames. */
  analysisHeight: number;
  /** Analysis frames per second. */
  fps: number;
  /** Stall watchdog in ms. Default: capture's `STALL_MS` (5000). */
  stallMs?: number;
  /** RTSP socket timeout in ms. Default 5000. */
  timeoutMs?: number;
  /** Non-RTSP schemes allowed for this camera. */
  allowSchemes?: readonly ExtraScheme[];
}

/** Source settings a running camera can be given with `CAMERA.UPDATE`. */
export type CameraSourceUpdate = Partial<Omit<CameraInput, "id">>;

/** Events the recorder child accepts from the camera (see actors/recording/recorder.ts). */
export type RecorderEvent =
  | { type: "RECORDER.SETTINGS"; settings: unknown }
  | { type: "RECORDER.FINALIZE" };

/** Events a camera actor accepts. */
export type CameraEvent =
  | { type: "CAPTURE.START" }
  | { type: "CAPTURE.STOP" }
  | CaptureParentEvent
  | { type: "CAMERA.UPDATE"; source: CameraSourceUpdate }
  | { type: "SOURCE.UP" }
  | { type: "SOURCE.DOWN"; error: string | null }
  | { type: "ANALYTICS.ATTACH"; settings: unknown }
  | { type: "ANALYTICS.DETACH" }
  | { type: "RECORDING.START"; settings: unknown }
  | { type: "RECORDING.STOP" }
  | { type: "RECORDING.FINALIZED" };

/** A camera actor's context: configuration, settings, counters. Never frames. */
export interface CameraContext {
  /** Camera id. */
  id: string;
  /** Source and analysis configuration. */
  source: Omit<CameraInput, "id">;
  /** Consecutive failures since the last live frame (drives the backoff). */
  failures: number;
  /** Capture restarts after failures since the actor started. */
  reconnects: number;
  /** Last failure, redacted. */
  lastError: string | null;
  /** The `source` child last said the camera's source is down. */
  sourceDown: boolean;
  /** Input stream as last reported by ffmpeg. */
  info: StreamInfo | null;
  /** Analytics settings while attached. */
  analytics: unknown;
  /** Recording settings while recording or finalizing. */
  recording: unknown;
}

function captureConfig(context: CameraContext): CaptureConfig {
  const s = context.source;
  return {
    id: context.id,
    url: s.sourceUrl,
    transport: s.transport,
    width: s.analysisWidth,
    height: s.analysisHeight,
    fps: s.fps,
    stallMs: s.stallMs,
    timeoutMs: s.timeoutMs,
    allowSchemes: s.allowSchemes,
  };
}

/**
 * The camera machine. Its default `capture` actor gives each capture a private frame handle, which
 * suits state-only use; {@linkcode createCamera} binds a handle you can read frames from.
 */
export const cameraMachine = setup({
  types: {
    context: {} as CameraContext,
    events: {} as CameraEvent,
    input: {} as CameraInput,
  },
  actors: {
    capture: createCaptureLogic(),
    // Held while the stream is active (across capture restarts and backoff): the fleet's holds a
    // hub lease (the puller outlives capture's reconnects) and sends SOURCE.UP/DOWN from it.
    source: fromCallback(() => {}),
    // Replaced by the fleet with the real analysis (actors/camera/analysis.ts) bound to this
    // camera's frames and writers; on its own the machine only keeps the analytics state.
    analysis: fromCallback<
      { type: "ANALYTICS.SETTINGS"; settings: unknown },
      { settings: unknown }
    >(
      () => {},
    ),
    // Replaced by the fleet with the real recorder (actors/recording/recorder.ts); on its own the
    // machine keeps the recording state and waits for `RECORDING.FINALIZED` from outside.
    recorder: fromCallback<RecorderEvent, { settings: unknown }>(() => {}),
  },
  delays: {
    backoff: ({ context }) =>
      backoffDelay(context.failures, { baseMs: BACKOFF_BASE_MS, maxMs: BACKOFF_MAX_MS }),
  },
  guards: {
    fatal: ({ event }) => event.type === "CAPTURE.FAILED" && event.fatal,
    sourceDown: ({ context }) => context.sourceDown,
  },
  actions: {
    recordFailure: assign(({ context, event }) =>
      event.type === "CAPTURE.FAILED"
        ? { failures: context.failures + 1, lastError: event.error }
        : {}
    ),
    markLive: assign(({ event }) =>
      event.type === "CAPTURE.LIVE" ? { failures: 0, lastError: null, info: event.info } : {}
    ),
    // SOURCE.DOWN brings the source's error; anything else (up, stop) takes it away.
    noteSource: assign(({ context: c, event: e }) =>
      e.type === "SOURCE.DOWN"
        ? { sourceDown: true, lastError: e.error }
        : { sourceDown: false, lastError: c.sourceDown ? null : c.lastError }
    ),
    countReconnect: assign(({ context }) => ({ reconnects: context.reconnects + 1 })),
    resetFailures: assign({ failures: 0 }),
    updateSource: assign(({ context, event }) =>
      event.type === "CAMERA.UPDATE" ? { source: { ...context.source, ...event.source } } : {}
    ),
    storeAnalytics: assign(({ event }) =>
      event.type === "ANALYTICS.ATTACH" ? { analytics: event.settings } : {}
    ),
    clearAnalytics: assign({ analytics: null }),
    storeRecording: assign(({ event }) =>
      event.type === "RECORDING.START" ? { recording: event.settings } : {}
    ),
    clearRecording: assign({ recording: null }),
  },
}).createMachine({
  id: "camera",
  type: "parallel",
  context: ({ input }) => {
    const { id, ...source } = input;
    return {
      id,
      source,
      failures: 0,
      reconnects: 0,
      lastError: null,
      sourceDown: false,
      info: null,
      analytics: null,
      recording: null,
    };
  },
  states: {
    stream: {
      initial: "offline",
      states: {
        offline: {
          on: {
            "CAPTURE.START": { target: "active", actions: "resetFailures" },
            "CAMERA.UPDATE": { actions: "updateSource" },
          },
        },
        active: {
          initial: "capturing",
          invoke: { src: "source" },
          on: {
            "CAPTURE.STOP": { target: "offline", actions: "noteSource" },
            "SOURCE.*": { actions: "noteSource" },
            // A new URL or size means a new ffmpeg: re-enter to restart the capture.
            "CAMERA.UPDATE": {
              target: ".capturing",
              reenter: true,
              actions: ["updateSource", "resetFailures"],
            },
          },
          states: {
            capturing: {
              initial: "connecting",
              invoke: { src: "capture", input: ({ context }) => captureConfig(context) },
              on: {
                "CAPTURE.FAILED": [
                  { guard: "fatal", target: "#camera.stream.offline", actions: "recordFailure" },
                  { target: "backoff", actions: "recordFailure" },
                ],
              },
              states: {
                connecting: { on: { "CAPTURE.LIVE": { target: "live", actions: "markLive" } } },
                live: { always: { guard: "sourceDown", target: "sourceLost" } },
                // Capture is still attached to the relay, which waits for the camera to return.
                sourceLost: { on: { "SOURCE.UP": { target: "live", actions: "noteSource" } } },
              },
            },
            backoff: {
              after: { backoff: { target: "capturing", actions: "countReconnect" } },
            },
          },
        },
      },
    },
    analytics: {
      initial: "detached",
      states: {
        detached: {
          on: { "ANALYTICS.ATTACH": { target: "attached", actions: "storeAnalytics" } },
        },
        attached: {
          invoke: {
            id: "analysis",
            src: "analysis",
            input: ({ context }) => ({ settings: context.analytics }),
          },
          on: {
            "ANALYTICS.ATTACH": {
              actions: [
                "storeAnalytics",
                sendTo("analysis", ({ event }) => ({
                  type: "ANALYTICS.SETTINGS" as const,
                  settings: event.settings,
                })),
              ],
            },
            "ANALYTICS.DETACH": { target: "detached", actions: "clearAnalytics" },
          },
        },
      },
    },
    recording: {
      initial: "idle",
      states: {
        idle: {
          on: { "RECORDING.START": { target: "on", actions: "storeRecording" } },
        },
        on: {
          initial: "recording",
          invoke: {
            id: "recorder",
            src: "recorder",
            input: ({ context }) => ({ settings: context.recording }),
          },
          on: { "RECORDING.FINALIZED": { target: "idle", actions: "clearRecording" } },
          states: {
            recording: {
              on: {
                "RECORDING.START": {
                  actions: [
                    "storeRecording",
                    sendTo("recorder", ({ event }) => ({
                      type: "RECORDER.SETTINGS" as const,
                      settings: event.settings,
                    })),
                  ],
                },
                "RECORDING.STOP": "finalizing",
              },
            },
            finalizing: {
              entry: sendTo("recorder", { type: "RECORDER.FINALIZE" as const }),
            },
          },
        },
      },
    },
  },
});

/** A camera actor. */
export type CameraActor = Actor<typeof cameraMachine>;
/** A camera actor's snapshot. */
export type CameraSnapshot = SnapshotFrom<typeof cameraMachine>;

/** The flat stream state the API shows. */
export type StreamState = "offline" | "connecting" | "live" | "backoff";

/** A camera's state as the API shows it. */
export interface CameraSummary {
  stream: StreamState;
  analytics: "detached" | "attached";
  recording: "idle" | "recording" | "finalizing";
  /** Last frame time (ISO 8601), `null` before the first frame. */
  lastFrameAt: string | null;
  /** Measured frames per second while live, else `null`. */
  fps: number | null;
  /** Capture restarts after failures. */
  reconnects: number;
  /** Last failure, redacted; `null` once live again. */
  lastError: string | null;
  /** Input stream as ffmpeg reported it. */
  info: StreamInfo | null;
}

/**
 * The flat stream state of a snapshot.
 *
 * @param snapshot a camera snapshot
 * @returns offline, connecting (or capture on a relay whose camera is gone), live or backoff
 */
export function streamState(snapshot: CameraSnapshot): StreamState {
  if (snapshot.matches({ stream: { active: { capturing: "live" } } })) return "live";
  if (snapshot.matches({ stream: { active: "capturing" } })) return "connecting";
  if (snapshot.matches({ stream: { active: "backoff" } })) return "backoff";
  return "offline";
}

/**
 * Summarises a camera for the API.
 *
 * @param snapshot the actor's snapshot
 * @param stats the capture stats from the camera's handle (frame time, measured fps)
 * @returns the summary
 * @example
 * ```ts
 * summarizeCamera(camera.actor.getSnapshot(), camera.capture.stats).stream; // "live"
 * ```
 */
export function summarizeCamera(snapshot: CameraSnapshot, stats?: CaptureStats): CameraSummary {
  const stream = streamState(snapshot);
  const lastFrameAt = stats?.lastFrameAt ?? null;
  return {
    stream,
    analytics: snapshot.matches({ analytics: "attached" }) ? "attached" : "detached",
    recording: snapshot.matches({ recording: { on: "recording" } })
      ? "recording"
      : snapshot.matches({ recording: { on: "finalizing" } })
      ? "finalizing"
      : "idle",
    lastFrameAt: lastFrameAt === null ? null : new Date(lastFrameAt).toISOString(),
    fps: stream === "live" && stats ? Math.round(stats.fps * 100) / 100 : null,
    reconnects: snapshot.context.reconnects,
    lastError: snapshot.context.lastError,
    info: snapshot.context.info,
  };
}

/** A running camera actor with its frame handle. */
export interface Camera {
  /** Camera id. */
  readonly id: string;
  /** The XState actor; send it {@linkcode CameraEvent}s. */
  readonly actor: CameraActor;
  /** Frame slot and capture stats of this camera. */
  readonly capture: CaptureHandle;
  /** Sends an event to the actor. */
  send(event: CameraEvent): void;
  /** The API view of the camera. */
  summary(): CameraSummary;
  /** Stops the actor and resolves once no ffmpeg of this camera is left. */
  stop(): Promise<void>;
}

/** What a camera runs besides capture. */
export interface CameraOptions {
  /**
   * Makes the analysis actor logic, invoked while analytics is attached, from the camera's frame
   * slot (see actors/camera/analysis.ts). Without it the analytics region only keeps its state.
   */
  analysis?: (slot: FrameSlot) => AnyActorLogic;
  /**
   * The recorder actor logic, invoked while recording (see actors/recording/recorder.ts). Without
   * it the recording region only keeps its state.
   */
  recorder?: AnyActorLogic;
  /**
   * Logic invoked while the stream region is active (capturing or in backoff): the fleet's takes
   * a stream hub lease on the camera and releases it on stop.
   */
  source?: AnyActorLogic;
}

/**
 * Creates and starts a camera actor whose captures feed a frame handle of its own.
 *
 * @param input camera id, source and analysis settings
 * @returns the camera
 * @example
 * ```ts
 * const cam = createCamera({ id: "c1", sourceUrl, analysisWidth: 640, analysisHeight: 360, fps: 5 });
 * cam.send({ type: "CAPTURE.START" });
 * const frame = await cam.capture.slot.next();
 * await cam.stop();
 * ```
 */
export function createCamera(input: CameraInput, options: CameraOptions = {}): Camera {
  const capture = new CaptureHandle();
  const machine = cameraMachine.provide({
    actors: {
      capture: createCaptureLogic(capture),
      ...(options.analysis ? { analysis: options.analysis(capture.slot) } : {}),
      ...(options.recorder ? { recorder: options.recorder } : {}),
      ...(options.source ? { source: options.source } : {}),
    },
  });
  const actor = createActor(machine, { input, id: `camera:${input.id}` });
  actor.start();
  return {
    id: input.id,
    actor,
    capture,
    send: (event) => actor.send(event),
    summary: () => summarizeCamera(actor.getSnapshot(), capture.stats),
    async stop() {
      actor.stop();
      await capture.settled();
    },
  };
}
