import assert from "node:assert/strict";
import {
  compareGray,
  createMotionGate,
  downscaleGray,
  maskCells,
  type MotionGateOptions,
} from "../../../models/analytics/motion.ts";
import type { Frame } from "../../../models/detectors/types.ts";

const W = 640;
const H = 360;
const GATE: MotionGateOptions = { threshold: 15, minMotion: 0.002, keepAliveFps: 1 };

/** A mid-gray frame with mild per-pixel noise, like a still camera image after compression. */
function stillFrame(seed = 1, width = W, height = H): Frame {
  const data = new Uint8Array(width * height * 3);
  let state = seed;
  for (let i = 0; i < data.length; i++) {
    state = (state * 1103515245 + 12345) & 0x7fffffff;
    data[i] = 120 + (state % 7) - 3;
  }
  return { width, height, data };
}

/** A copy of a frame with a solid rectangle painted on it (a person-sized object). */
function withRect(
  frame: Frame,
  [x1, y1, x2, y2]: [number, number, number, number],
  value: number,
): Frame {
  const data = frame.data.slice();
  for (let y = y1; y < y2; y++) {
    for (let x = x1; x < x2; x++) {
      data.fill(value, (y * frame.width + x) * 3, (y * frame.width + x) * 3 + 3);
    }
  }
  return { ...frame, data };
}

Deno.test("downscaleGray() averages each cell to its luma", () => {
  const half = withRect(stillFrame(), [0, 0, W / 2, H], 255);
  const black = withRect(half, [W / 2, 0, W, H], 0);
  const gray = downscaleGray(black, 64, 36);
  assert.equal(gray.width, 64);
  assert.equal(gray.height, 36);
  assert.equal(gray.data[0], 255);
  assert.equal(gray.data[31], 255);
  assert.equal(gray.data[32], 0);
  assert.equal(gray.data[36 * 64 - 1], 0);
});

Deno.test("downscaleGray() fills every cell when the frame size is not a multiple of the grid", () => {
  const gray = downscaleGray(stillFrame(3, 101, 57), 64, 36);
  assert.ok(gray.data.every((value) => value >= 115 && value <= 125));
});

Deno.test("maskCells() marks the cells inside a mask", () => {
  const cells = maskCells([[[0, 0], [0.5, 0], [0.5, 1], [0, 1]]], 64, 36);
  assert.equal(cells[0], 1);
  assert.equal(cells[31], 1);
  assert.equal(cells[32], 0);
  assert.equal(cells.reduce((sum, c) => sum + c, 0), 32 * 36);
});

Deno.test("compareGray() refuses images of different sizes", () => {
  const a = downscaleGray(stillFrame(), 64, 36);
  const b = downscaleGray(stillFrame(), 32, 18);
  assert.throws(() => compareGray(a, b, { threshold: 15, minMotion: 0 }), RangeError);
});

Deno.test("the motion gate skips identical frames except at the keep-alive rate", () => {
  const gate = createMotionGate(GATE);
  const frame = stillFrame();
  const runs: [number, string][] = [];
  for (let t = 0; t < 10_000; t += 200) {
    const decision = gate.check(frame, t);
    if (decision.runDetector) runs.push([t, decision.reason]);
    else assert.equal(decision.reason, "skip");
  }
  assert.deepEqual(
    runs,
    [0, 1000, 2000, 3000, 4000, 5000, 6000, 7000, 8000, 9000].map((t) => [t, "keepalive"]),
  );
  assert.deepEqual(gate.stats(), { checked: 50, run: 10, skipped: 40, skipRatio: 0.8 });
});

Deno.test("a settled scene's motion gate keeps alive at the idle rate, an unsettled one at the keep-alive rate", () => {
  const gate = createMotionGate({ ...GATE, idleKeepAliveFps: 0.2 });
  const frame = stillFrame();
  const runs: number[] = [];
  // Settled for 12 s, then not (a track waiting on a run) until 16 s, then settled again.
  for (let t = 0; t < 24_000; t += 200) {
    if (gate.check(frame, t, t < 12_000 || t >= 16_000).runDetector) runs.push(t);
  }
  assert.deepEqual(runs, [0, 5000, 10_000, 12_000, 13_000, 14_000, 15_000, 20_000]);
});

Deno.test("the idle keep-alive never runs faster than the keep-alive", () => {
  const gate = createMotionGate({ ...GATE, keepAliveFps: 0.5, idleKeepAliveFps: 2 });
  const runs: number[] = [];
  for (let t = 0; t < 6000; t += 200) {
    if (gate.check(stillFrame(), t, true).runDetector) runs.push(t);
  }
  assert.deepEqual(runs, [0, 2000, 4000]);
});

