/**
 * The small set of errors Vigil raises on purpose. Each carries a machine-readable `code` from the
 * catalogue (models/error_codes.ts) and the HTTP status listed there, so routes map any of them to
 * `{error:{code,message}}` without knowing where they came from.
 *
 * @module
 */
import { ERROR_CODES, type ErrorCode } from "./error_codes.ts";

/** Base class: a failure we expected and can describe to the caller. */
export class VigilError extends Error {
  /** Machine-readable code, stable across releases (`"not_found"`, `"invalid_input"`...). */
  readonly code: ErrorCode;
  /** HTTP status a route answers with: the catalogue's for the code. */
  readonly status: number;

  /**
   * @param code machine-readable code
   * @param message human-readable message naming the problem
   * @param options `cause` for the underlying error
   */
  constructor(code: ErrorCode, message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = "VigilError";
    this.code = code;
    this.status = ERROR_CODES[code].status;
  }
}

/** Bad input: the request (or a config value) is well-formed but a field is wrong. */
export class ValidationError extends VigilError {
  /** The field that is wrong, as a dotted path (`"zones.0.polygon"`), when there is one. */
  readonly field: string | undefined;
  /** 422, or 400 for a malformed path or query parameter (the catalogue's `invalid_input`). */
  override readonly status: number;

  /**
   * @param message what is wrong, naming the field
   * @param field dotted path to the offending field
   * @param status 400 for malformed input, 422 for well-formed but unacceptable values
   */
  constructor(message: string, field?: string, status = 422) {
    super("invalid_input", message);
    this.name = "ValidationError";
    this.field = field;
    this.status = status;
  }
}

/** The named thing does not exist. */
export class NotFoundError extends VigilError {
  /** @param what e.g. `camera 0192...` */
  constructor(what: string) {
    super("not_found", `${what} was not found`);
    this.name = "NotFoundError";
  }
}

/** The request conflicts with the current state (duplicate name, camera already busy...). */
export class ConflictError extends VigilError {
  /** @param message what conflicts */
  constructor(message: string) {
    super("conflict", message);
    this.name = "ConflictError";
  }
}

/** A dependency (database, camera, ffmpeg) is not reachable right now. */
export class UnavailableError extends VigilError {
  /** @param message what is unavailable */
  constructor(message: string, options?: ErrorOptions) {
    super("unavailable", message, options);
    this.name = "UnavailableError";
  }
}

/** A budget is spent (concurrent transcodes, sessions): try again later. */
export class CapacityError extends VigilError {
  /** Seconds after which a retry may succeed (the `Retry-After` header). */
  readonly retryAfterS: number;

  /**
   * @param message what is exhausted
   * @param retryAfterS when to try again
   */
  constructor(message: string, retryAfterS: number) {
    super("capacity", message);
    this.name = "CapacityError";
    this.retryAfterS = retryAfterS;
  }
}

/** A camera pinned to a box that never registered in the shared database (`unknown_box`). */
export class UnknownBoxError extends VigilError {
  /** @param box the box id asked for */
  constructor(box: string) {
    super("unknown_box", `box ${box} is not registered: pin the camera to a box of GET /api/boxes`);
    this.name = "UnknownBoxError";
  }
}
