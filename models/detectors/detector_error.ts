/**
 * The error a detector raises when its model, labels or configuration cannot work, so startup
 * fails with one clear message instead of a stack trace from onnxruntime.
 *
 * @module
 */
import type { DetectorErrorCode } from "../error_codes.ts";
import { VigilError } from "../errors.ts";

/**
 * A detector failure with a code from the detector section of the catalogue
 * (models/error_codes.ts): configuration problems answer 422 (the request asked for a model that
 * cannot work), runtime failures 503.
 *
 * @example
 * ```ts
 * throw new DetectorError("labels_empty", "detector: labels file /m/labels.txt is empty");
 * ```
 */
export class DetectorError extends VigilError {
  declare readonly code: DetectorErrorCode;

  /**
   * @param code why the detector failed
   * @param message names the file or setting and what is wrong with it
   * @param options `cause` for the underlying error
   */
  constructor(code: DetectorErrorCode, message: string, options?: ErrorOptions) {
    super(code, message, options);
    this.name = "DetectorError";
  }
}
