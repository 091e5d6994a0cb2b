import assert from "node:assert/strict";
import {
  BOX_COLOR,
  drawOverlay,
  labelText,
  overlayDecision,
  type Yuv420Frame,
} from "../../../models/analytics/annotate.ts";
import type { BoardObject, BoardPost } from "../../../models/analytics/track_board.ts";

function grayFrame(width: number, height: number): Yuv420Frame {
  const data = new Uint8Array(width * height * 3 / 2);
  data.fill(100, 0, width * height);
  data.fill(128, width * height);
  return { width, height, data };
}

const person: BoardObject = {
  box: [0.25, 0.5, 0.5, 0.9],
  label: "person",
  trackId: "0192f0c4-6a1e-7b3c-8d2e-1f2a3b4c9f3a",
  score: 0.874,
};

Deno.test("drawOverlay() outlines the box in all three planes and leaves the rest alone", () => {
  const frame = grayFrame(640, 360);
  drawOverlay(frame, [person]);
  const y = (x: number, row: number) => frame.data[row * 640 + x];
  const u = (x: number, row: number) => frame.data[640 * 360 + (row >> 1) * 320 + (x >> 1)];
  // Box: x 160..320, y 180..324, 2 px lines.
  assert.equal(y(200, 180), BOX_COLOR[0], "top edge");
  assert.equal(y(200, 323), BOX_COLOR[0], "bottom edge");
  assert.equal(y(160, 250), BOX_COLOR[0], "left edge");
  assert.equal(y(319, 250), BOX_COLOR[0], "right edge");
  assert.equal(u(161, 250), BOX_COLOR[1], "chroma of the left edge");
  assert.equal(y(240, 250), 100, "inside the box");
  assert.equal(y(400, 250), 100, "outside the box");
  assert.equal(u(240, 250), 128, "chroma inside the box");
  // Label: a green band right above the box with dark text pixels in it.
  const band = Array.from({ length: 12 }, (_, i) => y(162 + 8 * i, 170));
  assert.ok(band.every((v) => v === BOX_COLOR[0] || v === 16), `label band ${band}`);
  let text = 0;
  for (let row = 167; row < 180; row++) {
    for (let x = 160; x < 320; x++) if (y(x, row) === 16) text++;
  }
  assert.ok(text > 100, `${text} text pixels`);
  // Nothing changed far from the box.
  for (let row = 0; row < 150; row++) for (let x = 0; x < 640; x += 7) assert.equal(y(x, row), 100);
});

Deno.test("drawOverlay() clips boxes at the frame edge, skips degenerate ones, and scales with height", () => {
  const frame = grayFrame(1280, 720);
  drawOverlay(frame, [
    { ...person, box: [0.9, 0.9, 1.2, 1.3] },
    { ...person, box: [0.1, 0.1, 0.1, 0.4] },
  ]);
  assert.equal(frame.data[719 * 1280 + 1200], BOX_COLOR[0], "left edge of the clipped box");
  assert.equal(
    frame.data[719 * 1280 + 1279],
    BOX_COLOR[0],
    "clipped right edge on the last column",
  );
  assert.equal(frame.data[200 * 1280 + 128], 100, "a zero-width box draws nothing");
  const small = grayFrame(640, 360);
  drawOverlay(small, [person]);
  const big = grayFrame(1280, 720);
  drawOverlay(big, [person]);
  assert.equal(big.data[363 * 1280 + 400], BOX_COLOR[0], "4 px lines at 720p");
  assert.equal(small.data[182 * 640 + 200], 100, "2 px lines at 360p");
});

Deno.test("labelText() shows label, short track id and score", () => {
  assert.equal(labelText(person), "PERSON #9F3A 87%");
});

Deno.test("overlayDecision() never draws boxes older than one analysis interval", async (t) => {
  const post = (ts: number): BoardPost => ({ ts, intervalMs: 200, objects: [] });
  const cases: [string, number, BoardPost | undefined, number, string][] = [
    ["analysis of a frame just before the picture: draw", 1000, post(950), 1000, "draw"],
    ["exactly one interval older: draw", 1000, post(800), 1000, "draw"],
    ["older than an interval: wait for the next analysis", 1000, post(799), 1050, "wait"],
    ["analysis newer than the picture: draw", 1000, post(1040), 1060, "draw"],
    ["waited too long: out without boxes", 1000, post(700), 1250, "bare"],
    ["analysis not running: out without boxes", 1000, undefined, 1000, "bare"],
  ];
  for (const [name, picture, latest, now, want] of cases) {
    await t.step(name, () => assert.equal(overlayDecision(picture, latest, now, 250), want));
  }
});
