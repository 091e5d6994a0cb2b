/**
 * What every ONNX detector adapter shares: the opened session, labels and class filter, the frame
 * check, the input tensor and the run, the options every decoder takes, and the release. An
 * adapter (CenterNet, YOLO) adds only its signature check and how it decodes its outputs.
 *
 * @module
 */
import * as ort from "onnxruntime-node";
import type { ResolvedDetectorConfig } from "./detector_config.ts";
import { DetectorError } from "./detector_error.ts";
import { classFilter, classNarrower } from "./labels.ts";
import { frameProblem, frameToTensor, type Placement } from "./preprocess.ts";
import type { Box, Detection, DetectOptions, Detector, Frame } from "./types.ts";

/** A model opened by `openModel` with the adapter's checked signature. */
export interface OpenedModel<S> {
  session: ort.InferenceSession;
  sig: S;
  labels: string[];
}

/** How an adapter feeds its model: input side, layout and the value of a white pixel. */
export interface InputShape {
  width: number;
  height: number;
  layout: "nhwc" | "nchw";
  /** 255 for raw RGB, 1 for RGB scaled to 0..1. */
  range: number;
}

/** What one run gives the adapter's decoder. */
export interface ModelRun {
  outputs: ort.InferenceSession.OnnxValueMapType;
  /** The decoder options every adapter passes (score, labels, classes, NMS, frame size). */
  decode: {
    minScore: number;
    labels: readonly string[];
    classes: ReadonlySet<number> | undefined;
    /** Where the frame landed in the input, to map boxes back. */
    placement: Placement;
    frameWidth: number;
    frameHeight: number;
    iouThreshold: number;
    maxDetections: number;
  };
}

/**
 * Base of the ONNX adapters. A subclass opens its model with `openModel` and its signature check,
 * and implements {@linkcode OnnxDetector.infer} with {@linkcode OnnxDetector.run} and its decoder.
 *
 * @example
 * ```ts
 * class TinyDetector extends OnnxDetector<{ input: string }> {
 *   protected async infer(frame: Frame, classes?: ReadonlySet<number>) {
 *     const { outputs, decode } = await this.run(frame, classes, shape);
 *     return decodeTiny(outputs, decode);
 *   }
 * }
 * ```
 */
export abstract class OnnxDetector<S extends { input: string }> implements Detector {
  readonly name: string;
  readonly labels: readonly string[];
  /** The adapter's checked interface of the model. */
  protected readonly sig: S;
  /** The resolved config the detector was opened with. */
  protected readonly config: ResolvedDetectorConfig;
  readonly #kind: string;
  readonly #session: ort.InferenceSession;
  readonly #classes: (names: readonly string[] | undefined) => ReadonlySet<number> | undefined;

  /**
   * @param kind the adapter, prefixing the name and messages (`centernet`, `yolo`)
   * @param model the opened session, checked signature and labels
   * @param config the resolved detector config
   */
  protected constructor(kind: string, model: OpenedModel<S>, config: ResolvedDetectorConfig) {
    this.#kind = kind;
    this.#session = model.session;
    this.sig = model.sig;
    this.labels = model.labels;
    this.config = config;
    this.#classes = classNarrower(model.labels, classFilter(model.labels, config.classes));
    this.name = `${kind}:${config.path.split("/").pop()}`;
  }

  /**
   * Finds objects in a frame.
   *
   * @param frame rgb24 frame of any size
   * @param options labels to decode (within the configured classes)
   * @returns detections in frame pixels, best score first
   * @throws {DetectorError} `frame_invalid` for a malformed frame; the adapter's own on a model
   *   whose outputs do not fit
   */
  async detect(frame: Frame, options: DetectOptions = {}): Promise<Detection[]> {
    const problem = frameProblem(frame);
    if (problem) throw new DetectorError("frame_invalid", `${this.#kind}: ${problem}`);
    return await this.infer(frame, this.#classes(options.classes), options.regions);
  }

  /** Releases the onnxruntime session. */
  async close(): Promise<void> {
    await this.#session.release();
  }

  /**
   * Runs the model on a well-formed frame and decodes its outputs.
   *
   * @param frame the frame, already checked
   * @param classes the class ids to decode; all when undefined
   * @param regions where to look (frame pixels); an adapter that cannot run crops looks at the
   *   whole frame
   * @returns detections in frame pixels, best score first
   */
  protected abstract infer(
    frame: Frame,
    classes: ReadonlySet<number> | undefined,
    regions?: readonly Box[],
  ): Promise<Detection[]>;

  /**
   * Turns the frame into the model's input (fitted as configured) and runs the model.
   *
   * @param frame the frame
   * @param classes the class ids to decode
   * @param shape the model's input
   * @returns the outputs and the decoder options every adapter shares
   */
  protected async run(
    frame: Frame,
    classes: ReadonlySet<number> | undefined,
    shape: InputShape,
  ): Promise<ModelRun> {
    const { width, height, layout } = shape;
    const { data, placement } = frameToTensor(frame, { ...shape, fit: this.config.resize });
    const dims = layout === "nhwc" ? [1, height, width, 3] : [1, 3, height, width];
    return {
      outputs: await this.runTensor(data, dims),
      decode: this.decodeOptions(frame, classes, placement),
    };
  }

  /**
   * Runs the model on a prepared input tensor (a batch of crops, for instance).
   *
   * @param data the input values
   * @param dims the input's dimensions
   * @returns the outputs
   */
  protected async runTensor(
    data: Float32Array,
    dims: readonly number[],
  ): Promise<ort.InferenceSession.OnnxValueMapType> {
    return await this.#session.run({ [this.sig.input]: new ort.Tensor("float32", data, dims) });
  }

  /**
   * The decoder options every adapter passes, for a frame placed in an input.
   *
   * @param frame the frame
   * @param classes the class ids to decode
   * @param placement where the frame landed in the input
   * @returns the options
   */
  protected decodeOptions(
    frame: Frame,
    classes: ReadonlySet<number> | undefined,
    placement: Placement,
  ): ModelRun["decode"] {
    return {
      minScore: this.config.minScore,
      labels: this.labels,
      classes,
      placement,
      frameWidth: frame.width,
      frameHeight: frame.height,
      iouThreshold: this.config.iouThreshold,
      maxDetections: this.config.maxDetections,
    };
  }
}
