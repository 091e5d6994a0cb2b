import assert from "node:assert/strict";
import { join } from "node:path";
import * as ort from "onnxruntime-node";
import pkg from "onnx-proto";
import {
  floatsTensor,
  floatTensor,
  intAttr,
  intsAttr,
  stringAttr,
  tensorValue,
} from "../../scripts/convert/onnx_builders.ts";
import {
  calibrationTensors,
  quantizeModel,
  quantizeWeight,
  squeezeExciteConvs,
  type TensorRange,
  uint8Params,
} from "../../scripts/convert/quantize_int8.ts";
import { widenRange, widenRangePercentile, withOutputs } from "../../scripts/convert/calibrate.ts";

const { onnx } = pkg;

/** Deterministic weights in [-1, 1). */
function weights(n: number, seed: number): Float32Array {
  return Float32Array.from({ length: n }, (_, i) => ((i * 7919 + seed * 104729) % 200) / 100 - 1);
}

function conv(name: string, input: string, output: string, dims: number[], seed: number) {
  return {
    node: {
      name,
      opType: "Conv",
      input: [input, `${name}:w`, `${name}:b`],
      output: [output],
      attribute: [
        intsAttr("kernel_shape", dims.slice(2)),
        intAttr("group", 1),
        stringAttr("auto_pad", "SAME_UPPER"),
      ],
    },
    inits: [
      floatTensor(`${name}:w`, dims, weights(dims.reduce((a, b) => a * b), seed)),
      floatsTensor(`${name}:b`, [...weights(dims[0]!, seed + 1)]),
    ],
  };
}

/**
 * x [1,2,H,W] → Conv 3x3 → Relu → Resize x2 (axes [2,3], as the converter writes it) → Conv 1x1
 * (→ Add with itself: a residual) → Conv 3x3 "head" → y [1,3,2H,2W]; plus a squeeze-excite branch
 * (GlobalAveragePool → Conv 1x1) multiplied back in before the head.
 */
function tinyModel(): pkg.onnx.IModelProto {
  const a = conv("a", "x", "a", [4, 2, 3, 3], 1);
  const b = conv("b", "up", "b", [4, 4, 1, 1], 2);
  const se = conv("se", "pool", "se", [4, 4, 1, 1], 3);
  const head = conv("head", "scaled", "y", [3, 4, 3, 3], 4);
  return {
    irVersion: 8,
    opsetImport: [{ domain: "", version: 18 }],
    graph: {
      name: "tiny",
      node: [
        a.node,
        { name: "relu", opType: "Relu", input: ["a"], output: ["a_relu"] },
        {
          name: "up",
          opType: "Resize",
          input: ["a_relu", "", "up:scales"],
          output: ["up"],
          attribute: [
            stringAttr("mode", "linear"),
            stringAttr("coordinate_transformation_mode", "asymmetric"),
            intsAttr("axes", [2, 3]),
          ],
        },
        b.node,
        { name: "residual", opType: "Add", input: ["b", "up"], output: ["sum"] },
        { name: "pool", opType: "GlobalAveragePool", input: ["sum"], output: ["pool"] },
        se.node,
        { name: "gate", opType: "Sigmoid", input: ["se"], output: ["gate"] },
        { name: "scale", opType: "Mul", input: ["sum", "gate"], output: ["scaled"] },
        head.node,
      ],
      initializer: [
        ...a.inits,
        ...b.inits,
        ...se.inits,
        ...head.inits,
        floatsTensor("up:scales", [
          2,
          2,
        ]),
      ],
      input: [tensorValue("x", [1, 2, "h", "w"])],
      output: [tensorValue("y", [1, 3, "h2", "w2"])],
    },
  };
}

function input(seed: number): ort.Tensor {
  const data = Float32Array.from({ length: 2 * 8 * 8 }, (_, i) => Math.sin(i * 0.37 + seed) * 3);
  return new ort.Tensor("float32", data, [1, 2, 8, 8]);
}

async function run(bytes: Uint8Array, x: ort.Tensor, optimizedPath?: string) {
  const session = await ort.InferenceSession.create(bytes, {
    graphOptimizationLevel: "all",
    ...(optimizedPath ? { optimizedModelFilePath: optimizedPath } : {}),
  });
  try {
    return (await session.run({ x })).y!.data as Float32Array;
  } finally {
    await session.release();
  }
}

const encode = (m: pkg.onnx.IModelProto) => onnx.ModelProto.encode(m).finish();

