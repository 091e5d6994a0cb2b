/**
 * The YOLO adapter for user-supplied Ultralytics ONNX exports (v5 `[1,N,85]`, v8/v11 `[1,84,N]`):
 * letterboxed NCHW RGB 0..1 input, decoding and NMS in TypeScript.
 *
 * @module
 */
import type { ResolvedDetectorConfig } from "./detector_config.ts";
import { DetectorError } from "./detector_error.ts";
import { OnnxDetector } from "./onnx_detector.ts";
import { formatDims, openModel, type TensorInfo } from "./onnx_session.ts";
import type { Detection, Frame } from "./types.ts";
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
export class YoloDetector extends OnnxDetector<YoloSignature> {
  /**
   * Loads the model and labels and checks they fit this adapter.
   *
   * @param config resolved detector config (`kind: "yolo"`)
   * @returns a ready detector
   * @throws {DetectorError} for a missing/invalid model, a model of another shape, or bad labels
   */
  static async open(config: ResolvedDetectorConfig): Promise<YoloDetector> {
    const model = await openModel(
      config,
      (inputs, outputs, count) =>
        checkYoloSignature(inputs, outputs, count, config.inputSize, config.path),
    );
    return new YoloDetector("yolo", model, config);
  }

  /**
   * NCHW RGB 0..1 in; the output decoded in its layout, found on the first frame when the
   * export's output shape is dynamic.
   *
   * @throws {DetectorError} `model_mismatch` / `labels_mismatch` if a dynamic output turns out
   *   not to be a YOLO output
   */
  protected async infer(
    frame: Frame,
    classes: ReadonlySet<number> | undefined,
  ): Promise<Detection[]> {
    const { width, height } = this.sig;
    const { outputs, decode } = await this.run(frame, classes, {
      width,
      height,
      layout: "nchw",
      range: 1,
    });
    const output = outputs[this.sig.output];
    if (!output) throw new DetectorError("model_mismatch", "yolo: output missing");
    const layout = this.sig.layout ?? yoloLayout(output.dims, this.labels.length);
    this.sig.layout = layout;
    return decodeYolo(output.data as Float32Array, output.dims, layout, decode);
  }
}
