import assert from "node:assert/strict";
import { throttleFrame } from "../../../models/analytics/throttle.ts";

/** Frame times taken from a capture at `captureFps` over `seconds`, with optional jitter. */
function taken(
  captureFps: number,
  fps: number,
  seconds: number,
  jitter: (i: number) => number = () => 0,
): number[] {
  const out: number[] = [];
  let due: number | undefined;
  for (let i = 0; i < captureFps * seconds; i++) {
    const ts = (i * 1000) / captureFps + jitter(i);
    const step = throttleFrame(due, ts, fps);
    due = step.due;
    if (step.analyse) out.push(ts);
  }
  return out;
}

Deno.test("throttleFrame() analyses the asked rate on a faster capture", async (t) => {
  const cases: [captureFps: number, fps: number][] = [
    [5, 1],
    [5, 2],
    [5, 3],
    [5, 4],
    [5, 5],
    [25, 3],
    [25, 7],
    [30, 15],
    [15, 15],
  ];
  for (const [captureFps, fps] of cases) {
    await t.step(`capture ${captureFps} fps, analysis ${fps} fps`, () => {
      const n = taken(captureFps, fps, 60).length;
      assert.ok(Math.abs(n / 60 - fps) <= fps * 0.02, `${n} frames in 60 s`);
    });
  }
});

Deno.test("throttleFrame() takes 3 of every 5 frames for 3 fps from a 5 fps capture", () => {
  assert.deepEqual(taken(5, 3, 2), [0, 200, 600, 1000, 1200, 1600]);
});

Deno.test("throttleFrame() loses no frame to jitter when both rates are equal", () => {
  const jitter = (i: number) => (i % 2 === 0 ? 45 : -45);
  assert.equal(taken(5, 5, 60, jitter).length, 300);
});

Deno.test("throttleFrame() restarts after a gap instead of bursting to catch up", () => {
  let due = throttleFrame(undefined, 0, 2).due; // due 500
  assert.equal(due, 500);
  const afterGap = throttleFrame(due, 10_000, 2);
  assert.deepEqual(afterGap, { analyse: true, due: 10_500 });
  due = afterGap.due;
  assert.equal(throttleFrame(due, 10_040, 2).analyse, false);
});

Deno.test("throttleFrame() takes every frame of a capture slower than the asked rate", () => {
  assert.equal(taken(5, 15, 10).length, 50);
});