Deno.test("uint8Params() covers the range with zero exact and a Relu's floor at zero point 0", () => {
  assert.deepEqual(uint8Params({ min: 0, max: 255 }), { scale: 1, zeroPoint: 0 });
  const relu = uint8Params({ min: 2, max: 5.1 });
  assert.ok(Math.abs(relu.scale - 0.02) < 1e-9 && relu.zeroPoint === 0, JSON.stringify(relu));
  const signed = uint8Params({ min: -1, max: 1.55 });
  assert.ok(Math.abs(signed.scale - 0.01) < 1e-9 && signed.zeroPoint === 100);
  assert.deepEqual(uint8Params({ min: 0, max: 0 }), { scale: 1, zeroPoint: 0 });
});

Deno.test("quantizeWeight() scales each output channel to its own peak, symmetric", () => {
  const { values, scales } = quantizeWeight(new Float32Array([1, -0.25, 0.01, -0.02, 0, 0]), 3);
  [1 / 127, 0.02 / 127, 1].forEach((want, c) => assert.ok(Math.abs(scales[c]! - want) < 1e-9));
  assert.deepEqual([...values], [127, -32, 64, -127, 0, 0]);
});

Deno.test("widenRangePercentile() clips the outliers beyond the percentile", () => {
  const values = Float32Array.from({ length: 10_000 }, (_, i) => i / 10_000);
  values[0] = -50;
  values[1] = 80;
  const ranges = new Map();
  widenRangePercentile(ranges, "t", values, 0.999);
  const { min, max } = ranges.get("t");
  assert.ok(min > -1 && min < 0.01 && max < 1 && max > 0.99, `${min}..${max}`);
});

Deno.test("calibrationTensors() names the quantised convs' inputs and Relu'd outputs, not the head's or the squeeze-excite's", () => {
  const graph = tinyModel().graph!;
  assert.deepEqual([...squeezeExciteConvs(graph)], ["se"]);
  assert.deepEqual(calibrationTensors(graph, { floatConvs: squeezeExciteConvs(graph) }), [
    "x",
    "a_relu",
    "up",
    "b",
  ]);
});

Deno.test("quantizeModel() writes QDQ convs that onnxruntime fuses into QLinearConv and that stay within 3% of fp32", async () => {
  const model = tinyModel();
  const options = { floatConvs: squeezeExciteConvs(model.graph!) };
  const names = calibrationTensors(model.graph!, options);
  const dir = await Deno.makeTempDir({ prefix: "vigil-quantize-" });
  try {
    const ranges = await rangesOf(model, names);
    const quantized = quantizeModel(model, ranges, options);
    const ops = quantized.graph!.node!.map((n) => n.opType);
    assert.equal(ops.filter((o) => o === "QuantizeLinear").length, 4);
    const weight = quantized.graph!.initializer!.find((t) => t.name === "a:w:int8")!;
    assert.equal(weight.dataType, onnx.TensorProto.DataType.INT8);
    const bias = quantized.graph!.initializer!.find((t) => t.name === "a:b:int32")!;
    assert.equal(bias.dataType, onnx.TensorProto.DataType.INT32);
    assert.ok(!quantized.graph!.initializer!.some((t) => t.name === "a:w"), "fp32 weight left");

    const optimized = join(dir, "optimized.onnx");
    for (const seed of [0, 1, 2]) {
      const x = input(seed);
      const want = await run(encode(model), x);
      const got = await run(encode(quantized), x, optimized);
      const span = Math.max(...want) - Math.min(...want);
      const worst = Math.max(...want.map((v, i) => Math.abs(v - got[i]!)));
      assert.ok(worst < 0.03 * span, `seed ${seed}: worst ${worst} of a span ${span}`);
    }
    const fused = onnx.ModelProto.decode(await Deno.readFile(optimized)).graph!.node!;
    const count = (op: string) => fused.filter((n) => n.opType === op).length;
    // a and b fuse; the head and the squeeze-excite conv stay fp32.
    assert.equal(count("QLinearConv"), 2, fused.map((n) => n.opType).join(","));
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

async function rangesOf(model: pkg.onnx.IModelProto, names: string[]) {
  const session = await ort.InferenceSession.create(withOutputs(model, names));
  const ranges = new Map<string, TensorRange>();
  try {
    for (const seed of [0, 1, 2]) {
      const out = await session.run({ x: input(seed) });
      for (const name of names) widenRange(ranges, name, out[name]!.data as Float32Array);
    }
  } finally {
    await session.release();
  }
  return ranges;
}

Deno.test("quantizeModel() names a tensor it has no range for", () => {
  assert.throws(() => quantizeModel(tinyModel(), new Map()), /no calibrated range for x/);
});
