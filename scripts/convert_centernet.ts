/**
 * Converts the CenterNet (MobileNetV3) TF.js graph model shipped by npm `@vladmandic/human` into an
 * ONNX model that onnxruntime runs, and its label list into a plain text file.
 *
 * The ONNX graph keeps only the network, from `tower_0/images` to the two head outputs; the
 * decoding the TF.js graph does after them (MaxPool peaks, TopK, gather) is done in TypeScript by
 * `models/detectors/centernet_decode.ts`, where thresholds and the class filter are configurable.
 *
 * ONNX interface of the result (opset 18, IR 8), as the setup step writes it (`dynamic`):
 * - input `images`: float32 NHWC `[N,H,W,3]` (H and W multiples of 32; the TF.js model was
 *   trained at 512x512), RGB 0..255, no normalization (transposed to NCHW inside the graph);
 * - output `heatmap`: float32 NCHW `[N,80,H/4,W/4]`, per-class centre probability (sigmoid);
 * - output `boxes`: float32 NCHW `[N,4,H/4,W/4]`, distances left, top, right, bottom from the
 *   cell centre `(4x, 4y)` in input pixels (stride 4).
 *
 * A 16:9 frame then runs at 512x288 instead of being letterboxed into 512x512: the same pixels
 * per object, 44% less input and about a third of the time (docs/decisions/analysis-capacity.md).
 *
 * Usage:
 * ```sh
 * deno run -A scripts/convert_centernet.ts --model path/centernet.json --labels path/labels.ts \
 *   --out assets/models
 * ```
 *
 * @module
 */
import pkg from "onnx-proto";
import { parseArgs } from "node:util";
import { dirname, join } from "node:path";

import {
  type ConstValue,
  decodeWeights,
  parseHumanLabels,
  type TfGraphModel,
  type TfNode,
} from "./convert/tf_weights.ts";
import {
  floatsTensor,
  floatTensor,
  int64Tensor,
  intAttr,
  intsAttr,
  stringAttr,
  tensorValue,
} from "./convert/onnx_builders.ts";
const { onnx } = pkg;

/** Name of the TF input placeholder and the head outputs the converter keeps. */
const TF_INPUT = "tower_0/images";
const TF_HEATMAP = "tower_0/keypoints";
const TF_BOXES = "tower_0/wh";
/** Names in the ONNX graph, documented in the module comment. */
export const ONNX_INPUT = "images";
export const ONNX_HEATMAP = "heatmap";
export const ONNX_BOXES = "boxes";

/** Input side if the placeholder does not say; the model's heads are at 1/4 of it. */
const DEFAULT_INPUT_SIZE = 512;
const OUTPUT_STRIDE = 4;

/** NHWC axis → NCHW axis, for ConcatV2 and reductions. */
const NHWC_TO_NCHW_AXIS = [0, 2, 3, 1];

const decoder = new TextDecoder();

function attrString(node: TfNode, key: string): string | undefined {
  const s = node.attr?.[key]?.s;
  return s === undefined ? undefined : decoder.decode(Uint8Array.fromBase64(s));
}

function attrInts(node: TfNode, key: string): number[] {
  return (node.attr?.[key]?.list?.i ?? []).map(Number);
}

function attrStrings(node: TfNode, key: string): string[] {
  return (node.attr?.[key]?.list?.s ?? []).map((s) => decoder.decode(Uint8Array.fromBase64(s)));
}

/** `[N, C, H, W]` from the batch and cell dims and the channel count. */
function outputDims(cells: (number | string)[], channels: number): (number | string)[] {
  const [n = 1, h = 1, w = 1] = cells;
  return [n, channels, h, w];
}

/** HWIO (TF conv filter) → OIHW (ONNX conv weight). */
function hwioToOihw(c: ConstValue): { dims: number[]; data: Float32Array } {
  const [kh = 0, kw = 0, ci = 0, co = 0] = c.shape;
  const data = new Float32Array(c.data.length);
  for (let y = 0; y < kh; y++) {
    for (let x = 0; x < kw; x++) {
      for (let i = 0; i < ci; i++) {
        for (let o = 0; o < co; o++) {
          data[((o * ci + i) * kh + y) * kw + x] = c.data[((y * kw + x) * ci + i) * co + o] ?? 0;
        }
      }
    }
  }
  return { dims: [co, ci, kh, kw], data };
}

