/**
 * Builds tiny ONNX models with constant outputs, so adapter tests know exactly what the "network"
 * returns. The input is wired in (multiplied by zero) so onnxruntime keeps it in the signature.
 *
 * @module
 */
import pkg from "onnx-proto";

const { onnx } = pkg;

/** A constant output of the tiny model. */
export interface ConstOutput {
  name: string;
  dims: number[];
  data: Float32Array;
  /** Declared shape if not `dims`; a string is a symbolic (dynamic) dimension. */
  declared?: (number | string)[];
}

/**
 * Serializes a model `input → outputs` where every output is a constant plus `0 * sum(input)`.
 *
 * @param input name and dims of the single float input
 * @param outputs the constant outputs
 * @returns ONNX bytes (opset 18, IR 8)
 */
export function constantModel(
  input: { name: string; dims: (number | string)[] },
  outputs: ConstOutput[],
): Uint8Array {
  const floatInfo = (name: string, dims: (number | string)[]) => ({
    name,
    type: {
      tensorType: {
        elemType: onnx.TensorProto.DataType.FLOAT,
        shape: {
          dim: dims.map((d) => typeof d === "number" ? { dimValue: d } : { dimParam: d }),
        },
      },
    },
  });
  const raw = (data: Float32Array) => new Uint8Array(data.slice().buffer);
  const nodes = [
    {
      opType: "ReduceSum",
      input: [input.name],
      output: ["sum"],
      attribute: [{ name: "keepdims", type: onnx.AttributeProto.AttributeType.INT, i: 0 }],
    },
    { opType: "Mul", input: ["sum", "zero"], output: ["nothing"] },
    ...outputs.map((o) => ({
      opType: "Add",
      input: [`${o.name}:const`, "nothing"],
      output: [o.name],
    })),
  ];
  const initializer = [
    {
      name: "zero",
      dims: [],
      dataType: onnx.TensorProto.DataType.FLOAT,
      rawData: raw(new Float32Array([0])),
    },
    ...outputs.map((o) => ({
      name: `${o.name}:const`,
      dims: o.dims,
      dataType: onnx.TensorProto.DataType.FLOAT,
      rawData: raw(o.data),
    })),
  ];
  return onnx.ModelProto.encode({
    irVersion: 8,
    opsetImport: [{ domain: "", version: 18 }],
    graph: {
      name: "tiny",
      node: nodes,
      initializer,
      input: [floatInfo(input.name, input.dims)],
      output: outputs.map((o) => floatInfo(o.name, o.declared ?? o.dims)),
    },
  }).finish();
}

/** One YOLO candidate in input pixels. */
export interface YoloCandidate {
  box: [x1: number, y1: number, x2: number, y2: number];
  /** Class scores, one per class. */
  scores: number[];
  /** v5 only; 1 when omitted. */
  objectness?: number;
}

/**
 * Lays candidates out as a YOLO output tensor (unused anchors are zero).
 *
 * @param layout v5 `[1,N,5+C]` or v8 `[1,4+C,N]`
 * @param anchors N
 * @param classes C
 * @param candidates filled into the first anchors
 * @returns data and dims
 */
export function yoloOutput(
  layout: "v5" | "v8",
  anchors: number,
  classes: number,
  candidates: YoloCandidate[],
): { dims: number[]; data: Float32Array } {
  const attrs = (layout === "v5" ? 5 : 4) + classes;
  const data = new Float32Array(anchors * attrs);
  candidates.forEach((c, i) => {
    const [x1, y1, x2, y2] = c.box;
    const values = [(x1 + x2) / 2, (y1 + y2) / 2, x2 - x1, y2 - y1];
    if (layout === "v5") values.push(c.objectness ?? 1);
    values.push(...c.scores);
    values.forEach((v, k) => {
      data[layout === "v5" ? i * attrs + k : k * anchors + i] = v;
    });
  });
  return { dims: layout === "v5" ? [1, anchors, attrs] : [1, attrs, anchors], data };
}
