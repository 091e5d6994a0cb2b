/**
 * The one error class of the ONVIF code. Each failure a user can meet while onboarding or
 * discovering a camera has its own stable `code` (the ONVIF section of models/error_codes.ts, with
 * its statuses and why), so the API and the UI can say what to do.
 *
 * @module
 */
import type { OnvifErrorCode } from "../error_codes.ts";
import { VigilError } from "../errors.ts";

/** A failure talking to an ONVIF device. */
export class OnvifError extends VigilError {
  declare readonly code: OnvifErrorCode;

  /**
   * @param code one of the catalogue's `onvif_*` codes
   * @param message human-readable, prefixed with `onvif:`
   * @param options the cause, when there is one
   */
  constructor(code: OnvifErrorCode, message: string, options?: ErrorOptions) {
    super(code, message, options);
    this.name = "OnvifError";
  }
}
