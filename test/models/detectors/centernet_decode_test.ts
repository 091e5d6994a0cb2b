import assert from "node:assert/strict";
import { decodeCenterNet, findPeaks, peakBox } from "../../../models/detectors/centernet_decode.ts";

/** A [classes, h, w] heatmap with the given cells set. */
function heatmap(classes: number, h: number, w: number, cells: [number, number, number, number][]) {
  const data = new Float32Array(classes * h * w);
  for (const [c, y, x, v] of cells) data[c * h * w + y * w + x] = v;
  return data;
}

Deno.test("findPeaks() keeps 3x3 local maxima above the threshold", () => {
  const hm = heatmap(2, 4, 4, [
    [0, 1, 1, 0.875],
    [0, 1, 2, 0.625], // neighbour of a higher cell: not a peak
    [0, 3, 3, 0.5], // corner peak
    [0, 0, 3, 0.125], // below threshold
    [1, 1, 1, 0.75], // same cell, other class: its own plane
  ]);
  assert.deepEqual(findPeaks(hm, 2, 4, 4, 0.3), [
    { classId: 0, x: 1, y: 1, score: 0.875 },
    { classId: 0, x: 3, y: 3, score: 0.5 },
    { classId: 1, x: 1, y: 1, score: 0.75 },
  ]);
});

Deno.test("findPeaks() keeps both cells of a plateau and honours the class filter", () => {
  const hm = heatmap(2, 3, 3, [[0, 1, 0, 0.75], [0, 1, 1, 0.75], [1, 2, 2, 0.875]]);
  assert.equal(findPeaks(hm, 2, 3, 3, 0.5).length, 3);
  assert.deepEqual(findPeaks(hm, 2, 3, 3, 0.5, new Set([1])), [
    { classId: 1, x: 2, y: 2, score: 0.875 },
  ]);
});

Deno.test("peakBox() measures left, top, right, bottom from the stride-scaled centre", () => {
  const h = 4, w = 4, plane = h * w;
  const d = new Float32Array(4 * plane);
  const i = 3 * w + 2; // x 2, y 3
  d.set([8], i);
  d.set([4], plane + i);
  d.set([6], 2 * plane + i);
  d.set([2], 3 * plane + i);
  assert.deepEqual(peakBox({ classId: 0, x: 2, y: 3, score: 1 }, d, h, w, 4), [0, 8, 14, 14]);
});

Deno.test("decodeCenterNet() maps peaks to labelled boxes in source pixels, best first", () => {
  const h = 8, w = 8, plane = h * w;
  const hm = heatmap(3, h, w, [[0, 2, 2, 0.625], [2, 5, 6, 0.875], [1, 0, 0, 0.25]]);
  const dist = new Float32Array(4 * plane).fill(4);
  const dets = decodeCenterNet(
    { heatmap: hm, distances: dist, classes: 3, height: h, width: w },
    {
      stride: 4,
      minScore: 0.3,
      // a 64x32 frame letterboxed into 32x32: scale 0.5, 8 px bars top and bottom
      placement: { scaleX: 0.5, scaleY: 0.5, padX: 0, padY: 8 },
      frameWidth: 64,
      frameHeight: 32,
      labels: ["person", "car", "dog"],
      iouThreshold: 0.5,
      maxDetections: 10,
    },
  );
  assert.deepEqual(dets, [
    // dog: centre (24, 20) in input → box [20,16,28,24] → source [40,16,56,32]
    { label: "dog", classId: 2, score: 0.875, box: [40, 16, 56, 32] },
    // person: centre (8, 8) → [4,4,12,12] → source [8,-8,24,8], clipped at the top
    { label: "person", classId: 0, score: 0.625, box: [8, 0, 24, 8] },
  ]);
});
