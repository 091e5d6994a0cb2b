/**
 * Static int8 quantisation of an ONNX graph's convolutions in the QDQ format, the form
 * onnxruntime's CPU provider fuses into `QLinearConv` (u8 activations, s8 weights, VNNI on x86):
 * - every quantised Conv reads its activation through QuantizeLinear→DequantizeLinear (uint8,
 *   asymmetric, one scale per tensor from calibration), its weight from an int8 initializer through
 *   a per-output-channel DequantizeLinear (axis 0, symmetric) and its bias from an int32
 *   initializer whose scale is the input's times the weight's, as onnxruntime's Conv selector
 *   requires (`ConvNodeGroupSelector`: every input from a DequantizeLinear, an int32 bias, the only
 *   consumer of the output a QuantizeLinear, optionally after a Relu the quantisation makes
 *   redundant);
 * - its output is quantised the same way (after its Relu when a Relu is its only consumer), so
 *   consecutive convolutions stay in uint8 and the Adds between them fuse too (`QLinearAdd`);
 * - the convolutions whose output reaches a graph output without passing another Conv (the
 *   head's last layers: heatmap logits, box distances) stay fp32.
 *
 * The rewrite is pure: ranges come from {@linkcode calibrationTensors} measured by the caller
 * (`calibrate.ts`). Measurement and decision: docs/decisions/int8-detector.md.
 *
 * @module
 */
import pkg from "onnx-proto";
import { floatsTensor, floatTensor } from "./onnx_builders.ts";

const { onnx } = pkg;
type Graph = pkg.onnx.IGraphProto;
type Node = pkg.onnx.INodeProto;
type Tensor = pkg.onnx.ITensorProto;
const DataType = onnx.TensorProto.DataType;

/** The observed range of an activation over the calibration inputs. */
export interface TensorRange {
  min: number;
  max: number;
}

/** Scale and zero point of a uint8 activation: `real = (q - zeroPoint) * scale`. */
export interface QuantParams {
  scale: number;
  zeroPoint: number;
}

/**
 * uint8 parameters covering a range; the range is widened to hold 0 so that zero (padding, a
 * Relu's floor) is exact, and a Relu's output gets zero point 0 (what makes the Relu redundant).
 *
 * @param range the observed minimum and maximum
 * @returns scale and zero point
 * @example
 * ```ts
 * uint8Params({ min: 0, max: 255 }); // { scale: 1, zeroPoint: 0 }
 * ```
 */
export function uint8Params(range: TensorRange): QuantParams {
  const lo = Math.min(0, range.min);
  const hi = Math.max(0, range.max);
  const scale = hi > lo ? (hi - lo) / 255 : 1;
  return { scale, zeroPoint: Math.min(255, Math.max(0, Math.round(-lo / scale))) };
}

/**
 * Symmetric int8 quantisation of a weight, one scale per output channel (the first axis).
 *
 * @param data the float weight, output channel first
 * @param channels the size of the first axis
 * @returns the int8 values and each channel's scale
 */
export function quantizeWeight(
  data: Float32Array,
  channels: number,
): { values: Int8Array; scales: number[] } {
  const per = data.length / channels;
  const values = new Int8Array(data.length);
  const scales: number[] = [];
  for (let c = 0; c < channels; c++) {
    let peak = 0;
    for (let i = c * per; i < (c + 1) * per; i++) peak = Math.max(peak, Math.abs(data[i]!));
    // An all-zero channel still needs a scale the bias can divide by.
    const scale = peak > 0 ? peak / 127 : 1;
    scales.push(scale);
    for (let i = c * per; i < (c + 1) * per; i++) values[i] = Math.round(data[i]! / scale);
  }
  return { values, scales };
}

/** Where a Conv's activations are quantised. */
interface ConvSite {
  node: Node;
  /** The activation input. */
  input: string;
  /** The tensor quantised after it: its output, or its Relu's output. */
  output: string;
}

function consumersOf(graph: Graph): Map<string, Node[]> {
  const consumers = new Map<string, Node[]>();
  for (const node of graph.node ?? []) {
    for (const input of node.input ?? []) {
      if (input) consumers.set(input, [...(consumers.get(input) ?? []), node]);
    }
  }
  return consumers;
}

/** Convs from which a graph output is reached without passing through another Conv. */
function headConvs(graph: Graph): Set<Node> {
  const producer = new Map<string, Node>();
  for (const node of graph.node ?? []) for (const o of node.output ?? []) producer.set(o, node);
  const found = new Set<Node>();
  const seen = new Set<string>();
  const stack = (graph.output ?? []).map((o) => o.name ?? "");
  while (stack.length > 0) {
    const name = stack.pop()!;
    if (seen.has(name)) continue;
    seen.add(name);
    const node = producer.get(name);
    if (!node) continue;
    if (node.opType === "Conv") found.add(node);
    else stack.push(...(node.input ?? []));
  }
  return found;
}

