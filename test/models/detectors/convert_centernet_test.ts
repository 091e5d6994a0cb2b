import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs-core";
import "@tensorflow/tfjs-backend-cpu";
import { loadGraphModel } from "@tensorflow/tfjs-converter";
import * as ort from "onnxruntime-node";
import { convertCenterNet, MODEL_FORMAT } from "../../../scripts/convert_centernet.ts";
import {
  decodeWeights,
  halfToFloat,
  parseHumanLabels,
  type TfGraphModel,
} from "../../../scripts/convert/tf_weights.ts";
import { readFrame } from "../../support/image_frame.ts";
import { sessionSignature } from "../../../models/detectors/onnx_session.ts";
import { frameToTensor } from "../../../models/detectors/preprocess.ts";
import { asset } from "./assets.ts";

Deno.test("halfToFloat() decodes normal, subnormal and special half floats", () => {
  assert.equal(halfToFloat(0x3c00), 1);
  assert.equal(halfToFloat(0xc000), -2);
  assert.equal(halfToFloat(0x7bff), 65504);
  assert.equal(halfToFloat(0x0001), 2 ** -24);
  assert.equal(halfToFloat(0x7c00), Infinity);
  assert.ok(Number.isNaN(halfToFloat(0x7e00)));
});

Deno.test("decodeWeights() splits float16 and int32 weights in manifest order", () => {
  const bin = new Uint8Array(2 * 2 + 4 * 2);
  const view = new DataView(bin.buffer);
  view.setUint16(0, 0x3c00, true);
  view.setUint16(2, 0xc000, true);
  view.setInt32(4, 1, true);
  view.setInt32(8, -7, true);
  const w = decodeWeights([
    { name: "f", shape: [2], dtype: "float32", quantization: { dtype: "float16" } },
    { name: "i", shape: [2], dtype: "int32" },
  ], bin);
  assert.deepEqual([...(w.get("f")?.data ?? [])], [1, -2]);
  assert.deepEqual([...(w.get("i")?.data ?? [])], [1, -7]);
  assert.throws(
    () => decodeWeights([{ name: "i", shape: [4], dtype: "int32" }], bin.subarray(0, 8)),
    /too short at i/,
  );
});

Deno.test("convertCenterNet() names an op it cannot map", () => {
  const model = {
    modelTopology: {
      node: [
        { name: "tower_0/images", op: "Placeholder" },
        { name: "tower_0/keypoints", op: "Softmax", input: ["tower_0/images"] },
        { name: "tower_0/wh", op: "Identity", input: ["tower_0/images"] },
      ],
    },
    weightsManifest: [{ paths: [], weights: [] }],
  };
  assert.throws(
    () => convertCenterNet(model, new Uint8Array(0)),
    /tower_0\/keypoints: op Softmax is not supported/,
  );
});

Deno.test("parseHumanLabels() reads the 80 COCO labels in class order", async () => {
  const labels = parseHumanLabels(await Deno.readTextFile(asset("models/tfjs/labels.ts")));
  assert.equal(labels.length, 80);
  assert.deepEqual([labels[0], labels[15], labels[41], labels[79]], [
    "person",
    "cat",
    "cup",
    "toothbrush",
  ]);
  const written = (await Deno.readTextFile(asset("models/coco_labels.txt"))).trimEnd().split("\n");
  assert.deepEqual(written, labels);
});

Deno.test("converted CenterNet loads in onnxruntime with the documented signature", async () => {
  const session = await ort.InferenceSession.create(asset("models/centernet.onnx"));
  try {
    assert.deepEqual(sessionSignature(session), {
      inputs: [{ name: "images", dims: [undefined, undefined, undefined, 3] }],
      outputs: [
        { name: "heatmap", dims: [undefined, 80, undefined, undefined] },
        { name: "boxes", dims: [undefined, 4, undefined, undefined] },
      ],
    });
    assert.equal(
      (await Deno.readTextFile(asset("models/centernet.format"))).trim(),
      MODEL_FORMAT,
    );
  } finally {
    await session.release();
  }
});

