/**
 * The CenterNet adapter on {@linkcode OnnxDetector}: checks that a model is the one converted by
 * `scripts/convert_centernet.ts` (NHWC RGB 0..255 input, NCHW heatmap + distance outputs) and
 * decodes its outputs in TypeScript. Letterbox resize by default (measured better than the
 * stretch `@vladmandic/human` uses: docs/decisions/inference-worker.md). Given motion regions, a
 * dynamic model runs crops of its full-frame input around them instead (crops.ts,
 * docs/decisions/analysis-capacity.md).
 *
 * @module
 */
import type * as ort from "onnxruntime-node";
import { decodeCenterNet } from "./centernet_decode.ts";
import {
  batchesBySize,
  CROP_DEFAULTS,
  type CropWindow,
  mergeCropDetections,
  planCrops,
  windowPlacement,
} from "./crops.ts";
import type { ResolvedDetectorConfig } from "./detector_config.ts";
import { DetectorError } from "./detector_error.ts";
import { type ModelRun, OnnxDetector } from "./onnx_detector.ts";
import { formatDims, openModel, type TensorInfo } from "./onnx_session.ts";
import { placement, type TensorSpec, windowsToTensor } from "./preprocess.ts";
import type { Box, Detection, Frame } from "./types.ts";

/** Input side when the model does not fix it. */
const DEFAULT_INPUT_SIZE = 512;
/**
 * A dynamic CenterNet's input sides are multiples of this. The graph accepts any multiple of 32,
 * but a side of an odd number of 32s (352, 416) moved detections against the square input
 * (detection recall 0.88 on 20 s of vtest.avi at 640x360, against 0.97 at 384 and 0.99 at 448;
 * `deno task bench accuracy`): the upsampling path then realigns a grid of odd size.
 */
export const CENTERNET_SIZE_STEP = 64;

/** The model's checked interface. */
interface CenterNetSignature {
  input: string;
  /** The input side (fixed models), or the long side frames are fitted to (dynamic ones). */
  size: number;
  /** Whether the model takes any input size (the setup step's conversion). */
  dynamic: boolean;
  /** Most inputs in one run: the input's batch dimension when the model fixes it. */
  maxBatch: number;
  heatmap: string;
  distances: string;
}

/** Grey kept along each edge of the short side, as the square letterbox has: see fittedInputSize. */
export const CENTERNET_EDGE_MARGIN = 32;

/**
 * The input a dynamic CenterNet runs a frame at: the frame scaled so its long side is `side`,
 * the short side given at least `margin` grey pixels on each edge, each side rounded up to a
 * multiple of `step`. A 16:9 frame then fills 512x384 instead of being letterboxed into 512x512:
 * the same scale, a quarter fewer input pixels. The margin matters: an object touching the frame's
 * edge scored 0.43 with the square letterbox's grey beside it and 0.21 without (messi5.jpg's
 * ball), 0.35 with 512x384; over vtest.avi, 512x320 (16 px) kept 0.947 of the square input's
 * detections, 512x384 (32 px, rounded up) 0.97.
 *
 * @param width frame width
 * @param height frame height
 * @param side the long side of the input
 * @param margin grey pixels at least on each edge of the short side
 * @param step the multiple each side is rounded up to
 * @returns the input's width and height
 * @example
 * ```ts
 * fittedInputSize(640, 360, 512); // { width: 512, height: 384 }
 * fittedInputSize(768, 576, 512); // { width: 512, height: 448 }
 * ```
 */
export function fittedInputSize(
  width: number,
  height: number,
  side: number,
  margin = CENTERNET_EDGE_MARGIN,
  step = CENTERNET_SIZE_STEP,
): { width: number; height: number } {
  const scale = side / Math.max(width, height);
  const round = (x: number) => Math.min(side, Math.max(step, Math.ceil(x / step - 1e-9) * step));
  return width >= height
    ? { width: side, height: round(height * scale + 2 * margin) }
    : { width: round(width * scale + 2 * margin), height: side };
}

/**
 * Checks that a model looks like the converted CenterNet: one NHWC `[1,S,S,3]` input (or
 * `[N,H,W,3]` with any size: then frames run at their own aspect ratio), a `[1,C,S/k,S/k]`
 * heatmap with one plane per label and a `[1,4,S/k,S/k]` distance map.
 *
 * @param inputs the model inputs
 * @param outputs the model outputs
 * @param numLabels labels in the labels file
 * @param inputSize the configured input side, if any
 * @param path the model file, for messages
 * @returns names and input side
 * @throws {DetectorError} `model_mismatch` or `labels_mismatch` naming the offending tensor
 */
export function checkCenterNetSignature(
  inputs: readonly TensorInfo[],
  outputs: readonly TensorInfo[],
  numLabels: number,
  inputSize: number | undefined,
  path: string,
): CenterNetSignature {
  const [input] = inputs;
  const dims = input?.dims ?? [];
  if (inputs.length !== 1 || !input || dims.length !== 4 || dims[3] !== 3 || dims[1] !== dims[2]) {
    const got = inputs.map((i) => `${i.name} ${formatDims(i.dims)}`).join(", ");
    throw new DetectorError(
      "model_mismatch",
      `centernet: model ${path} must take one NHWC input [1,S,S,3]; it takes ${got}`,
    );
  }
  if (dims[1] !== undefined && inputSize !== undefined && inputSize !== dims[1]) {
    throw new DetectorError(
      "model_mismatch",
      `centernet: model ${path} takes ${dims[1]}x${dims[1]} input but inputSize is ${inputSize}`,
    );
  }
  const size = dims[1] ?? inputSize ?? DEFAULT_INPUT_SIZE;
  const distances = outputs.find((o) => o.dims.length === 4 && o.dims[1] === 4);
  const heatmap = outputs.find((o) => o !== distances && o.dims.length === 4);
  if (outputs.length !== 2 || !distances || !heatmap) {
    const got = outputs.map((o) => `${o.name} ${formatDims(o.dims)}`).join(", ");
    throw new DetectorError(
      "model_mismatch",
      `centernet: model ${path} must output a [1,C,H,W] heatmap and [1,4,H,W] distances; it outputs ${got}`,
    );
  }
  if (heatmap.dims[1] !== undefined && heatmap.dims[1] !== numLabels) {
    throw new DetectorError(
      "labels_mismatch",
      `centernet: model ${path} scores ${
        heatmap.dims[1]
      } classes but the labels file has ${numLabels}`,
    );
  }
  return {
    input: input.name,
    size,
    dynamic: dims[1] === undefined,
    maxBatch: dims[0] ?? Infinity,
    heatmap: heatmap.name,
    distances: distances.name,
  };
}

