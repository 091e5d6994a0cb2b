import assert from "node:assert/strict";
import { ValidationError } from "../../../models/errors.ts";
import { resolveDetectorConfig } from "../../../models/detectors/detector_config.ts";

Deno.test("resolveDetectorConfig() applies defaults next to the model", () => {
  assert.deepEqual(
    resolveDetectorConfig({ kind: "centernet", path: "/m/centernet.onnx", minScore: 0.3 }),
    {
      kind: "centernet",
      path: "/m/centernet.onnx",
      labelsPath: "/m/coco_labels.txt",
      inputSize: undefined,
      minScore: 0.3,
      classes: undefined,
      threads: 2,
      iouThreshold: 0.45,
      maxDetections: 100,
      resize: "letterbox",
    },
  );
});

Deno.test("resolveDetectorConfig() names the bad field", async (t) => {
  const base = { kind: "yolo", path: "/m/y.onnx", minScore: 0.25 };
  const cases: [string, unknown, string][] = [
    ["unknown kind", { ...base, kind: "ssd" }, "kind"],
    ["no path", { ...base, path: "" }, "path"],
    ["score above 1", { ...base, minScore: 1.5 }, "minScore"],
    ["missing score", { kind: "yolo", path: "/m/y.onnx" }, "minScore"],
    ["fractional threads", { ...base, threads: 1.5 }, "threads"],
    ["classes not strings", { ...base, classes: [1] }, "classes"],
    ["bad resize", { ...base, resize: "crop" }, "resize"],
  ];
  for (const [name, input, field] of cases) {
    await t.step(name, () => {
      assert.throws(
        () => resolveDetectorConfig(input),
        (e) =>
          e instanceof ValidationError && e.field === field && e.message.includes(`'${field}'`),
      );
    });
  }
});
