/**
 * The analysis loop's order (actors/camera/analysis.ts) with the real gate, tracker and event
 * engine: a settled scene must not slow the keep-alive while an event rule waits on a run.
 */
import assert from "node:assert/strict";
import { createMotionGate } from "../../../models/analytics/motion.ts";
import { createTracker } from "../../../models/analytics/tracker.ts";
import { createEventEngine } from "../../../models/analytics/events.ts";
import { sceneSettled } from "../../../models/analytics/settled_scene.ts";
import type { Box, Frame } from "../../../models/detectors/types.ts";

const W = 640;
const H = 360;

function still(): Frame {
  const data = new Uint8Array(W * H * 3);
  let s = 1;
  for (let i = 0; i < data.length; i++) {
    s = (s * 1103515245 + 12345) & 0x7fffffff;
    data[i] = 120 + (s % 7) - 3;
  }
  return { width: W, height: H, data };
}

function withRect(frame: Frame, [x1, y1, x2, y2]: Box, value: number): Frame {
  const data = frame.data.slice();
  for (let y = Math.round(y1); y < y2; y++) {
    for (let x = Math.round(x1); x < x2; x++) {
      data.fill(value, (y * W + x) * 3, (y * W + x) * 3 + 3);
    }
  }
  return { ...frame, data };
}

/** A person stands in the left-half zone, walks out at 4 s, and stands still just outside. */
function personAt(t: number): Box {
  const x = t < 4000 ? 200 : t < 4600 ? 200 + ((t - 4000) / 600) * 200 : 400;
  return [x, 150, x + 40, 300];
}

/** The analysis loop's order (analysis.ts), synchronous: when does the zone event close? */
function zoneCloseAt(idleKeepAliveFps: number): { emittedAt: number; endedAt: number } {
  const gate = createMotionGate({
    threshold: 15,
    minMotion: 0.002,
    keepAliveFps: 1,
    idleKeepAliveFps,
  });
  const tracker = createTracker({ confirmFrames: 3, leaveAfterMs: 1500 });
  const zone = {
    name: "door",
    polygon: [[0, 0], [0.5, 0], [0.5, 1], [0, 1]] as [number, number][],
  };
  const engine = createEventEngine({ zones: [zone], lines: [], leaveAfterMs: 1500 });
  const base = still();
  let settled = true;
  for (let t = 0; t < 20_000; t += 200) {
    const box = personAt(t);
    if (!gate.check(withRect(base, box, 250), t, settled).runDetector) continue;
    const update = tracker.update([{ label: "person", classId: 0, score: 0.9, box }], t);
    const actions = engine.frame({ now: t, width: W, height: H, ...update });
    settled = sceneSettled(update.tracks, engine.waitsOnRun());
    for (const a of actions) {
      if (a.type === "close" && a.key.startsWith("zone:")) {
        return { emittedAt: t, endedAt: a.endedAt };
      }
    }
  }
  throw new Error("the zone event never closed");
}

Deno.test("a zone event closes leaveAfterMs after its object stepped out, idle keep-alive or not", () => {
  const eager = zoneCloseAt(1);
  const idle = zoneCloseAt(0.2);
  assert.ok(
    idle.emittedAt - idle.endedAt <= eager.emittedAt - eager.endedAt,
    `the close waits ${idle.emittedAt - idle.endedAt} ms on a settled scene, ` +
      `${eager.emittedAt - eager.endedAt} ms at 1/s`,
  );
});

Deno.test("the event engine waits on a run for a zone leave, a loitering timer and an unconfirmed crossing", async (t) => {
  const zone = {
    name: "door",
    polygon: [[0, 0], [0.5, 0], [0.5, 1], [0, 1]] as [number, number][],
  };
  const track = (id: string, box: Box, confirmed: boolean, hits = 3) => ({
    id,
    label: "person",
    classId: 0,
    box,
    score: 0.9,
    bestScore: 0.9,
    hits,
    misses: 0,
    confirmed,
    firstSeen: 0,
    lastSeen: 0,
  });
  const inside: Box = [100, 150, 140, 300];
  const outside: Box = [400, 150, 440, 300];
  const frame = (
    engine: ReturnType<typeof createEventEngine>,
    now: number,
    box: Box,
    confirmed = true,
  ) => engine.frame({ now, width: W, height: H, tracks: [track("a", box, confirmed)], ended: [] });

  await t.step("nothing waits for an object standing in a plain zone", () => {
    const engine = createEventEngine({ zones: [zone], lines: [], leaveAfterMs: 1500 });
    frame(engine, 0, inside);
    assert.equal(engine.waitsOnRun(), false);
  });
  await t.step("a zone leave waits until leaveAfterMs is over", () => {
    const engine = createEventEngine({ zones: [zone], lines: [], leaveAfterMs: 1500 });
    frame(engine, 0, inside);
    frame(engine, 1000, outside);
    assert.equal(engine.waitsOnRun(), true);
    frame(engine, 2600, outside);
    assert.equal(engine.waitsOnRun(), false, "the leave is confirmed");
  });
  await t.step("a loitering timer waits until it fires", () => {
    const engine = createEventEngine({
      zones: [{ ...zone, loiterSeconds: 5 }],
      lines: [],
      leaveAfterMs: 1500,
    });
    frame(engine, 0, inside);
    assert.equal(engine.waitsOnRun(), true);
    frame(engine, 5000, inside);
    assert.equal(engine.waitsOnRun(), false, "it fired");
  });
  await t.step("a crossing by a track not confirmed yet waits for its confirmation", () => {
    const line = { name: "gate", a: [0.5, 0] as [number, number], b: [0.5, 1] as [number, number] };
    const engine = createEventEngine({ zones: [], lines: [line], leaveAfterMs: 1500 });
    frame(engine, 0, inside, false);
    frame(engine, 200, outside, false);
    assert.equal(engine.waitsOnRun(), true);
  });
});
