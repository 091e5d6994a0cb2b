/**
 * What the CenterNet converter reads from a TF.js graph model: the manifest's types, the weights
 * decoded from their binary, and the labels of npm @vladmandic/human.
 *
 * @module
 */
/** One entry of a TF.js weights manifest. */
export interface TfWeightSpec {
  name: string;
  shape: number[];
  dtype: string;
  quantization?: { dtype: string; original_dtype?: string };
}

/** The parts of a TF.js graph-model JSON the converter reads. */
export interface TfGraphModel {
  modelTopology: { node: TfNode[] };
  weightsManifest: { paths: string[]; weights: TfWeightSpec[] }[];
}

/** One TF GraphDef node as TF.js serializes it. */
export interface TfNode {
  name: string;
  op: string;
  input?: string[];
  attr?: Record<string, TfAttr>;
}

/** A TF attribute value; strings are base64 encoded. */
export interface TfAttr {
  s?: string;
  i?: string;
  b?: boolean;
  f?: number;
  list?: { s?: string[]; i?: string[] };
  shape?: { dim?: { size: string }[] };
}

/** A decoded constant. */
export type ConstValue = { dtype: "float32"; shape: number[]; data: Float32Array } | {
  dtype: "int32";
  shape: number[];
  data: Int32Array;
};

/**
 * Decodes an IEEE 754 half-precision value.
 *
 * @param h the 16 bits
 * @returns the value as a number
 * @example
 * ```ts
 * halfToFloat(0x3c00); // 1
 * ```
 */
export function halfToFloat(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const exp = (h >> 10) & 0x1f;
  const frac = h & 0x3ff;
  if (exp === 0) return sign * 2 ** -14 * (frac / 1024);
  if (exp === 31) return frac ? NaN : sign * Infinity;
  return sign * 2 ** (exp - 15) * (1 + frac / 1024);
}

/**
 * Splits the concatenated weight files of a TF.js model into named constants, expanding float16
 * quantized weights to float32.
 *
 * @param specs the manifest entries, in file order
 * @param bin the weight files concatenated in manifest order
 * @returns constants by node name
 * @throws {Error} if the byte sizes do not add up or a dtype is unsupported
 */
export function decodeWeights(specs: TfWeightSpec[], bin: Uint8Array): Map<string, ConstValue> {
  const view = new DataView(bin.buffer, bin.byteOffset, bin.byteLength);
  const out = new Map<string, ConstValue>();
  let offset = 0;
  for (const spec of specs) {
    const count = spec.shape.reduce((a, b) => a * b, 1);
    const stored = spec.quantization?.dtype ?? spec.dtype;
    if (offset + count * (stored === "float16" ? 2 : 4) > bin.byteLength) {
      throw new Error(`convert: weights file too short at ${spec.name}`);
    }
    if (stored === "float16" && spec.dtype === "float32") {
      const data = new Float32Array(count);
      for (let i = 0; i < count; i++) data[i] = halfToFloat(view.getUint16(offset + 2 * i, true));
      out.set(spec.name, { dtype: "float32", shape: spec.shape, data });
      offset += 2 * count;
    } else if (stored === "float32") {
      const data = new Float32Array(count);
      for (let i = 0; i < count; i++) data[i] = view.getFloat32(offset + 4 * i, true);
      out.set(spec.name, { dtype: "float32", shape: spec.shape, data });
      offset += 4 * count;
    } else if (stored === "int32") {
      const data = new Int32Array(count);
      for (let i = 0; i < count; i++) data[i] = view.getInt32(offset + 4 * i, true);
      out.set(spec.name, { dtype: "int32", shape: spec.shape, data });
      offset += 4 * count;
    } else {
      throw new Error(`convert: unsupported weight dtype ${stored} for ${spec.name}`);
    }
  }
  if (offset !== bin.byteLength) {
    throw new Error(`convert: weights file has ${bin.byteLength} bytes, manifest needs ${offset}`);
  }
  return out;
}

/**
 * Reads the label list from `@vladmandic/human`'s `src/object/labels.ts`, in model class order.
 *
 * @param source the TypeScript source text
 * @returns labels, index = model class id
 * @throws {Error} if no labels are found
 * @example
 * ```ts
 * parseHumanLabels("[{ class: 1, label: 'person' }]"); // ["person"]
 * ```
 */
export function parseHumanLabels(source: string): string[] {
  const labels = [...source.matchAll(/label:\s*['"]([^'"]+)['"]/g)].map((m) => m[1] ?? "");
  if (labels.length === 0) throw new Error("convert: no labels found in labels.ts");
  return labels;
}
