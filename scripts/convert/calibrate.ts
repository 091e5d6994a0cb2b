/**
 * Calibration for the int8 quantiser (`quantize_int8.ts`): runs the fp32 graph with the
 * activations to quantise exposed as extra outputs and records each one's range, on frames of the
 * test media at the size the CenterNet adapter runs them.
 *
 * @module
 */
import * as ort from "onnxruntime-node";
import pkg from "onnx-proto";
import { runProcess } from "../../actors/process/run.ts";
import { fittedInputSize } from "../../models/detectors/centernet.ts";
import { frameToTensor } from "../../models/detectors/preprocess.ts";
import type { Frame } from "../../models/detectors/types.ts";
import type { TensorRange } from "./quantize_int8.ts";

const { onnx } = pkg;
/** Videos are decoded at the cameras rows' 640x360, stills at 640 wide. */
const DECODE_WIDTH = 640;
const VIDEO_HEIGHT = 360;

/**
 * The model with more graph outputs (float tensors of any shape), so one run reports them.
 *
 * @param model the model
 * @param names tensors to expose
 * @returns the serialized model
 */
export function withOutputs(model: pkg.onnx.IModelProto, names: readonly string[]): Uint8Array {
  const graph = model.graph ?? {};
  const extra = names.map((name) => ({
    name,
    type: { tensorType: { elemType: onnx.TensorProto.DataType.FLOAT } },
  }));
  return onnx.ModelProto.encode({
    ...model,
    graph: { ...graph, output: [...(graph.output ?? []), ...extra] },
  }).finish();
}

/**
 * Widens each tensor's range to hold a run's values.
 *
 * @param ranges the ranges so far, updated in place
 * @param name the tensor
 * @param values its values in this run
 */
export function widenRange(
  ranges: Map<string, TensorRange>,
  name: string,
  values: Float32Array,
): void {
  let { min, max } = ranges.get(name) ?? { min: Infinity, max: -Infinity };
  for (const v of values) {
    if (v < min) min = v;
    if (v > max) max = v;
  }
  ranges.set(name, { min, max });
}

/** At most this many values of a tensor are sorted per frame for its percentiles. */
const PERCENTILE_SAMPLE = 200_000;

/**
 * Widens each tensor's range to hold a run's values between two percentiles (the rest is
 * clipped): a few outliers then do not coarsen the steps of everything else.
 *
 * @param ranges the ranges so far, updated in place
 * @param name the tensor
 * @param values its values in this run
 * @param percentile the share of values kept on each side, e.g. 0.9999
 */
export function widenRangePercentile(
  ranges: Map<string, TensorRange>,
  name: string,
  values: Float32Array,
  percentile: number,
): void {
  const step = Math.max(1, Math.floor(values.length / PERCENTILE_SAMPLE));
  const sample = new Float32Array(Math.ceil(values.length / step));
  for (let i = 0, j = 0; i < values.length; i += step, j++) sample[j] = values[i]!;
  sample.sort();
  const at = (q: number) => sample[Math.min(sample.length - 1, Math.floor(q * sample.length))]!;
  const { min, max } = ranges.get(name) ?? { min: Infinity, max: -Infinity };
  ranges.set(name, { min: Math.min(min, at(1 - percentile)), max: Math.max(max, at(percentile)) });
}

/**
 * Decodes frames of a video or a still image at 640 px wide (rgb24).
 *
 * @param path the media file
 * @param everySeconds for a video, one frame per this many seconds
 * @returns the frames
 */
export async function decodeCalibrationFrames(path: string, everySeconds = 4): Promise<Frame[]> {
  // A still gives one frame; its height follows from the byte count.
  const still = !/\.(avi|mp4|mkv|mov)$/i.test(path);
  const filter = still
    ? `scale=${DECODE_WIDTH}:-2`
    : `fps=1/${everySeconds},scale=${DECODE_WIDTH}:${VIDEO_HEIGHT}`;
  const out = await runProcess("ffmpeg", {
    args: [
      ...["-v", "error", "-i", path, "-vf", filter, "-frames:v", still ? "1" : "1000"],
      ...["-f", "rawvideo", "-pix_fmt", "rgb24", "pipe:1"],
    ],
    timeoutMs: 60_000,
  });
  if (!out.status.success) throw new Error(`calibrate: ffmpeg ${path}: ${out.lastStderrLine}`);
  const frameBytes = still ? out.stdout.length : DECODE_WIDTH * VIDEO_HEIGHT * 3;
  const frames: Frame[] = [];
  for (let at = 0; at + frameBytes <= out.stdout.length; at += frameBytes) {
    const data = out.stdout.subarray(at, at + frameBytes);
    frames.push({ width: DECODE_WIDTH, height: frameBytes / (DECODE_WIDTH * 3), data });
  }
  return frames;
}

/**
 * Runs the fp32 model on the frames (each at the input the CenterNet adapter gives it: long side
 * 512, letterboxed) and returns the range of every named tensor.
 *
 * @param model the fp32 model
 * @param names the tensors to measure (`calibrationTensors`)
 * @param frames calibration frames
 * @param percentile 1 for the full range, or the share kept on each side
 * @param threads intra-op threads
 * @returns each tensor's range over all frames
 */
export async function measureRanges(
  model: pkg.onnx.IModelProto,
  names: readonly string[],
  frames: readonly Frame[],
  percentile = 1,
  threads = 2,
): Promise<Map<string, TensorRange>> {
  const session = await ort.InferenceSession.create(withOutputs(model, names), {
    intraOpNumThreads: threads,
    graphOptimizationLevel: "basic",
  });
  const ranges = new Map<string, TensorRange>();
  try {
    const input = session.inputNames[0]!;
    for (const frame of frames) {
      const size = fittedInputSize(frame.width, frame.height, 512);
      const spec = { ...size, layout: "nhwc", fit: "letterbox", range: 255 } as const;
      const { data } = frameToTensor(frame, spec);
      const feeds = { [input]: new ort.Tensor("float32", data, [1, size.height, size.width, 3]) };
      const outputs = await session.run(feeds, [...names]);
      for (const name of names) {
        const values = outputs[name]!.data as Float32Array;
        if (percentile < 1) widenRangePercentile(ranges, name, values, percentile);
        else widenRange(ranges, name, values);
      }
    }
  } finally {
    await session.release();
  }
  return ranges;
}
