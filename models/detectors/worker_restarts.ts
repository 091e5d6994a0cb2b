/**
 * Restart supervision of the shared inference Worker: the backoff between restarts, the count of
 * restarts, and giving up on waiting frames after `MAX_FAILED_RESTARTS` failed restarts
 * in a row (restarts go on in the background; the first success serves again). Also the small
 * Worker helpers of {@link ./shared_detector.ts}: errors off the wire, transfer.
 *
 * @module
 */
import { ValidationError } from "../errors.ts";
import type { createLogger } from "../log.ts";
import { isDetectorErrorCode } from "../error_codes.ts";
import { DetectorError } from "./detector_error.ts";
import type { WireError } from "./inference_protocol.ts";

/** Turns an error sent by the Worker back into the error it was. */
export function fromWire(error: WireError): Error {
  if (error.name === "ValidationError") return new ValidationError(error.message, error.field);
  const code = isDetectorErrorCode(error.code) ? error.code : "inference_failed";
  return new DetectorError(code, error.message);
}

/** The buffer to transfer for a frame's bytes. */
export function transferable(data: Uint8Array): ArrayBuffer {
  const whole = data.byteOffset === 0 && data.byteLength === data.buffer.byteLength;
  // A view into a larger (or shared) buffer is copied: transferring it would detach unrelated
  // bytes.
  return whole && data.buffer instanceof ArrayBuffer ? data.buffer : data.slice().buffer;
}

/** What the supervisor needs from the detector it restarts. */
export interface RestartHooks {
  /** Starts a new Worker; resolves once it is ready. */
  spawn(): Promise<unknown>;
  /** The detector was closed: no more restarts. */
  closed(): boolean;
  /** Fail every waiting frame with this error. */
  failWaiting(error: DetectorError): void;
}

/** Backoff, counters and the give-up state of Worker restarts. */
export class WorkerRestarts {
  readonly #options: {
    restartDelayMs: number;
    maxRestartDelayMs: number;
    maxFailedRestarts: number;
  };
  readonly #model: string;
  readonly #log: ReturnType<typeof createLogger>;
  readonly #hooks: RestartHooks;
  #restarts = 0;
  #crashStreak = 0;
  #failedRestarts = 0;
  #unavailable: DetectorError | undefined;
  #timer: ReturnType<typeof setTimeout> | undefined;

  constructor(
    options: { restartDelayMs: number; maxRestartDelayMs: number; maxFailedRestarts: number },
    model: string,
    log: ReturnType<typeof createLogger>,
    hooks: RestartHooks,
  ) {
    this.#options = options;
    this.#model = model;
    this.#log = log;
    this.#hooks = hooks;
  }

  /** How many times the Worker was restarted after a crash. */
  get restarts(): number {
    return this.#restarts;
  }

  /** Set while the Worker cannot be restarted: every frame fails with it at once. */
  get unavailable(): DetectorError | undefined {
    return this.#unavailable;
  }

  /** A frame was served: the next crash starts from the first delay again. */
  served(): void {
    this.#crashStreak = 0;
  }

  /** Stops a pending restart. */
  cancel(): void {
    clearTimeout(this.#timer);
  }

  /** Restarts the Worker after the backoff delay (and again on failure). */
  schedule(): void {
    if (this.#hooks.closed()) return;
    const delay = Math.min(
      this.#options.restartDelayMs * 2 ** this.#crashStreak,
      this.#options.maxRestartDelayMs,
    );
    this.#crashStreak++;
    this.#timer = setTimeout(() => {
      if (this.#hooks.closed()) return;
      this.#restarts++;
      this.#hooks.spawn().then(
        () => {
          this.#failedRestarts = 0;
          if (this.#unavailable) this.#log.info("inference worker available again");
          this.#unavailable = undefined;
          this.#log.info("inference worker restarted", { restarts: this.#restarts });
        },
        (err) => {
          if (this.#hooks.closed()) return;
          this.#failedRestarts++;
          this.#log.error("inference worker restart failed", {
            error: err,
            failedRestarts: this.#failedRestarts,
          });
          if (this.#failedRestarts >= this.#options.maxFailedRestarts) this.#giveUpWaiting(err);
          this.schedule();
        },
      );
    }, delay);
  }

  /** Fails every waiting frame, and every new one until a restart works. */
  #giveUpWaiting(cause: unknown): void {
    const reason = cause instanceof Error ? cause.message : String(cause);
    if (!this.#unavailable) {
      this.#log.error("inference worker cannot restart; frames fail until it can", {
        model: this.#model,
        reason,
      });
    }
    this.#unavailable = new DetectorError(
      "detector_unavailable",
      `detector: ${this.#model} cannot be restarted (${reason}); retrying in the background`,
      { cause },
    );
    this.#hooks.failWaiting(this.#unavailable);
  }
}
