/**
 * The error a detector raises when its model, labels or configuration cannot work, so startup
 * fails with one clear message instead of a stack trace from onnxruntime.
 *
 * @module
 */
import { VigilError } from "../errors.ts";

/** Machine-readable reasons a detector cannot start or run. */
export type DetectorErrorCode =
  | "model_missing"
  | "model_invalid"
  | "model_mismatch"
  | "labels_missing"
  | "labels_empty"
  | "labels_mismatch"
  | "detector_config"
  | "frame_invalid"
  | "detector_closed"
  | "inference_failed"
  | "worker_crashed"
  | "detector_unavailable";

/**
 * A detector failure with a code from {@linkcode DetectorErrorCode}. Configuration problems answer
 * 422 (the request asked for a model that cannot work); runtime failures answer 503.
 *
 * @example
 * ```ts
 * throw new DetectorError("labels_empty", "detector: labels file /m/labels.txt is empty");
 * ```
 */
export class DetectorError extends VigilError {
  /** Every code, for checking codes that crossed a Worker boundary. */
  static readonly CODES: readonly DetectorErrorCode[] = [
    "model_missing",
    "model_invalid",
    "model_mismatch",
    "labels_missing",
    "labels_empty",
    "labels_mismatch",
    "detector_config",
    "frame_invalid",
    "detector_closed",
    "inference_failed",
    "worker_crashed",
    "detector_unavailable",
  ];

  declare readonly code: DetectorErrorCode;

  /**
   * @param code why the detector failed
   * @param message names the file or setting and what is wrong with it
   * @param options `cause` for the underlying error
   */
  constructor(code: DetectorErrorCode, message: string, options?: ErrorOptions) {
    const runtime = code === "detector_closed" || code === "inference_failed" ||
      code === "worker_crashed" || code === "detector_unavailable";
    super(code, message, runtime ? 503 : 422, options);
    this.name = "DetectorError";
  }
}