/** TF depthwise filter [kh,kw,ci,mult] → ONNX grouped conv weight [ci*mult,1,kh,kw]. */
function depthwiseToOihw(c: ConstValue): { dims: number[]; data: Float32Array } {
  const [kh = 0, kw = 0, ci = 0, mult = 0] = c.shape;
  const data = new Float32Array(c.data.length);
  for (let y = 0; y < kh; y++) {
    for (let x = 0; x < kw; x++) {
      for (let i = 0; i < ci; i++) {
        for (let m = 0; m < mult; m++) {
          data[((i * mult + m) * kh + y) * kw + x] = c.data[((y * kw + x) * ci + i) * mult + m] ??
            0;
        }
      }
    }
  }
  return { dims: [ci * mult, 1, kh, kw], data };
}

/** Options of {@linkcode convertCenterNet}. */
export interface ConvertOptions {
  /**
   * Any batch and any input size that is a multiple of 32 (`[N,H,W,3]` in, `[N,C,H/4,W/4]` out):
   * the upsampling steps become "twice the size" instead of fixed sizes, so crops and batches run
   * on the same weights. Default false: the fixed `[1,512,512,3]` graph of the TF.js model.
   */
  dynamic?: boolean;
}

/**
 * Converts the CenterNet TF.js graph into an ONNX model (see the module comment for its interface).
 *
 * @param model the parsed `centernet.json`
 * @param bin the weight file(s) concatenated in manifest order
 * @param options `dynamic` for any batch and input size
 * @returns the serialized ONNX model
 * @throws {Error} naming the node when the graph uses an op or attribute the converter does not
 *   map
 */