/**
 * Detector running the converted CenterNet model.
 *
 * @example
 * ```ts
 * const det = await CenterNetDetector.open(resolveDetectorConfig({ kind: "centernet",
 *   path: "assets/models/centernet.onnx", minScore: 0.3 }));
 * const found = await det.detect(frame);
 * await det.close();
 * ```
 */
export class CenterNetDetector extends OnnxDetector<CenterNetSignature> {
  /**
   * Loads the model and labels and checks they fit this adapter.
   *
   * @param config resolved detector config (`kind: "centernet"`)
   * @returns a ready detector
   * @throws {DetectorError} for a missing/invalid model, a model of another shape, or bad labels
   */
  static async open(config: ResolvedDetectorConfig): Promise<CenterNetDetector> {
    const model = await openModel(
      config,
      (inputs, outputs, count) =>
        checkCenterNetSignature(inputs, outputs, count, config.inputSize, config.path),
    );
    return new CenterNetDetector("centernet", model, config);
  }

  /**
   * NHWC RGB 0..255 in; the heatmap and distances decoded at the model's stride. With regions, a
   * dynamic model runs crops of the full-frame input around them (crops.ts), batched by size.
   */
  protected async infer(
    frame: Frame,
    classes: ReadonlySet<number> | undefined,
    regions?: readonly Box[],
  ): Promise<Detection[]> {
    const { size, dynamic } = this.sig;
    const input = dynamic
      ? fittedInputSize(frame.width, frame.height, size)
      : { width: size, height: size };
    const spec = { ...input, layout: "nhwc", range: 255, fit: this.config.resize } as const;
    const windows = dynamic && regions
      ? planCrops(regions, placement(frame.width, frame.height, spec), input)
      : undefined;
    if (windows) return await this.#inferCrops(frame, classes, spec, windows);
    const { outputs, decode } = await this.run(frame, classes, spec);
    return this.#decode(outputs, decode, input.width)[0] ?? [];
  }

  /** Runs each size of window as one batch and joins what the windows found. */
  async #inferCrops(
    frame: Frame,
    classes: ReadonlySet<number> | undefined,
    spec: TensorSpec,
    windows: CropWindow[],
  ): Promise<Detection[]> {
    const found: Detection[][] = [];
    // A model exported with a batch of one (spatial sizes free) runs a size's windows in turns.
    const { maxBatch } = this.sig;
    const batches = batchesBySize(windows).flatMap((group) =>
      Array.from(
        { length: Math.max(1, Math.ceil(group.length / maxBatch)) },
        (_, i) => group.slice(i * maxBatch, (i + 1) * maxBatch),
      )
    );
    for (const batch of batches) {
      const { width, height } = batch[0]!;
      const { data, placement } = windowsToTensor(frame, spec, batch);
      const outputs = await this.runTensor(data, [batch.length, height, width, 3]);
      const decode = this.decodeOptions(frame, classes, placement);
      decode.minScore /= CROP_DEFAULTS.scoreGain;
      found.push(...this.#decode(outputs, decode, width, batch));
    }
    const gain = CROP_DEFAULTS.scoreGain;
    return mergeCropDetections(
      found.map((dets) => dets.map((d) => ({ ...d, score: Math.min(1, d.score * gain) }))),
      this.config.iouThreshold,
      this.config.maxDetections,
    );
  }

  /**
   * Decodes each item of a batch: item `n` is window `n` of the input the frame was placed in
   * (`decode.placement`), or, without windows, the whole input (a batch of one).
   */
  #decode(
    outputs: ort.InferenceSession.OnnxValueMapType,
    decode: ModelRun["decode"],
    inputWidth: number,
    windows?: readonly CropWindow[],
  ): Detection[][] {
    const heatmap = outputs[this.sig.heatmap];
    const distances = outputs[this.sig.distances];
    if (!heatmap || !distances) {
      throw new DetectorError("model_mismatch", "centernet: outputs missing");
    }
    const [, classCount = 0, height = 0, width = 0] = heatmap.dims;
    const heat = heatmap.data as Float32Array;
    const dist = distances.data as Float32Array;
    const plane = height * width;
    const stride = inputWidth / width;
    return Array.from({ length: windows?.length ?? 1 }, (_, n) =>
      decodeCenterNet(
        {
          heatmap: heat.subarray(n * classCount * plane, (n + 1) * classCount * plane),
          distances: dist.subarray(n * 4 * plane, (n + 1) * 4 * plane),
          classes: classCount,
          height,
          width,
        },
        {
          ...decode,
          placement: windows ? windowPlacement(decode.placement, windows[n]!) : decode.placement,
          stride,
        },
      ));
  }
}
