/**
 * The one error class of the ONVIF code. Each failure a user can meet while onboarding or
 * discovering a camera has its own stable `code`, so the API and the UI can say what to do.
 *
 * HTTP statuses: a wrong camera password is 422, not 401, because 401 from Vigil's API means the
 * caller's Vigil token is wrong; a client that sees 401 would drop its token. A host that is not an
 * ONVIF device is also the caller's input, so 422. A camera that answers badly or faults is a bad
 * upstream (502), one that does not answer in time a gateway timeout (504).
 *
 * @module
 */
import { VigilError } from "../errors.ts";

/** Machine-readable codes of {@linkcode OnvifError}, with the HTTP status each maps to. */
export const ONVIF_ERROR_STATUS = {
  /** The camera refused the username/password (NotAuthorized fault or HTTP 401). */
  onvif_unauthorized: 422,
  /** The host answered HTTP but not as an ONVIF device (no SOAP, 404...). */
  onvif_not_onvif: 422,
  /** The camera answered with a SOAP fault other than NotAuthorized. */
  onvif_fault: 502,
  /** The camera's reply is malformed, too large, or carries forbidden XML (DOCTYPE, ENTITY). */
  onvif_bad_reply: 502,
  /** Nothing answered: connection refused, no route, DNS failure. */
  onvif_unreachable: 502,
  /** The camera did not answer within the time limit. */
  onvif_timeout: 504,
  /** The camera is ONVIF but offers nothing Vigil can use (no media service, no profiles). */
  onvif_unsupported: 422,
} as const;

/** One of the keys of {@linkcode ONVIF_ERROR_STATUS}. */
export type OnvifErrorCode = keyof typeof ONVIF_ERROR_STATUS;

/** A failure talking to an ONVIF device. */
export class OnvifError extends VigilError {
  /** The ONVIF code (same as `code`, typed narrowly). */
  readonly onvifCode: OnvifErrorCode;

  /**
   * @param code one of {@linkcode ONVIF_ERROR_STATUS}
   * @param message human-readable, prefixed with `onvif:`
   * @param options the cause, when there is one
   */
  constructor(code: OnvifErrorCode, message: string, options?: ErrorOptions) {
    super(code, message, ONVIF_ERROR_STATUS[code], options);
    this.name = "OnvifError";
    this.onvifCode = code;
  }
}
