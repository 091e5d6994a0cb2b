/**
 * The YOLO adapter for user-supplied Ultralytics ONNX exports (v5 `[1,N,85]`, v8/v11 `[1,84,N]`):
 * letterboxed NCHW RGB 0..1 input, decoding and NMS in TypeScript.
 *
 * @module
 */
import * as ort from "onnxruntime-node";
import type { ResolvedDetectorConfig } from "./detector_config.ts";
import { DetectorError } from "./detector_error.ts";
import { classFilter, classNarrower } from "./labels.ts";
import { formatDims, openModel, type TensorInfo } from "./onnx_session.ts";
import { frameProblem, frameToTensor } from "./preprocess.ts";
import type { Detection, DetectOptions, Detector, Frame } from "./types.ts";
import { decodeYolo, type YoloLayout, yoloLayout } from "./yolo_decode.ts";

/** Input side for models exported with a dynamic input, Ultralytics' default. */
const DEFAULT_INPUT_SIZE = 640;

/** The model's checked interface. */
interface YoloSignature {
  input: string;
  width: number;
  height: number;
  output: string;
  /** Known at startup when the output shape is static; otherwise found on the first frame. */
  layout: YoloLayout | undefined;
}

/**
 * Checks that a model looks like an Ultralytics YOLO export: one NCHW `[1,3,H,W]` input and a
 * first output in the v5 or v8 layout with one class per label.
 *
 * @param inputs the model inputs
 * @param outputs the model outputs
 * @param numLabels labels in the labels file
 * @param inputSize the configured input side, if any
 * @param path the model file, for messages
 * @returns names, input size and layout (if the output shape is static)
 * @throws {DetectorError} `model_mismatch` or `labels_mismatch` naming the offending tensor
 */
export function checkYoloSignature(
  inputs: readonly TensorInfo[],
  outputs: readonly TensorInfo[],
  numLabels: number,
  inputSize: number | undefined,
  path: string,
): YoloSignature {
  const [input] = inputs;
  const dims = input?.dims ?? [];
  if (inputs.length !== 1 || !input || dims.length !== 4 || dims[1] !== 3) {
    const got = inputs.map((i) => `${i.name} ${formatDims(i.dims)}`).join(", ");
    throw new DetectorError(
      "model_mismatch",
      `yolo: model ${path} must take one NCHW input [1,3,H,W]; it takes ${got}`,
    );
  }
  const [, , h, w] = dims;
  if (
    inputSize !== undefined &&
    ((h !== undefined && h !== inputSize) || (w !== undefined && w !== inputSize))
  ) {
    throw new DetectorError(
      "model_mismatch",
      `yolo: model ${path} takes ${formatDims(dims)} input but inputSize is ${inputSize}`,
    );
  }
  const [output] = outputs;
  if (!output || output.dims.length !== 3) {
    const got = outputs.map((o) => `${o.name} ${formatDims(o.dims)}`).join(", ");
    throw new DetectorError(
      "model_mismatch",
      `yolo: model ${path} must output [1,N,5+C] (v5) or [1,4+C,N] (v8/v11); it outputs ${got}`,
    );
  }
  const known = output.dims.every((d) => d !== undefined);
  return {
    input: input.name,
    width: w ?? inputSize ?? DEFAULT_INPUT_SIZE,
    height: h ?? inputSize ?? DEFAULT_INPUT_SIZE,
    output: output.name,
    layout: known ? yoloLayout(output.dims as number[], numLabels) : undefined,
  };
}

/**
 * Detector running an Ultralytics YOLO ONNX export.
 *
 * @example
 * ```ts
 * const det = await YoloDetector.open(resolveDetectorConfig({ kind: "yolo",
 *   path: "models/yolov8n.onnx", labelsPath: "models/coco.txt", minScore: 0.25 }));
 * ```
 */
export class YoloDetector implements Detector {
  readonly name: string;
  readonly labels: readonly string[];
  readonly #session: ort.InferenceSession;
  readonly #sig: YoloSignature;
  readonly #config: ResolvedDetectorConfig;
  readonly #classes: (names: readonly string[] | undefined) => ReadonlySet<number> | undefined;

  private constructor(
    session: ort.InferenceSession,
    sig: YoloSignature,
    labels: string[],
    config: ResolvedDetectorConfig,
  ) {
    this.#session = session;
    this.#sig = sig;
    this.labels = labels;
    this.#config = config;
    this.#classes = classNarrower(labels, classFilter(labels, config.classes));
    this.name = `yolo:${config.path.split("/").pop()}`;
  }

  /**
   * Loads the model and labels and checks they fit this adapter.
   *
   * @param config resolved detector config (`kind: "yolo"`)
   * @returns a ready detector
   * @throws {DetectorError} for a missing/invalid model, a model of another shape, or bad labels
   */
  static async open(config: ResolvedDetectorConfig): Promise<YoloDetector> {
    const { session, sig, labels } = await openModel(
      config,
      (inputs, outputs, count) =>
        checkYoloSignature(inputs, outputs, count, config.inputSize, config.path),
    );
    return new YoloDetector(session, sig, labels, config);
  }

  /**
   * Finds objects in a frame.
   *
   * @param frame rgb24 frame of any size
   * @param options labels to decode (within the configured classes)
   * @returns detections in frame pixels, best score first
   * @throws {DetectorError} `frame_invalid` for a malformed frame; `model_mismatch` /
   *   `labels_mismatch` if a dynamic output turns out not to be a YOLO output
   */
  async detect(frame: Frame, options: DetectOptions = {}): Promise<Detection[]> {
    const problem = frameProblem(frame);
    if (problem) throw new DetectorError("frame_invalid", `yolo: ${problem}`);
    const { width, height } = this.#sig;
    const { data, placement } = frameToTensor(frame, {
      width,
      height,
      layout: "nchw",
      fit: this.#config.resize,
      range: 1,
    });
    const out = await this.#session.run({
      [this.#sig.input]: new ort.Tensor("float32", data, [1, 3, height, width]),
    });
    const output = out[this.#sig.output];
    if (!output) throw new DetectorError("model_mismatch", "yolo: output missing");
    const layout = this.#sig.layout ?? yoloLayout(output.dims, this.labels.length);
    this.#sig.layout = layout;
    return decodeYolo(output.data as Float32Array, output.dims, layout, {
      minScore: this.#config.minScore,
      labels: this.labels,
      classes: this.#classes(options.classes),
      placement,
      frameWidth: frame.width,
      frameHeight: frame.height,
      iouThreshold: this.#config.iouThreshold,
      maxDetections: this.#config.maxDetections,
    });
  }

  /** Releases the onnxruntime session. */
  async close(): Promise<void> {
    await this.#session.release();
  }
}