/** What the rewrite leaves in fp32 besides the head's last convolutions. */
export interface QuantizeOptions {
  /** Names of Conv nodes to keep in fp32. */
  floatConvs?: ReadonlySet<string>;
}

function quantisedConvs(graph: Graph, options: QuantizeOptions = {}): ConvSite[] {
  const consumers = consumersOf(graph);
  const heads = headConvs(graph);
  for (const node of graph.node ?? []) {
    if (options.floatConvs?.has(node.name ?? "")) heads.add(node);
  }
  const inits = new Set((graph.initializer ?? []).map((t) => t.name));
  const outputs = new Set((graph.output ?? []).map((o) => o.name));
  const sites: ConvSite[] = [];
  for (const node of graph.node ?? []) {
    const [input, weight] = node.input ?? [];
    if (node.opType !== "Conv" || heads.has(node) || !input || !inits.has(weight)) continue;
    const out = node.output?.[0] ?? "";
    const users = consumers.get(out) ?? [];
    const relu = users.length === 1 && users[0]!.opType === "Relu" ? users[0] : undefined;
    const output = relu?.output?.[0] ?? out;
    if (outputs.has(output) || outputs.has(out)) continue;
    sites.push({ node, input, output });
  }
  return sites;
}

/**
 * The convolutions of squeeze-excite blocks: those fed, through Convs and Relus only, by a
 * GlobalAveragePool. They run on one value per channel (no time to save) and scale every channel
 * of the block's output, so their rounding error reaches everything after them.
 *
 * @param graph the graph
 * @returns their node names
 */
export function squeezeExciteConvs(graph: Graph): Set<string> {
  const consumers = consumersOf(graph);
  const found = new Set<string>();
  const stack = (graph.node ?? []).filter((n) => n.opType === "GlobalAveragePool");
  while (stack.length > 0) {
    const node = stack.pop()!;
    for (const user of consumers.get(node.output?.[0] ?? "") ?? []) {
      if (user.opType !== "Conv" && user.opType !== "Relu") continue;
      if (user.opType === "Conv") found.add(user.name ?? "");
      stack.push(user);
    }
  }
  return found;
}

/**
 * The activations the rewrite quantises, whose ranges calibration must measure: each quantised
 * Conv's input and output (its Relu's output when a Relu is its only consumer).
 *
 * @param graph the fp32 graph
 * @param options convolutions kept in fp32
 * @returns tensor names, each once
 */
export function calibrationTensors(graph: Graph, options: QuantizeOptions = {}): string[] {
  return [...new Set(quantisedConvs(graph, options).flatMap((s) => [s.input, s.output]))];
}

function rawTensor(
  name: string,
  dims: number[],
  dataType: number,
  bytes: ArrayBufferView,
): Tensor {
  const raw = new Uint8Array(
    bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength),
  );
  return { name, dims, dataType, rawData: raw };
}

function floatData(tensor: Tensor): Float32Array {
  if (tensor.dataType !== DataType.FLOAT) throw new Error(`quantize: ${tensor.name} is not float`);
  if (tensor.rawData && tensor.rawData.length > 0) {
    const raw = tensor.rawData;
    return new Float32Array(raw.buffer.slice(raw.byteOffset, raw.byteOffset + raw.byteLength));
  }
  return Float32Array.from(tensor.floatData ?? []);
}

/**
 * A Resize with an `axes` attribute and constant scales, given scales for every axis instead
 * (1 on the others, rank = the last axis + 1: NCHW here). onnxruntime's NHWC layout transform,
 * which `QLinearConv` triggers, permutes a Resize's scales assuming one per axis: with two scales
 * and `axes` [2,3] the session loads and then fails at run time ("Gather … indices element out of
 * data bounds").
 *
 * @param node the Resize node
 * @param inits the graph's initializers by name
 * @returns the node and its new scales initializer, or undefined when there is nothing to change
 */
export function fullRankResize(
  node: Node,
  inits: ReadonlyMap<string, Tensor>,
): { node: Node; scales: Tensor } | undefined {
  const axes = node.attribute?.find((a) => a.name === "axes")?.ints?.map(Number);
  const scalesName = node.input?.[2];
  const scales = scalesName ? inits.get(scalesName) : undefined;
  if (node.opType !== "Resize" || !axes || !scales) return undefined;
  const given = floatData(scales);
  const full = Array.from({ length: Math.max(...axes) + 1 }, () => 1);
  axes.forEach((axis, i) => full[axis] = given[i]!);
  const name = `${scalesName}:full`;
  return {
    node: {
      ...node,
      input: [node.input![0]!, node.input![1] ?? "", name],
      attribute: node.attribute!.filter((a) => a.name !== "axes"),
    },
    scales: floatsTensor(name, full),
  };
}

/**
 * Rewrites a float graph's convolutions to the QDQ form (see the module comment). The model is
 * not modified; the result shares its unchanged parts.
 *
 * @param model the fp32 model
 * @param ranges the calibrated range of every tensor {@linkcode calibrationTensors} names
 * @param options convolutions kept in fp32
 * @returns the quantised model
 * @throws {Error} naming a tensor whose range is missing
 */
