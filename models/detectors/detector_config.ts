/**
 * Detector configuration: which adapter, which model file, thresholds. Checked once, up front, so
 * a bad value fails at startup with the field named instead of deep inside inference.
 *
 * @module
 */
import { dirname, join } from "node:path";
import { ValidationError } from "../errors.ts";

/** Adapters a config can choose. */
export const DETECTOR_KINDS = ["centernet", "yolo"] as const;
/** One of {@linkcode DETECTOR_KINDS}. */
export type DetectorKind = typeof DETECTOR_KINDS[number];

/** How to build a detector. */
export interface DetectorConfig {
  /** `centernet` for the converted CenterNet model, `yolo` for Ultralytics v5/v8/v11 exports. */
  kind: DetectorKind;
  /** The `.onnx` model file. */
  path: string;
  /** One label per line; defaults to `coco_labels.txt` next to the model. */
  labelsPath?: string;
  /** Square model input side; defaults to the model's own input size (YOLO with dynamic input: 640). */
  inputSize?: number;
  /** Minimum score for a detection, 0..1. */
  minScore: number;
  /** Keep only these labels (e.g. `["person", "car"]`); all when omitted. */
  classes?: string[];
  /** onnxruntime intra-op threads; default {@linkcode DEFAULT_THREADS}. */
  threads?: number;
  /** Same-class boxes overlapping more than this are merged by NMS; default 0.45. */
  iouThreshold?: number;
  /** At most this many detections per frame; default 100. */
  maxDetections?: number;
  /** How frames fit the input: `letterbox` (default, keeps aspect ratio) or `stretch`. */
  resize?: "letterbox" | "stretch";
}

/** A config with every default applied. */
export type ResolvedDetectorConfig = Required<Omit<DetectorConfig, "inputSize" | "classes">> & {
  inputSize?: number;
  classes?: string[];
};

/** Two threads: inference gets half of a 2-core box or of a 4-core box shared with decoding. */
export const DEFAULT_THREADS = 2;
/** Default NMS overlap. */
export const DEFAULT_IOU_THRESHOLD = 0.45;
/** Default cap on detections per frame. */
export const DEFAULT_MAX_DETECTIONS = 100;

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

function numberIn(
  obj: Record<string, unknown>,
  key: string,
  min: number,
  max: number,
  integer: boolean,
): number | undefined {
  const v = obj[key];
  if (v === undefined) return undefined;
  if (typeof v !== "number" || !Number.isFinite(v) || v < min || v > max) {
    throw new ValidationError(
      `detector: '${key}' must be a number from ${min} to ${max}: current value is ${
        JSON.stringify(v)
      }`,
      key,
    );
  }
  if (integer && !Number.isInteger(v)) {
    throw new ValidationError(`detector: '${key}' must be an integer: current value is ${v}`, key);
  }
  return v;
}

/**
 * Checks a detector config (from a file, the database or an API body) and applies defaults.
 *
 * @param input the untrusted config object
 * @returns the config with defaults
 * @throws {ValidationError} naming the first bad field
 * @example
 * ```ts
 * resolveDetectorConfig({ kind: "centernet", path: "assets/models/centernet.onnx", minScore: 0.3 });
 * // { ..., labelsPath: "assets/models/coco_labels.txt", threads: 2, iouThreshold: 0.45, maxDetections: 100 }
 * ```
 */
export function resolveDetectorConfig(input: unknown): ResolvedDetectorConfig {
  if (!isRecord(input)) throw new ValidationError("detector: config must be an object");
  const kind = input.kind;
  if (typeof kind !== "string" || !(DETECTOR_KINDS as readonly string[]).includes(kind)) {
    throw new ValidationError(
      `detector: 'kind' must be one of ${DETECTOR_KINDS.join(", ")}: current value is ${
        JSON.stringify(kind)
      }`,
      "kind",
    );
  }
  const path = input.path;
  if (typeof path !== "string" || path === "") {
    throw new ValidationError("detector: 'path' must name the .onnx model file", "path");
  }
  const labelsPath = input.labelsPath ?? join(dirname(path), "coco_labels.txt");
  if (typeof labelsPath !== "string" || labelsPath === "") {
    throw new ValidationError("detector: 'labelsPath' must be a file path", "labelsPath");
  }
  const minScore = numberIn(input, "minScore", 0, 1, false);
  if (minScore === undefined) {
    throw new ValidationError("detector: 'minScore' is required (0..1)", "minScore");
  }
  const classes = input.classes;
  if (
    classes !== undefined &&
    (!Array.isArray(classes) || classes.some((c) => typeof c !== "string" || c === ""))
  ) {
    throw new ValidationError("detector: 'classes' must be a list of label names", "classes");
  }
  const resize = input.resize ?? "letterbox";
  if (resize !== "letterbox" && resize !== "stretch") {
    throw new ValidationError(
      `detector: 'resize' must be letterbox or stretch: current value is ${JSON.stringify(resize)}`,
      "resize",
    );
  }
  return {
    kind: kind as DetectorKind,
    path,
    labelsPath,
    inputSize: numberIn(input, "inputSize", 32, 4096, true),
    minScore,
    classes: classes as string[] | undefined,
    threads: numberIn(input, "threads", 1, 64, true) ?? DEFAULT_THREADS,
    iouThreshold: numberIn(input, "iouThreshold", 0, 1, false) ?? DEFAULT_IOU_THRESHOLD,
    maxDetections: numberIn(input, "maxDetections", 1, 10000, true) ?? DEFAULT_MAX_DETECTIONS,
    resize,
  };
}
