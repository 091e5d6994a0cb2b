/**
 * A live session's lifecycle (XState, two parallel regions): `output` (starting → live once its
 * tap and sink are up; invoked for the session's whole life, so any end closes it) and `idle`
 * (every `READ` — a pull, a playlist fetch, an open MJPEG response — restarts the watch; `idleMs`
 * without one ends the session). `STOP` ends it too. Quality switches happen in the tap, not here
 * (manager.ts).
 *
 * @module
 */
import { type Actor, assign, createActor, fromCallback, raise, setup } from "xstate";
import type { Tap } from "./feed.ts";
import type { SessionSink } from "./sinks.ts";

/** Events a session accepts. */
export type SessionEvent =
  | { type: "READ" }
  | { type: "STOP"; reason: string }
  | { type: "OUTPUT.READY" };

/** A session's context. */
export interface SessionContext {
  id: string;
  idleMs: number;
  /** Why it ended, once it has. */
  endedBecause: string | null;
}

/** What a session is created with. */
export interface SessionInput {
  id: string;
  idleMs: number;
}

/** The session machine; {@linkcode createSessionActor} binds its output. */
export const sessionMachine = setup({
  types: {
    context: {} as SessionContext,
    events: {} as SessionEvent,
    input: {} as SessionInput,
  },
  actors: {
    output: fromCallback<SessionEvent>(() => {}),
  },
  delays: {
    idle: ({ context }) => context.idleMs,
  },
}).createMachine({
  id: "session",
  initial: "on",
  context: ({ input }) => ({ id: input.id, idleMs: input.idleMs, endedBecause: null }),
  states: {
    on: {
      type: "parallel",
      invoke: { src: "output" },
      on: {
        STOP: {
          target: "ended",
          actions: assign(({ event }) => ({ endedBecause: event.reason })),
        },
      },
      states: {
        output: {
          initial: "starting",
          states: {
            starting: { on: { "OUTPUT.READY": "live" } },
            live: {},
          },
        },
        idle: {
          initial: "waiting",
          states: {
            // The idle clock starts once there is something to read: a slow start is not idleness.
            waiting: { on: { "OUTPUT.READY": "watching" } },
            watching: {
              on: { READ: { target: "watching", reenter: true } },
              after: {
                idle: {
                  actions: raise({ type: "STOP", reason: "nobody read it (idle timeout)" }),
                },
              },
            },
          },
        },
      },
    },
    ended: { type: "final" },
  },
});

/** A session actor. */
export type SessionActor = Actor<typeof sessionMachine>;

/**
 * Creates and starts a session actor whose output is `tap` into `sink`.
 *
 * @param input session id and idle timeout
 * @param tap the session's tap (closed when the session ends)
 * @param sink the session's output (closed when the session ends; `closed` settles after)
 * @returns the actor and a promise that settles once the output is closed after the end
 */
export function createSessionActor(
  input: SessionInput,
  tap: Tap,
  sink: SessionSink,
): { actor: SessionActor; closed: Promise<void> } {
  let markClosed = () => {};
  const closed = new Promise<void>((resolve) => (markClosed = resolve));
  const machine = sessionMachine.provide({
    actors: {
      output: fromCallback<SessionEvent>(({ sendBack }) => {
        let ended = false;
        void sink.ready.then(() => {
          if (!ended) sendBack({ type: "OUTPUT.READY" });
        });
        return () => {
          ended = true;
          tap.close();
          void sink.close().finally(markClosed);
        };
      }),
    },
  });
  const actor = createActor(machine, { input, id: `session:${input.id}` });
  actor.start();
  return { actor, closed };
}