export function convertCenterNet(
  model: TfGraphModel,
  bin: Uint8Array,
  options: ConvertOptions = {},
): Uint8Array {
  const consts = decodeWeights(model.weightsManifest.flatMap((g) => g.weights), bin);
  const byName = new Map(model.modelTopology.node.map((n) => [n.name, n]));
  const nodes: pkg.onnx.INodeProto[] = [];
  const initializers: pkg.onnx.ITensorProto[] = [];
  const done = new Set<string>();
  const size = Number(
    byName.get(TF_INPUT)?.attr?.shape?.shape?.dim?.[1]?.size ?? DEFAULT_INPUT_SIZE,
  );
  /** Input pixels per cell of each converted tensor: what a fixed resize size means as a factor. */
  const strides = new Map<string, number>();

  const constOf = (name: string, user: string): ConstValue => {
    const c = consts.get(name);
    if (!c) throw new Error(`convert: ${user} needs constant ${name}, which has no weights`);
    return c;
  };
  const scalarInit = (name: string, user: string): string => {
    const c = constOf(name, user);
    if (c.dtype !== "float32" || c.data.length !== 1) {
      throw new Error(`convert: ${user} expects a float scalar in ${name}`);
    }
    const onnxName = `${name}:scalar`;
    if (!done.has(onnxName)) {
      initializers.push(floatTensor(onnxName, [], c.data));
      done.add(onnxName);
    }
    return onnxName;
  };
  const convNode = (node: TfNode, x: string, depthwise: boolean, biasName?: string) => {
    const filter = constOf(node.input?.[1] ?? "", node.name);
    const weight = depthwise ? depthwiseToOihw(filter) : hwioToOihw(filter);
    const steps = attrInts(node, "strides");
    const dilations = attrInts(node, "dilations");
    const padding = attrString(node, "padding");
    if (attrString(node, "data_format") !== "NHWC") {
      throw new Error(`convert: ${node.name}: only NHWC is supported`);
    }
    if (padding !== "SAME" && padding !== "VALID") {
      throw new Error(`convert: ${node.name}: unsupported padding ${padding}`);
    }
    const inputs = [x, `${node.name}:weight`];
    initializers.push(floatTensor(`${node.name}:weight`, weight.dims, weight.data));
    if (biasName) {
      const bias = constOf(biasName, node.name);
      initializers.push(
        floatTensor(`${node.name}:bias`, [bias.data.length], bias.data as Float32Array),
      );
      inputs.push(`${node.name}:bias`);
    }
    strides.set(node.name, (strides.get(x) ?? 1) * (steps[1] ?? 1));
    const fused = attrStrings(node, "fused_ops").slice(1);
    const convOut = fused.length > 0 ? `${node.name}:conv` : node.name;
    nodes.push({
      name: `${node.name}:conv`,
      opType: "Conv",
      input: inputs,
      output: [convOut],
      attribute: [
        intsAttr("kernel_shape", weight.dims.slice(2)),
        intsAttr("strides", [steps[1] ?? 1, steps[2] ?? 1]),
        intsAttr("dilations", [dilations[1] ?? 1, dilations[2] ?? 1]),
        intAttr("group", depthwise ? weight.dims[0] ?? 1 : 1),
        stringAttr("auto_pad", padding === "SAME" ? "SAME_UPPER" : "VALID"),
      ],
    });
    if (fused.length === 0) return;
    if (fused.length !== 1 || fused[0] !== "Relu") {
      throw new Error(`convert: ${node.name}: unsupported fused ops ${fused.join(",")}`);
    }
    nodes.push({ name: node.name, opType: "Relu", input: [convOut], output: [node.name] });
  };

  const visit = (name: string): void => {
    if (done.has(name)) return;
    const node = byName.get(name);
    if (!node) throw new Error(`convert: graph references missing node ${name}`);
    const inputs = (node.input ?? []).filter((i) => !i.startsWith("^"));
    for (const i of inputs) {
      if (byName.get(i)?.op !== "Const") visit(i);
    }
    done.add(name);
    const first = inputs[0] ?? "";
    strides.set(name, Math.max(1, ...inputs.map((i) => strides.get(i) ?? 1)));
    switch (node.op) {
      case "Placeholder":
        if (name !== TF_INPUT) throw new Error(`convert: unexpected graph input ${name}`);
        nodes.push({
          name,
          opType: "Transpose",
          input: [ONNX_INPUT],
          output: [name],
          attribute: [intsAttr("perm", [0, 3, 1, 2])],
        });
        return;
      case "_FusedConv2D":
      case "FusedDepthwiseConv2dNative": {
        const fused = attrStrings(node, "fused_ops");
        if (fused[0] !== "BiasAdd" || Number(node.attr?.num_args?.i ?? 0) !== 1) {
          throw new Error(`convert: ${name}: fused ops ${fused.join(",")} are not supported`);
        }
        convNode(node, first, node.op === "FusedDepthwiseConv2dNative", inputs[2]);
        return;
      }
      case "Conv2D":
      case "DepthwiseConv2dNative":
        convNode(node, first, node.op === "DepthwiseConv2dNative");
        return;
      case "Add":
      case "Mul":
      case "Sub": {
        const operands = inputs.map((i) => byName.get(i)?.op === "Const" ? scalarInit(i, name) : i);
        nodes.push({ name, opType: node.op, input: operands, output: [name] });
        return;
      }
      case "Relu":
      case "Sigmoid":
      case "Identity":
        nodes.push({ name, opType: node.op, input: [first], output: [name] });
        return;
      case "Relu6": {
        initializers.push(floatTensor(`${name}:min`, [], new Float32Array([0])));
        initializers.push(floatTensor(`${name}:max`, [], new Float32Array([6])));
        nodes.push({
          name,
          opType: "Clip",
          input: [first, `${name}:min`, `${name}:max`],
          output: [name],
        });
        return;
      }
      case "Mean": {
        const axes = [...constOf(inputs[1] ?? "", name).data];
        if (axes.join() !== "1,2" || node.attr?.keep_dims?.b !== true) {
          throw new Error(`convert: ${name}: only a spatial mean with keep_dims is supported`);
        }
        nodes.push({ name, opType: "GlobalAveragePool", input: [first], output: [name] });
        return;
      }
      case "ResizeBilinear": {
        if (node.attr?.align_corners?.b || node.attr?.half_pixel_centers?.b) {
          throw new Error(`convert: ${name}: only the legacy (asymmetric) resize is supported`);
        }
        const sizes = [...constOf(inputs[1] ?? "", name).data];
        const stride = size / (sizes[0] ?? 0);
        const factor = (strides.get(first) ?? 1) / stride;
        if (options.dynamic && (sizes[0] !== sizes[1] || !Number.isInteger(factor))) {
          throw new Error(`convert: ${name}: resize to ${sizes} is not an integer upsampling`);
        }
        strides.set(name, stride);
        const target = options.dynamic ? ["", `${name}:scales`] : ["", "", `${name}:sizes`];
        initializers.push(
          options.dynamic
            ? floatsTensor(`${name}:scales`, [factor, factor])
            : int64Tensor(`${name}:sizes`, sizes),
        );
        nodes.push({
          name,
          opType: "Resize",
          input: [first, ...target],
          output: [name],
          attribute: [
            stringAttr("mode", "linear"),
            stringAttr("coordinate_transformation_mode", "asymmetric"),
            intsAttr("axes", [2, 3]),
          ],
        });
        return;
      }
      case "ConcatV2": {
        const axisName = inputs[inputs.length - 1] ?? "";
        const raw = constOf(axisName, name).data[0] ?? 0;
        const axis = NHWC_TO_NCHW_AXIS[raw < 0 ? raw + 4 : raw];
        if (axis === undefined) throw new Error(`convert: ${name}: bad concat axis ${raw}`);
        nodes.push({
          name,
          opType: "Concat",
          input: inputs.slice(0, -1),
          output: [name],
          attribute: [intAttr("axis", axis)],
        });
        return;
      }
      default:
        throw new Error(`convert: ${name}: op ${node.op} is not supported`);
    }
  };

  /** Channels of a head output: follow it back through activations to the conv that makes it. */
  const outputChannels = (name: string): number => {
    let node = byName.get(name);
    while (node && !node.op.includes("Conv")) node = byName.get(node.input?.[0] ?? "");
    const filter = consts.get(node?.input?.[1] ?? "");
    if (!filter) throw new Error(`convert: cannot find the conv that produces ${name}`);
    return filter.shape[3] ?? 0;
  };

  visit(TF_HEATMAP);
  visit(TF_BOXES);
  nodes.push({
    name: ONNX_HEATMAP,
    opType: "Identity",
    input: [TF_HEATMAP],
    output: [ONNX_HEATMAP],
  });
  nodes.push({ name: ONNX_BOXES, opType: "Identity", input: [TF_BOXES], output: [ONNX_BOXES] });

  const grid = size / OUTPUT_STRIDE;
  const [batch, height, width, cells] = options.dynamic
    ? ["batch", "height", "width", ["batch", "height/4", "width/4"]]
    : [1, size, size, [1, grid, grid]];
  const modelProto: pkg.onnx.IModelProto = {
    irVersion: 8,
    producerName: "vigil convert_centernet",
    opsetImport: [{ domain: "", version: 18 }],
    graph: {
      name: "centernet",
      node: nodes,
      initializer: initializers,
      input: [tensorValue(ONNX_INPUT, [batch, height, width, 3])],
      output: [
        tensorValue(ONNX_HEATMAP, outputDims(cells, outputChannels(TF_HEATMAP))),
        tensorValue(ONNX_BOXES, outputDims(cells, outputChannels(TF_BOXES))),
      ],
    },
  };
  return onnx.ModelProto.encode(modelProto).finish();
}

