import assert from "node:assert/strict";
import { clipBox, iou, nms } from "../../../models/detectors/box.ts";

Deno.test("iou() is 1 for identical boxes, 0 for disjoint ones and exact in between", () => {
  assert.equal(iou([0, 0, 10, 10], [0, 0, 10, 10]), 1);
  assert.equal(iou([0, 0, 10, 10], [10, 0, 20, 10]), 0);
  assert.equal(iou([0, 0, 10, 10], [5, 0, 15, 10]), 50 / 150);
  assert.equal(iou([0, 0, 0, 0], [0, 0, 0, 0]), 0);
});

Deno.test("clipBox() keeps boxes inside the frame", () => {
  assert.deepEqual(clipBox([-5, 2, 700, 30], 640, 360), [0, 2, 640, 30]);
  assert.deepEqual(clipBox([10, 400, 20, 500], 640, 360), [10, 360, 20, 360]);
});

Deno.test("nms() drops weaker overlapping boxes of the same class only", () => {
  const kept = nms(
    [
      { box: [1, 0, 11, 10], score: 0.8, classId: 0 },
      { box: [0, 0, 10, 10], score: 0.9, classId: 0 },
      { box: [0, 0, 10, 10], score: 0.7, classId: 1 },
      { box: [50, 50, 60, 60], score: 0.6, classId: 0 },
    ],
    0.5,
    10,
  );
  assert.deepEqual(kept.map((k) => [k.score, k.classId]), [[0.9, 0], [0.7, 1], [0.6, 0]]);
});

Deno.test("nms() keeps at most maxDetections, best first", () => {
  const boxes = [0.3, 0.9, 0.5].map((score, i) => ({
    box: [i * 20, 0, i * 20 + 10, 10] as [number, number, number, number],
    score,
    classId: 0,
  }));
  assert.deepEqual(nms(boxes, 0.5, 2).map((b) => b.score), [0.9, 0.5]);
});
