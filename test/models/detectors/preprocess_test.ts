import assert from "node:assert/strict";
import {
  frameProblem,
  frameToTensor,
  PAD_GREY,
  placement,
  unplaceBox,
} from "../../../models/detectors/preprocess.ts";
import type { Frame } from "../../../models/detectors/types.ts";

/** A frame whose pixels are grey levels (r = g = b). */
function greyFrame(width: number, height: number, levels: number[]): Frame {
  return { width, height, data: Uint8Array.from(levels.flatMap((v) => [v, v, v])) };
}

Deno.test("frameToTensor() stretches a frame bilinearly with half-pixel centres", () => {
  const { data, placement: place } = frameToTensor(greyFrame(2, 1, [0, 100]), {
    width: 4,
    height: 1,
    layout: "nhwc",
    fit: "stretch",
    range: 255,
  });
  assert.deepEqual([...data], [0, 0, 0, 25, 25, 25, 75, 75, 75, 100, 100, 100]);
  assert.deepEqual(place, { scaleX: 2, scaleY: 1, padX: 0, padY: 0 });
});

Deno.test("frameToTensor() keeps RGB order in NHWC and scales to the range", () => {
  const frame = { width: 1, height: 1, data: new Uint8Array([255, 51, 0]) };
  const { data } = frameToTensor(frame, {
    width: 2,
    height: 2,
    layout: "nhwc",
    fit: "stretch",
    range: 1,
  });
  assert.deepEqual([...data].map((v) => Math.round(v * 100) / 100), [
    1,
    0.2,
    0,
    1,
    0.2,
    0,
    1,
    0.2,
    0,
    1,
    0.2,
    0,
  ]);
});

Deno.test("frameToTensor() letterboxes into NCHW planes with grey padding", () => {
  // 4x2 frame into a 4x4 input: scale 1, one grey row above and below.
  const frame = { width: 4, height: 2, data: new Uint8Array(4 * 2 * 3) };
  for (let i = 0; i < 8; i++) frame.data.set([10 * i, 100, 200], i * 3);
  const { data, placement: place } = frameToTensor(frame, {
    width: 4,
    height: 4,
    layout: "nchw",
    fit: "letterbox",
    range: 255,
  });
  assert.deepEqual(place, { scaleX: 1, scaleY: 1, padX: 0, padY: 1 });
  const red = [...data.subarray(0, 16)];
  assert.deepEqual(red, [
    ...Array(4).fill(PAD_GREY),
    0,
    10,
    20,
    30,
    40,
    50,
    60,
    70,
    ...Array(4).fill(PAD_GREY),
  ]);
  assert.deepEqual([...data.subarray(16 + 4, 16 + 12)], Array(8).fill(100));
  assert.deepEqual([...data.subarray(32 + 4, 32 + 12)], Array(8).fill(200));
});

Deno.test("placement() centres a wide frame in a square letterbox", () => {
  const spec = { width: 640, height: 640, layout: "nchw", fit: "letterbox", range: 1 } as const;
  assert.deepEqual(placement(1280, 720, spec), {
    scaleX: 0.5,
    scaleY: 0.5,
    padX: 0,
    padY: 140,
    width: 640,
    height: 360,
  });
  assert.deepEqual(placement(300, 600, spec), {
    scaleX: 640 / 600,
    scaleY: 640 / 600,
    padX: 160,
    padY: 0,
    width: 320,
    height: 640,
  });
});

Deno.test("unplaceBox() maps input pixels back to the frame and clips", async (t) => {
  await t.step("letterbox", () => {
    const place = { scaleX: 0.5, scaleY: 0.5, padX: 0, padY: 140 };
    assert.deepEqual(unplaceBox([10, 150, 110, 250], place, 1280, 720), [20, 20, 220, 220]);
    assert.deepEqual(unplaceBox([-10, 100, 700, 600], place, 1280, 720), [0, 0, 1280, 720]);
  });
  await t.step("stretch", () => {
    const place = { scaleX: 512 / 1024, scaleY: 512 / 256, padX: 0, padY: 0 };
    assert.deepEqual(unplaceBox([0, 0, 256, 256], place, 1024, 256), [0, 0, 512, 128]);
  });
});

Deno.test("frameProblem() names a buffer of the wrong size", () => {
  assert.equal(frameProblem(greyFrame(2, 1, [0, 1])), undefined);
  assert.match(
    frameProblem({ width: 2, height: 2, data: new Uint8Array(11) }) ?? "",
    /needs 12 bytes: it has 11/,
  );
  assert.match(frameProblem({ width: 0, height: 2, data: new Uint8Array(0) }) ?? "", /positive/);
});
