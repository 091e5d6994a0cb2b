import assert from "node:assert/strict";
import { openDetector } from "../../../models/detectors/open_detector.ts";
import type { Frame } from "../../../models/detectors/types.ts";
import { constantModel, yoloOutput } from "./tiny_onnx.ts";

/** Boxes in 64x64 input pixels and what they become in a 128x64 frame (scale 0.5, padY 16). */
const CANDIDATES = [
  { box: [8, 20, 24, 44], scores: [0.875, 0, 0] },
  { box: [9, 21, 25, 45], scores: [0.75, 0, 0] },
  { box: [9, 21, 25, 45], scores: [0, 0.625, 0] },
  { box: [40, 30, 60, 46], scores: [0, 0.25, 0.5] },
] as const;
const EXPECTED = [
  { label: "person", classId: 0, score: 0.875, box: [16, 8, 48, 56] },
  { label: "car", classId: 1, score: 0.625, box: [18, 10, 50, 58] },
  { label: "dog", classId: 2, score: 0.5, box: [80, 28, 120, 60] },
];
const FRAME: Frame = { width: 128, height: 64, data: new Uint8Array(128 * 64 * 3) };

for (const layout of ["v5", "v8"] as const) {
  Deno.test(`YOLO adapter runs a ${layout}-layout ONNX model through letterbox and NMS`, async () => {
    const dir = await Deno.makeTempDir();
    try {
      const out = yoloOutput(
        layout,
        16,
        3,
        CANDIDATES.map((c) => ({ box: [...c.box], scores: [...c.scores] })),
      );
      await Deno.writeFile(
        `${dir}/tiny.onnx`,
        constantModel({ name: "images", dims: [1, 3, 64, 64] }, [{ name: "output0", ...out }]),
      );
      await Deno.writeTextFile(`${dir}/labels.txt`, "person\ncar\ndog\n");
      const det = await openDetector({
        kind: "yolo",
        path: `${dir}/tiny.onnx`,
        labelsPath: `${dir}/labels.txt`,
        minScore: 0.25,
        threads: 1,
      });
      try {
        assert.equal(det.name, "yolo:tiny.onnx");
        assert.deepEqual(det.labels, ["person", "car", "dog"]);
        assert.deepEqual(await det.detect(FRAME), EXPECTED);
      } finally {
        await det.close();
      }
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  });
}

Deno.test("YOLO adapter keeps only the configured classes, and those a request asks for", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const out = yoloOutput(
      "v8",
      16,
      3,
      CANDIDATES.map((c) => ({ box: [...c.box], scores: [...c.scores] })),
    );
    await Deno.writeFile(
      `${dir}/tiny.onnx`,
      constantModel({ name: "images", dims: [1, 3, 64, 64] }, [{ name: "output0", ...out }]),
    );
    await Deno.writeTextFile(`${dir}/coco_labels.txt`, "person\ncar\ndog\n");
    const det = await openDetector({
      kind: "yolo",
      path: `${dir}/tiny.onnx`,
      minScore: 0.25,
      classes: ["dog", "car"],
      threads: 1,
    });
    try {
      assert.deepEqual((await det.detect(FRAME)).map((d) => d.label).sort(), ["car", "dog"]);
      // A request narrows the configured classes further, never widens them.
      const narrowed = await det.detect(FRAME, { classes: ["dog", "person"] });
      assert.deepEqual(narrowed.map((d) => d.label), ["dog"]);
    } finally {
      await det.close();
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("YOLO adapter handles a model with dynamic input and output shapes", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const out = yoloOutput(
      "v5",
      16,
      3,
      CANDIDATES.map((c) => ({ box: [...c.box], scores: [...c.scores] })),
    );
    await Deno.writeFile(
      `${dir}/tiny.onnx`,
      constantModel({ name: "images", dims: ["batch", 3, "height", "width"] }, [
        { name: "output0", ...out, declared: ["batch", "anchors", "attrs"] },
      ]),
    );
    await Deno.writeTextFile(`${dir}/coco_labels.txt`, "person\ncar\ndog\n");
    const det = await openDetector({
      kind: "yolo",
      path: `${dir}/tiny.onnx`,
      minScore: 0.25,
      inputSize: 64,
      threads: 1,
    });
    try {
      // The layout is recognized on the first frame, from the output the model actually returns.
      assert.deepEqual(await det.detect(FRAME), EXPECTED);
      assert.deepEqual(await det.detect(FRAME), EXPECTED);
    } finally {
      await det.close();
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
