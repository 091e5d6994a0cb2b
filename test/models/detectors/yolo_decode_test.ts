import assert from "node:assert/strict";
import { DetectorError } from "../../../models/detectors/detector_error.ts";
import { decodeYolo, yoloLayout } from "../../../models/detectors/yolo_decode.ts";
import { yoloOutput } from "./tiny_onnx.ts";

const LABELS = ["person", "car", "dog"];
/** A 128x64 frame letterboxed into 64x64: scale 0.5, 16 px bars top and bottom. */
const OPTS = {
  minScore: 0.25,
  labels: LABELS,
  placement: { scaleX: 0.5, scaleY: 0.5, padX: 0, padY: 16 },
  frameWidth: 128,
  frameHeight: 64,
  iouThreshold: 0.45,
  maxDetections: 100,
};

Deno.test("yoloLayout() tells the v5 and v8 exports apart", () => {
  assert.equal(yoloLayout([1, 84, 8400], 80), "v8");
  assert.equal(yoloLayout([1, 25200, 85], 80), "v5");
  assert.equal(yoloLayout([1, 7, 10], 3), "v8");
  assert.equal(yoloLayout([1, 10, 8], 3), "v5");
});

Deno.test("yoloLayout() names a class count that disagrees with the labels", () => {
  assert.throws(
    () => yoloLayout([1, 84, 8400], 3),
    (e) =>
      e instanceof DetectorError && e.code === "labels_mismatch" && /80 classes/.test(e.message),
  );
  assert.throws(
    () => yoloLayout([1, 1, 84, 8400], 80),
    (e) => e instanceof DetectorError && e.code === "model_mismatch",
  );
});

for (const layout of ["v5", "v8"] as const) {
  Deno.test(`decodeYolo() decodes the ${layout} layout, undoes the letterbox and applies NMS`, () => {
    const { dims, data } = yoloOutput(layout, 10, 3, [
      { box: [8, 20, 24, 44], scores: [0.875, 0, 0] },
      { box: [9, 21, 25, 45], scores: [0.75, 0, 0] }, // same person, weaker: suppressed
      { box: [9, 21, 25, 45], scores: [0, 0.625, 0] }, // same place, other class: kept
      { box: [40, 30, 60, 46], scores: [0, 0, 0.125] }, // below minScore
      { box: [40, 30, 60, 46], scores: [0, 0.25, 0.5] },
    ]);
    const dets = decodeYolo(data, dims, layout, OPTS);
    assert.deepEqual(dets, [
      { label: "person", classId: 0, score: 0.875, box: [16, 8, 48, 56] },
      { label: "car", classId: 1, score: 0.625, box: [18, 10, 50, 58] },
      { label: "dog", classId: 2, score: 0.5, box: [80, 28, 120, 60] },
    ]);
  });
}

Deno.test("decodeYolo() multiplies v5 objectness into the class score", () => {
  const { dims, data } = yoloOutput("v5", 4, 3, [
    { box: [8, 20, 24, 44], scores: [0.75, 0, 0], objectness: 0.5 },
    { box: [40, 30, 60, 46], scores: [0.875, 0, 0], objectness: 0.25 }, // 0.22 < 0.25
  ]);
  const dets = decodeYolo(data, dims, "v5", OPTS);
  assert.deepEqual(dets.map((d) => d.score), [0.375]);
});

Deno.test("decodeYolo() picks the best allowed class under a class filter", () => {
  const { dims, data } = yoloOutput("v8", 4, 3, [{
    box: [8, 20, 24, 44],
    scores: [0.875, 0.5, 0],
  }]);
  const dets = decodeYolo(data, dims, "v8", { ...OPTS, classes: new Set([1]) });
  assert.deepEqual(dets.map((d) => [d.label, d.score]), [["car", 0.5]]);
});