Deno.test("a settled scene's motion gate still runs the detector at once on motion", () => {
  const gate = createMotionGate({ ...GATE, idleKeepAliveFps: 0.2 });
  const still = stillFrame();
  assert.equal(gate.check(still, 0, true).reason, "keepalive");
  assert.equal(gate.check(still, 400, true).reason, "skip");
  assert.equal(gate.check(withRect(still, [100, 100, 160, 260], 250), 600, true).reason, "motion");
});

Deno.test("the motion gate ignores compression-like noise", () => {
  const gate = createMotionGate({ ...GATE, keepAliveFps: 0 });
  gate.check(stillFrame(1), 0);
  for (let i = 2; i < 20; i++) {
    const decision = gate.check(stillFrame(i), i * 200);
    assert.equal(decision.runDetector, false, `frame ${i} scored ${decision.score}`);
  }
});

Deno.test("the motion gate runs the detector when a region changes", () => {
  const gate = createMotionGate(GATE);
  const still = stillFrame();
  gate.check(still, 0);
  assert.equal(gate.check(still, 200).reason, "skip");
  // A 40x90 px figure appears: about 4x9 cells of the 64x36 grid.
  const decision = gate.check(withRect(still, [300, 200, 340, 290], 30), 400);
  assert.equal(decision.runDetector, true);
  assert.equal(decision.reason, "motion");
  assert.ok(decision.score > 0.01 && decision.score < 0.03, `score ${decision.score}`);
});

Deno.test("the motion gate sees slow change accumulate against the last detected frame", () => {
  const gate = createMotionGate({ ...GATE, keepAliveFps: 0 });
  const still = stillFrame();
  gate.check(still, 0);
  const reasons: string[] = [];
  // Each step darkens the region by 5 levels: never over the threshold frame to frame.
  for (let step = 1; step <= 4; step++) {
    reasons.push(
      gate.check(withRect(still, [300, 200, 380, 300], 120 - 5 * step), step * 200).reason,
    );
  }
  assert.deepEqual(reasons, ["skip", "skip", "skip", "motion"]);
});

Deno.test("the motion gate ignores change inside a mask", () => {
  const gate = createMotionGate({
    ...GATE,
    keepAliveFps: 0,
    masks: [[[0.4, 0.4], [0.7, 0.4], [0.7, 0.9], [0.4, 0.9]]],
  });
  const still = stillFrame();
  gate.check(still, 0);
  assert.equal(gate.check(withRect(still, [300, 200, 400, 300], 250), 200).reason, "skip");
  assert.equal(gate.check(withRect(still, [20, 20, 120, 120], 250), 400).reason, "motion");
});

Deno.test("the motion gate starts over when the resolution changes", () => {
  const gate = createMotionGate({ ...GATE, keepAliveFps: 0 });
  assert.equal(gate.check(stillFrame(1), 0).reason, "keepalive");
  assert.equal(gate.check(stillFrame(1), 200).reason, "skip");
  assert.equal(gate.check(stillFrame(1, 320, 180), 400).reason, "keepalive");
  assert.equal(gate.check(stillFrame(1, 320, 180), 600).reason, "skip");
});

Deno.test("a motion gate with minMotion 0 runs the detector on every frame", () => {
  const gate = createMotionGate({ ...GATE, minMotion: 0 });
  const frame = stillFrame();
  for (let t = 0; t < 2000; t += 200) assert.equal(gate.check(frame, t).runDetector, true);
  assert.equal(gate.stats().skipRatio, 0);
});

Deno.test("createMotionGate() rejects out-of-range options naming them", async (t) => {
  const cases: [string, MotionGateOptions, RegExp][] = [
    ["a negative threshold", { ...GATE, threshold: -1 }, /'threshold'/],
    ["minMotion above 1", { ...GATE, minMotion: 2 }, /'minMotion'/],
    ["a NaN keep-alive", { ...GATE, keepAliveFps: NaN }, /'keepAliveFps'/],
    ["a negative idle keep-alive", { ...GATE, idleKeepAliveFps: -1 }, /'idleKeepAliveFps'/],
    ["a zero-width grid", { ...GATE, gridWidth: 0 }, /'gridWidth'/],
  ];
  for (const [name, options, message] of cases) {
    await t.step(name, () => assert.throws(() => createMotionGate(options), message));
  }
});
