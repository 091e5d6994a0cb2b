import assert from "node:assert/strict";
import { DetectorError } from "../../../models/detectors/detector_error.ts";
import { openDetector } from "../../../models/detectors/open_detector.ts";
import { constantModel, yoloOutput } from "./tiny_onnx.ts";

/** Writes a constant model and a 3-label file into a temp dir. */
async function fixture(input: number[], outputs: { name: string; dims: number[] }[]) {
  const dir = await Deno.makeTempDir();
  const model = constantModel(
    { name: "images", dims: input },
    outputs.map((o) => ({
      ...o,
      data: new Float32Array(o.dims.reduce((a, b) => a * b, 1)),
    })),
  );
  await Deno.writeFile(`${dir}/model.onnx`, model);
  await Deno.writeTextFile(`${dir}/labels.txt`, "person\ncar\ndog\n");
  return dir;
}

function rejectsWith(code: string, pattern: RegExp) {
  return (e: unknown) => {
    assert.ok(e instanceof DetectorError, `expected a DetectorError, got ${e}`);
    assert.equal(e.code, code);
    assert.match(e.message, pattern);
    return true;
  };
}

Deno.test("openDetector() names a missing model file", async () => {
  await assert.rejects(
    openDetector({ kind: "yolo", path: "/nonexistent/model.onnx", minScore: 0.3 }),
    rejectsWith("model_missing", /model file \/nonexistent\/model\.onnx does not exist/),
  );
});

Deno.test("openDetector() names a file that is not an ONNX model", async () => {
  const dir = await Deno.makeTempDir();
  try {
    await Deno.writeTextFile(`${dir}/model.onnx`, "this is not a protobuf");
    await Deno.writeTextFile(`${dir}/labels.txt`, "person\n");
    await assert.rejects(
      openDetector({
        kind: "centernet",
        path: `${dir}/model.onnx`,
        labelsPath: `${dir}/labels.txt`,
        minScore: 0.3,
      }),
      rejectsWith("model_invalid", /model\.onnx is not a model onnxruntime can load/),
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("openDetector() rejects a model whose input shape does not fit the adapter", async (t) => {
  const yolo = yoloOutput("v8", 8, 3, []);
  const dir = await fixture([1, 3, 64, 64], [{ name: "output0", dims: yolo.dims }]);
  const nhwc = await fixture([1, 64, 64, 3], [{ name: "output0", dims: yolo.dims }]);
  try {
    await t.step("NCHW model given to CenterNet", async () => {
      await assert.rejects(
        openDetector({
          kind: "centernet",
          path: `${dir}/model.onnx`,
          labelsPath: `${dir}/labels.txt`,
          minScore: 0.3,
        }),
        rejectsWith(
          "model_mismatch",
          /must take one NHWC input \[1,S,S,3\]; it takes images \[1,3,64,64\]/,
        ),
      );
    });
    await t.step("NHWC model given to YOLO", async () => {
      await assert.rejects(
        openDetector({
          kind: "yolo",
          path: `${nhwc}/model.onnx`,
          labelsPath: `${nhwc}/labels.txt`,
          minScore: 0.3,
        }),
        rejectsWith(
          "model_mismatch",
          /must take one NCHW input \[1,3,H,W\]; it takes images \[1,64,64,3\]/,
        ),
      );
    });
    await t.step("inputSize that disagrees with the model", async () => {
      await assert.rejects(
        openDetector({
          kind: "yolo",
          path: `${dir}/model.onnx`,
          labelsPath: `${dir}/labels.txt`,
          minScore: 0.3,
          inputSize: 640,
        }),
        rejectsWith("model_mismatch", /takes \[1,3,64,64\] input but inputSize is 640/),
      );
    });
  } finally {
    await Deno.remove(dir, { recursive: true });
    await Deno.remove(nhwc, { recursive: true });
  }
});

Deno.test("openDetector() rejects outputs that do not fit the adapter", async (t) => {
  await t.step("YOLO output with more classes than labels", async () => {
    const dir = await fixture([1, 3, 64, 64], [{ name: "output0", dims: [1, 84, 100] }]);
    try {
      await assert.rejects(
        openDetector({
          kind: "yolo",
          path: `${dir}/model.onnx`,
          labelsPath: `${dir}/labels.txt`,
          minScore: 0.3,
        }),
        rejectsWith("labels_mismatch", /has 80 classes but the labels file has 3/),
      );
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  });
  await t.step("CenterNet model with one output", async () => {
    const dir = await fixture([1, 64, 64, 3], [{ name: "heatmap", dims: [1, 3, 16, 16] }]);
    try {
      await assert.rejects(
        openDetector({
          kind: "centernet",
          path: `${dir}/model.onnx`,
          labelsPath: `${dir}/labels.txt`,
          minScore: 0.3,
        }),
        rejectsWith(
          "model_mismatch",
          /must output a \[1,C,H,W\] heatmap and \[1,4,H,W\] distances/,
        ),
      );
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  });
});

Deno.test("openDetector() names an empty labels file", async () => {
  const dir = await fixture([1, 3, 64, 64], [{ name: "output0", dims: [1, 7, 8] }]);
  try {
    await Deno.writeTextFile(`${dir}/labels.txt`, "");
    await assert.rejects(
      openDetector({
        kind: "yolo",
        path: `${dir}/model.onnx`,
        labelsPath: `${dir}/labels.txt`,
        minScore: 0.3,
      }),
      rejectsWith("labels_empty", /labels file .*labels\.txt is empty/),
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