export function quantizeModel(
  model: pkg.onnx.IModelProto,
  ranges: ReadonlyMap<string, TensorRange>,
  options: QuantizeOptions = {},
): pkg.onnx.IModelProto {
  const graph = model.graph ?? {};
  const sites = quantisedConvs(graph, options);
  const inits = new Map((graph.initializer ?? []).map((t) => [t.name ?? "", t]));
  const params = new Map<string, QuantParams>();
  const added: Tensor[] = [];
  const paramsOf = (name: string): QuantParams => {
    let p = params.get(name);
    if (p) return p;
    const range = ranges.get(name);
    if (!range) throw new Error(`quantize: no calibrated range for ${name}`);
    p = uint8Params(range);
    params.set(name, p);
    added.push(floatTensor(`${name}:scale`, [], Float32Array.of(p.scale)));
    added.push(rawTensor(`${name}:zero`, [], DataType.UINT8, new Uint8Array([p.zeroPoint])));
    return p;
  };
  // Q→DQ after each quantised activation; its readers are rewired to the DQ's output.
  const activations = new Set(sites.flatMap((s) => [s.input, s.output]));
  const qdq = new Map<string, Node[]>();
  for (const name of activations) {
    paramsOf(name);
    const io = [`${name}:scale`, `${name}:zero`];
    qdq.set(name, [
      { name: `${name}:Q`, opType: "QuantizeLinear", input: [name, ...io], output: [`${name}:q`] },
      {
        name: `${name}:DQ`,
        opType: "DequantizeLinear",
        input: [`${name}:q`, ...io],
        output: [`${name}:dq`],
      },
    ]);
  }
  /** Per quantised Conv: the DequantizeLinear nodes of its weight and bias, and its new inputs. */
  const rewrites = new Map<Node, { before: Node[]; inputs: string[] }>();
  for (const { node, input } of sites) {
    const [, weightName, biasName] = node.input ?? [];
    const weight = inits.get(weightName ?? "")!;
    const channels = Number(weight.dims?.[0] ?? 0);
    const { values, scales } = quantizeWeight(floatData(weight), channels);
    const w = `${weightName}:int8`;
    added.push(rawTensor(w, (weight.dims ?? []).map(Number), DataType.INT8, values));
    added.push(floatsTensor(`${w}:scale`, scales));
    added.push(rawTensor(`${w}:zero`, [channels], DataType.INT8, new Int8Array(channels)));
    const axis = { name: "axis", type: onnx.AttributeProto.AttributeType.INT, i: 0 };
    const nodes: Node[] = [{
      name: `${w}:DQ`,
      opType: "DequantizeLinear",
      input: [w, `${w}:scale`, `${w}:zero`],
      output: [`${w}:dq`],
      attribute: [axis],
    }];
    const inputs = [`${input}:dq`, `${w}:dq`];
    const bias = biasName ? inits.get(biasName) : undefined;
    if (bias) {
      // onnxruntime's QLinearConv adds the bias in int32 at the input's scale times the weight's.
      const xScale = paramsOf(input).scale;
      const b = `${biasName}:int32`;
      const biasScales = scales.map((s) => s * xScale);
      const values = Int32Array.from(
        floatData(bias),
        (v, c) => Math.max(-(2 ** 31), Math.min(2 ** 31 - 1, Math.round(v / biasScales[c]!))),
      );
      added.push(rawTensor(b, [channels], DataType.INT32, values));
      added.push(floatsTensor(`${b}:scale`, biasScales));
      added.push(rawTensor(`${b}:zero`, [channels], DataType.INT32, new Int32Array(channels)));
      nodes.push({
        name: `${b}:DQ`,
        opType: "DequantizeLinear",
        input: [b, `${b}:scale`, `${b}:zero`],
        output: [`${b}:dq`],
        attribute: [axis],
      });
      inputs.push(`${b}:dq`);
    }
    rewrites.set(node, { before: nodes, inputs });
  }
  const nodes: Node[] = [];
  for (const name of (graph.input ?? []).map((i) => i.name ?? "")) {
    nodes.push(...(qdq.get(name) ?? []));
  }
  for (const node of graph.node ?? []) {
    const conv = rewrites.get(node);
    const input = conv?.inputs ?? (node.input ?? []).map((i) => activations.has(i) ? `${i}:dq` : i);
    const resize = fullRankResize({ ...node, input }, inits);
    if (resize) added.push(resize.scales);
    nodes.push(...(conv?.before ?? []), resize?.node ?? { ...node, input });
    for (const out of node.output ?? []) nodes.push(...(qdq.get(out) ?? []));
  }
  // The fp32 weights, biases and Resize scales the rewrite replaced are read by no node now.
  const read = new Set(nodes.flatMap((n) => n.input ?? []));
  const initializer = [...(graph.initializer ?? []), ...added].filter((t) =>
    read.has(t.name ?? "")
  );
  return { ...model, graph: { ...graph, node: nodes, initializer } };
}
