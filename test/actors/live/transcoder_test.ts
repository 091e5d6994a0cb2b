/**
 * The transcoder machine's own rules — reference counting, linger, retry — with its run replaced
 * by a scripted one (the real runs, with ffmpeg, are exercised by test/routes/live_test.ts).
 */
import assert from "node:assert/strict";
import { createActor, fromCallback } from "xstate";
import { type TranscoderEvent, transcoderMachine } from "../../../actors/live/transcoder.ts";

function start(lingerMs: number, script: (send: (e: TranscoderEvent) => void) => void) {
  let runs = 0;
  const machine = transcoderMachine.provide({
    actors: {
      run: fromCallback<TranscoderEvent>(({ sendBack }) => {
        runs++;
        script(sendBack);
        return () => {};
      }),
    },
  });
  const actor = createActor(machine, { input: { key: "k", lingerMs } });
  actor.start();
  return { actor, runs: () => runs };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

Deno.test("a transcoder counts its sessions and stops only after lingering without any", async () => {
  const { actor } = start(150, (send) => queueMicrotask(() => send({ type: "RUN.READY" })));
  actor.send({ type: "ACQUIRE" });
  actor.send({ type: "ACQUIRE" });
  await sleep(10);
  assert.ok(actor.getSnapshot().matches({ on: { process: { running: "ready" } } }));
  assert.equal(actor.getSnapshot().context.refs, 2);
  actor.send({ type: "RELEASE" });
  await sleep(250);
  assert.equal(actor.getSnapshot().status, "active", "one session left: it keeps running");
  actor.send({ type: "RELEASE" });
  await sleep(50);
  actor.send({ type: "ACQUIRE" });
  await sleep(200);
  assert.equal(actor.getSnapshot().status, "active", "a session came back while it lingered");
  actor.send({ type: "RELEASE" });
  await sleep(250);
  assert.equal(actor.getSnapshot().status, "done", "it stopped after lingering unused");
});

Deno.test("a failed run is retried with backoff, and the error is kept until a run is ready", async () => {
  let attempt = 0;
  const { actor, runs } = start(10_000, (send) => {
    attempt++;
    const event: TranscoderEvent = attempt < 3
      ? { type: "RUN.FAILED", error: `failure ${attempt}` }
      : { type: "RUN.READY" };
    setTimeout(() => send(event), 5);
  });
  actor.send({ type: "ACQUIRE" });
  await sleep(50);
  assert.ok(actor.getSnapshot().matches({ on: { process: "backoff" } }));
  assert.equal(actor.getSnapshot().context.lastError, "failure 1");
  for (let i = 0; i < 100 && runs() < 3; i++) await sleep(50);
  await sleep(20);
  assert.equal(runs(), 3);
  assert.ok(actor.getSnapshot().matches({ on: { process: { running: "ready" } } }));
  assert.equal(actor.getSnapshot().context.lastError, null);
  assert.equal(actor.getSnapshot().context.restarts, 2);
  actor.send({ type: "STOP" });
  assert.equal(actor.getSnapshot().status, "done");
});
