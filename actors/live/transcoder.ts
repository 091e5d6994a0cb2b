/**
 * The shared live transcoder of one (camera, quality, annotation, delivery), as an XState machine
 * with two parallel regions: `process` (one run, transcoder_run.ts, ⇄ backoff after a failure;
 * its sessions keep their URLs) and `usage` (a reference count of sessions; at zero it lingers
 * `lingerMs`, then stops). Pictures go through the {@linkcode Feed} bound with
 * {@linkcode createTranscoder}, never through context.
 *
 * @module
 */
import { type Actor, assign, createActor, fromCallback, raise, setup } from "xstate";
import { backoffDelay } from "../../models/backoff.ts";
import { Feed } from "./feed.ts";
import type { ProcessGroup } from "../process/process_group.ts";
import { type AnnotationStats, type RunEvent, type RunSpec, startRun } from "./transcoder_run.ts";

/** First retry delay after a failed run. */
export const RETRY_BASE_MS = 500;
/** Longest retry delay. */
export const RETRY_MAX_MS = 5000;

/** Events a transcoder accepts. */
export type TranscoderEvent =
  | { type: "ACQUIRE" }
  | { type: "RELEASE" }
  | { type: "STOP" }
  | RunEvent;

/** A transcoder's context: identity and counters only. */
export interface TranscoderContext {
  key: string;
  refs: number;
  lingerMs: number;
  /** Consecutive failed runs. */
  failures: number;
  /** Runs started after failures. */
  restarts: number;
  lastError: string | null;
}

/** What a transcoder is created with. */
export interface TranscoderInput {
  key: string;
  /** How long it stays warm without sessions. */
  lingerMs: number;
}

/** The transcoder machine; {@linkcode createTranscoder} binds its run to a feed and processes. */
export const transcoderMachine = setup({
  types: {
    context: {} as TranscoderContext,
    events: {} as TranscoderEvent,
    input: {} as TranscoderInput,
  },
  actors: {
    run: fromCallback<TranscoderEvent>(() => {}),
  },
  delays: {
    retry: ({ context }) =>
      backoffDelay(context.failures, { baseMs: RETRY_BASE_MS, maxMs: RETRY_MAX_MS }),
    linger: ({ context }) => context.lingerMs,
  },
  guards: {
    lastRef: ({ context }) => context.refs <= 1,
  },
  actions: {
    addRef: assign(({ context }) => ({ refs: context.refs + 1 })),
    dropRef: assign(({ context }) => ({ refs: Math.max(0, context.refs - 1) })),
    markReady: assign({ failures: 0, lastError: null }),
    recordFailure: assign(({ context, event }) =>
      event.type === "RUN.FAILED"
        ? { failures: context.failures + 1, restarts: context.restarts + 1, lastError: event.error }
        : {}
    ),
  },
}).createMachine({
  id: "transcoder",
  initial: "on",
  context: ({ input }) => ({
    key: input.key,
    refs: 0,
    lingerMs: input.lingerMs,
    failures: 0,
    restarts: 0,
    lastError: null,
  }),
  states: {
    on: {
      type: "parallel",
      on: { STOP: "off" },
      states: {
        process: {
          initial: "running",
          states: {
            running: {
              invoke: { src: "run" },
              initial: "starting",
              on: { "RUN.FAILED": { target: "backoff", actions: "recordFailure" } },
              states: {
                starting: { on: { "RUN.READY": { target: "ready", actions: "markReady" } } },
                ready: {},
              },
            },
            backoff: { after: { retry: "running" } },
          },
        },
        usage: {
          initial: "lingering",
          states: {
            held: {
              on: {
                ACQUIRE: { actions: "addRef" },
                RELEASE: [
                  { guard: "lastRef", target: "lingering", actions: "dropRef" },
                  { actions: "dropRef" },
                ],
              },
            },
            lingering: {
              on: { ACQUIRE: { target: "held", actions: "addRef" } },
              after: { linger: { actions: raise({ type: "STOP" }) } },
            },
          },
        },
      },
    },
    off: { type: "final" },
  },
});

/** A running transcoder with its feed. */
export interface Transcoder {
  readonly key: string;
  readonly spec: RunSpec;
  /**
   * A stream copy for the box's relay: no process and no feed units — its sessions' paths
   * forward this relay path (see docs/decisions/relay-rtcp-and-source-alias.md).
   */
  readonly relayFrom?: string;
  readonly feed: Feed;
  readonly actor: Actor<typeof transcoderMachine>;
  /** Annotated runs: pictures drawn and sent bare. */
  readonly annotation: AnnotationStats;
  /** `starting`, `ready`, `retrying` or `stopped`. */
  state(): "starting" | "ready" | "retrying" | "stopped";
}

/**
 * Creates and starts a transcoder (with no session yet: send `ACQUIRE`).
 *
 * @param input key and linger time
 * @param spec plan, source and (annotated) track board
 * @param group the live process group
 * @param relayFrom a stream copy served by forwarding this relay path: no process runs
 * @returns the transcoder
 */
export function createTranscoder(
  input: TranscoderInput,
  spec: RunSpec,
  group: ProcessGroup,
  relayFrom?: string,
): Transcoder {
  const feed = new Feed(spec.plan.codec === "mjpeg" ? "jpeg" : spec.plan.codec);
  const annotation: AnnotationStats = { drawn: 0, bare: 0 };
  const machine = transcoderMachine.provide({
    actors: {
      run: fromCallback<TranscoderEvent>(({ sendBack }) => {
        if (relayFrom === undefined) return startRun(spec, feed, group, sendBack, annotation);
        sendBack({ type: "RUN.READY" });
        return () => {};
      }),
    },
  });
  const actor = createActor(machine, { input, id: `transcoder:${input.key}` });
  actor.start();
  return {
    key: input.key,
    spec,
    relayFrom,
    feed,
    actor,
    annotation,
    state() {
      const snapshot = actor.getSnapshot();
      if (snapshot.status !== "active") return "stopped";
      if (snapshot.matches({ on: { process: { running: "ready" } } })) return "ready";
      if (snapshot.matches({ on: { process: "backoff" } })) return "retrying";
      return "starting";
    },
  };
}
