/**
 * Every machine-readable `code` Vigil answers with, its HTTP status and what it means, listed once
 * (flat, like postgres.js `src/errors.js`). The error classes take their status from here and the
 * routes' error mapping its codes, so a code cannot mean two things or answer two statuses.
 *
 * @module
 */

/** One entry of the catalogue. */
export interface ErrorCodeEntry {
  /** The HTTP status a route answers with. */
  readonly status: number;
  /** What it means, for the reader of a reply. */
  readonly meaning: string;
}

/** The request and the API. */
const API_ERRORS = {
  invalid_input: {
    status: 422,
    meaning: "a field is wrong (400 when a path or query parameter or a cursor is malformed)",
  },
  malformed_json: { status: 400, meaning: "the body is not valid JSON" },
  bad_request: { status: 400, meaning: "the request is malformed (HTTP level)" },
  unauthorized: {
    status: 401,
    meaning: "no bearer token, or not a valid one; or a bad signed URL",
  },
  forbidden: { status: 403, meaning: "the token's role or cameras do not allow this" },
  not_found: { status: 404, meaning: "the named thing (or route) does not exist" },
  conflict: { status: 409, meaning: "the request conflicts with the current state" },
  payload_too_large: { status: 413, meaning: "the body is too large" },
  unsupported_media_type: { status: 415, meaning: "the body must be application/json" },
  unknown_box: {
    status: 422,
    meaning: "no box with this id has registered in the shared database (a camera's pin)",
  },
  no_recording: { status: 422, meaning: "the camera has no recording in the asked range" },
  too_many_requests: { status: 429, meaning: "too many failed authentications from this address" },
  internal: { status: 500, meaning: "a bug: the server logged it" },
  unavailable: { status: 503, meaning: "a dependency (database, camera, ffmpeg) is not reachable" },
  capacity: { status: 503, meaning: "a budget (transcodes, sessions) is spent; see Retry-After" },
  query_timeout: { status: 503, meaning: "the listing ran out of time; narrow it" },
  console_unavailable: { status: 503, meaning: "the web console could not be built" },
} as const satisfies Record<string, ErrorCodeEntry>;

/** Detectors: a model that cannot work is the request's fault (422), a failure at run time 503. */
const DETECTOR_ERRORS = {
  model_missing: { status: 422, meaning: "the model file does not exist" },
  model_invalid: { status: 422, meaning: "the model file cannot be loaded" },
  model_mismatch: { status: 422, meaning: "the model's inputs or outputs are not the expected" },
  labels_missing: { status: 422, meaning: "the labels file does not exist" },
  labels_empty: { status: 422, meaning: "the labels file lists no label" },
  labels_mismatch: { status: 422, meaning: "the labels do not match the model's classes" },
  detector_config: { status: 422, meaning: "a class asked for is not in the labels" },
  frame_invalid: { status: 422, meaning: "a frame's size or bytes are not a picture" },
  detector_closed: { status: 503, meaning: "the detector was closed during the work" },
  inference_failed: { status: 503, meaning: "inference failed or timed out" },
  worker_crashed: { status: 503, meaning: "the inference worker crashed" },
  detector_unavailable: { status: 503, meaning: "the inference worker keeps failing to restart" },
} as const satisfies Record<string, ErrorCodeEntry>;

/**
 * ONVIF: a wrong camera password is 422, not 401 (401 means the caller's Vigil token is wrong, and
 * a client seeing it would drop its token); a bad upstream 502, a silent one 504.
 */
const ONVIF_ERRORS = {
  onvif_unauthorized: { status: 422, meaning: "the camera refused the username/password" },
  onvif_not_onvif: { status: 422, meaning: "the host answered HTTP but not as an ONVIF device" },
  onvif_unsupported: { status: 422, meaning: "the camera offers nothing Vigil can use" },
  onvif_not_capable: {
    status: 409,
    meaning: "the camera has no such ONVIF service (PTZ, events), or was not added over ONVIF",
  },
  onvif_fault: { status: 502, meaning: "the camera answered with a SOAP fault" },
  onvif_bad_reply: { status: 502, meaning: "the reply is malformed, too large or has a DTD" },
  onvif_unreachable: { status: 502, meaning: "nothing answered: refused, no route, no DNS" },
  onvif_timeout: { status: 504, meaning: "the camera did not answer in time" },
} as const satisfies Record<string, ErrorCodeEntry>;

/** The catalogue: every code, flat. */
export const ERROR_CODES = { ...API_ERRORS, ...DETECTOR_ERRORS, ...ONVIF_ERRORS } as const;

/** Any machine-readable error code. */
export type ErrorCode = keyof typeof ERROR_CODES;
/** A code of {@linkcode DetectorError} (models/detectors/detector_error.ts). */
export type DetectorErrorCode = keyof typeof DETECTOR_ERRORS;
/** A code of {@linkcode OnvifError} (models/onvif/onvif_error.ts). */
export type OnvifErrorCode = keyof typeof ONVIF_ERRORS;

/**
 * Whether a string (e.g. one that crossed a Worker boundary) is a detector's code.
 *
 * @param code any string
 * @returns true for a key of the detector section
 * @example
 * ```ts
 * isDetectorErrorCode("worker_crashed"); // true
 * isDetectorErrorCode("not_found"); // false
 * ```
 */
export function isDetectorErrorCode(code: string): code is DetectorErrorCode {
  return Object.hasOwn(DETECTOR_ERRORS, code);
}