Deno.test("dynamic CenterNet runs a batch of 16:9 inputs and equals the fixed graph at 512x512", async () => {
  const dir = asset("models/tfjs/centernet.json").replace(/centernet\.json$/, "");
  const json: TfGraphModel = JSON.parse(await Deno.readTextFile(`${dir}centernet.json`));
  const bin = await Deno.readFile(`${dir}centernet.bin`);
  const fixed = await ort.InferenceSession.create(convertCenterNet(json, bin));
  const dynamic = await ort.InferenceSession.create(convertCenterNet(json, bin, { dynamic: true }));
  try {
    const frame = await readFrame(asset("media/chelsea.png"));
    const spec = { layout: "nhwc", fit: "letterbox", range: 255 } as const;
    const square = frameToTensor(frame, { ...spec, width: 512, height: 512 }).data;
    const input = (data: Float32Array, dims: number[]) => ({
      images: new ort.Tensor("float32", data, dims),
    });
    const a = await fixed.run(input(square, [1, 512, 512, 3]));
    const b = await dynamic.run(input(square, [1, 512, 512, 3]));
    const diff = (x: ort.Tensor, y: ort.Tensor) =>
      (x.data as Float32Array).reduce(
        (m, v, i) => Math.max(m, Math.abs(v - (y.data as Float32Array)[i]!)),
        0,
      );
    const heatDiff = diff(a.heatmap!, b.heatmap!), boxDiff = diff(a.boxes!, b.boxes!);
    assert.ok(heatDiff < 1e-4, `heatmap differs from the fixed graph by up to ${heatDiff}`);
    assert.ok(boxDiff < 0.05, `box distances differ from the fixed graph by up to ${boxDiff} px`);

    const wide = frameToTensor(frame, { ...spec, width: 512, height: 288 }).data;
    const two = new Float32Array(wide.length * 2);
    two.set(wide);
    two.set(wide, wide.length);
    const batch = await dynamic.run(input(two, [2, 288, 512, 3]));
    assert.deepEqual(batch.heatmap!.dims, [2, 80, 72, 128]);
    assert.deepEqual(batch.boxes!.dims, [2, 4, 72, 128]);
    const heat = batch.heatmap!.data as Float32Array;
    const half = heat.length / 2;
    assert.ok(heat.subarray(0, half).every((v, i) => Math.abs(v - heat[half + i]!) < 1e-4));
  } finally {
    await fixed.release();
    await dynamic.release();
  }
});

Deno.test("converted CenterNet matches the TF.js model on the same input", async () => {
  const dir = asset("models/tfjs/centernet.json").replace(/centernet\.json$/, "");
  const json: TfGraphModel = JSON.parse(
    await Deno.readTextFile(`${dir}centernet.json`),
  );
  const bin = await Deno.readFile(`${dir}centernet.bin`);
  const onnxBytes = convertCenterNet(json, bin);

  const frame = await readFrame(asset("media/chelsea.png"));
  const { data } = frameToTensor(frame, {
    width: 512,
    height: 512,
    layout: "nhwc",
    fit: "letterbox",
    range: 255,
  });

  // PROD silences the "use tfjs-node" banner; the pure-JS CPU backend is the reference here.
  tf.env().set("PROD", true);
  await tf.setBackend("cpu");
  const model = await loadGraphModel(tf.io.fromMemory({
    modelTopology: json.modelTopology,
    weightSpecs: json.weightsManifest.flatMap((g) => g.weights),
    weightData: bin.buffer,
  }));
  const input = tf.tensor(data, [1, 512, 512, 3]);
  const [keypoints, wh] = model.execute(input, ["tower_0/keypoints", "tower_0/wh"]) as tf.Tensor[];
  const tfHeat = await keypoints!.data();
  const tfBoxes = await wh!.data();
  tf.dispose([input, keypoints!, wh!]);
  model.dispose();

  const session = await ort.InferenceSession.create(onnxBytes);
  try {
    const out = await session.run({ images: new ort.Tensor("float32", data, [1, 512, 512, 3]) });
    const heat = out.heatmap!.data as Float32Array;
    const boxes = out.boxes!.data as Float32Array;
    const cells = 128 * 128;
    let heatDiff = 0, boxDiff = 0, heatMax = 0;
    for (let i = 0; i < cells; i++) {
      // TF.js is NHWC, the ONNX outputs NCHW.
      for (let c = 0; c < 80; c++) {
        heatDiff = Math.max(heatDiff, Math.abs(tfHeat[i * 80 + c]! - heat[c * cells + i]!));
        heatMax = Math.max(heatMax, heat[c * cells + i]!);
      }
      for (let c = 0; c < 4; c++) {
        boxDiff = Math.max(boxDiff, Math.abs(tfBoxes[i * 4 + c]! - boxes[c * cells + i]!));
      }
    }
    assert.ok(heatMax > 0.3, `the image should produce a real peak, max ${heatMax}`);
    assert.ok(heatDiff < 1e-4, `heatmap differs from TF.js by up to ${heatDiff}`);
    assert.ok(boxDiff < 0.05, `box distances differ from TF.js by up to ${boxDiff} px`);
  } finally {
    await session.release();
  }
});