/** What `centernet.format` says of the written model; scripts/fetch_assets.sh compares it. */
export const MODEL_FORMAT = "dynamic-nhwc";

/**
 * Reads the TF.js model and labels, converts them and writes `centernet.onnx` (any batch and
 * size), `coco_labels.txt` (one label per line) and the `centernet.format` stamp into the output
 * directory.
 *
 * @param args command-line arguments: `--model <centernet.json> --labels <labels.ts> --out <dir>`
 * @returns the paths written
 */
export async function main(args: string[] = Deno.args): Promise<{ model: string; labels: string }> {
  const { values } = parseArgs({
    args,
    options: {
      model: { type: "string" },
      labels: { type: "string" },
      out: { type: "string", default: join(import.meta.dirname ?? ".", "..", "assets", "models") },
    },
  });
  if (!values.model || !values.labels) {
    throw new Error(
      "usage: convert_centernet.ts --model centernet.json --labels labels.ts --out dir",
    );
  }
  const json = JSON.parse(await Deno.readTextFile(values.model)) as TfGraphModel;
  const parts = await Promise.all(
    json.weightsManifest.flatMap((g) => g.paths).map((p) =>
      Deno.readFile(join(dirname(values.model ?? ""), p))
    ),
  );
  const bin = new Uint8Array(parts.reduce((n, p) => n + p.byteLength, 0));
  parts.reduce((off, p) => (bin.set(p, off), off + p.byteLength), 0);
  const onnxBytes = convertCenterNet(json, bin, { dynamic: true });
  const labels = parseHumanLabels(await Deno.readTextFile(values.labels));
  const out = values.out ?? ".";
  await Deno.mkdir(out, { recursive: true });
  const modelPath = join(out, "centernet.onnx");
  const labelsPath = join(out, "coco_labels.txt");
  // Write to a temp name and rename, so an interrupted run never leaves a truncated model behind.
  await Deno.writeFile(`${modelPath}.tmp`, onnxBytes);
  await Deno.rename(`${modelPath}.tmp`, modelPath);
  await Deno.writeTextFile(labelsPath, labels.join("\n") + "\n");
  // The setup step converts again when this stamp is not the current format.
  await Deno.writeTextFile(join(out, "centernet.format"), `${MODEL_FORMAT}\n`);
  return { model: modelPath, labels: labelsPath };
}

if (import.meta.main) {
  const written = await main();
  console.log(`wrote ${written.model} and ${written.labels}`);
}
