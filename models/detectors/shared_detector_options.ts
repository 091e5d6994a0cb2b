/**
 * Tuning of {@link ./shared_detector.ts}: its options, their defaults, and resolving them.
 *
 * @module
 */
import { ValidationError } from "../errors.ts";

/** Tuning and test hooks. */
export interface SharedDetectorOptions {
  /** Worker module; defaults to `inference_worker.ts`. Tests pass a wrapper that can crash. */
  workerUrl?: string | URL;
  /** First restart delay after a crash; doubles per consecutive crash. */
  restartDelayMs?: number;
  /** Cap on the restart delay. */
  maxRestartDelayMs?: number;
  /** How long loading the model may take before startup fails. */
  openTimeoutMs?: number;
  /**
   * How long one frame may take before the Worker counts as hung and is restarted like a crashed
   * one (a native deadlock answers nothing and throws nothing).
   */
  inferenceTimeoutMs?: number;
  /** Frames handed to the Worker at once (default {@linkcode PIPELINE_DEPTH}; 1 = one at a time). */
  pipelineDepth?: number;
  /** Failed restarts in a row before frames fail (default {@linkcode MAX_FAILED_RESTARTS}). */
  maxFailedRestarts?: number;
}

/** First restart delay: long enough not to spin on a crash loop, short against a 5 fps camera. */
export const RESTART_DELAY_MS = 200;
/** Cap on the restart delay. */
export const MAX_RESTART_DELAY_MS = 10_000;
/**
 * After this many restarts in a row that fail (the model file was removed, the disk is gone),
 * waiting and new frames fail with `detector_unavailable` instead of waiting for a Worker that
 * may never come back; restarts go on in the background and the first success serves again.
 * With the default delays the waiting frames fail ~1.4 s after the crash plus the failed loads.
 */
export const MAX_FAILED_RESTARTS = 3;

/** Loading the CenterNet model takes ~0.3 s; a minute covers slow disks and big YOLO models. */
export const OPEN_TIMEOUT_MS = 60_000;
/** A frame takes ~40 ms on 2 cores; 10 s is only ever reached by a Worker that hangs. */
export const INFERENCE_TIMEOUT_MS = 10_000;
/**
 * Frames handed to the Worker at once: one running and one waiting in its inbox. More would only
 * make frames older (a frame in the inbox can no longer be replaced by a newer one).
 */
export const PIPELINE_DEPTH = 2;
/**
 * Fills in the defaults and checks the options.
 *
 * @param options the caller's options
 * @param defaultWorkerUrl the inference Worker module
 * @returns every option set
 * @throws {ValidationError} for a `pipelineDepth` that is not a positive integer
 */
export function resolveSharedOptions(
  options: SharedDetectorOptions,
  defaultWorkerUrl: string,
): Required<SharedDetectorOptions> {
  const opts: Required<SharedDetectorOptions> = {
    workerUrl: options.workerUrl ?? defaultWorkerUrl,
    restartDelayMs: options.restartDelayMs ?? RESTART_DELAY_MS,
    maxRestartDelayMs: options.maxRestartDelayMs ?? MAX_RESTART_DELAY_MS,
    openTimeoutMs: options.openTimeoutMs ?? OPEN_TIMEOUT_MS,
    inferenceTimeoutMs: options.inferenceTimeoutMs ?? INFERENCE_TIMEOUT_MS,
    pipelineDepth: options.pipelineDepth ?? PIPELINE_DEPTH,
    maxFailedRestarts: options.maxFailedRestarts ?? MAX_FAILED_RESTARTS,
  };
  if (!Number.isInteger(opts.pipelineDepth) || opts.pipelineDepth < 1) {
    throw new ValidationError(
      `Cannot share a detector as 'pipelineDepth' must be a positive integer: current value is ${opts.pipelineDepth}`,
      "pipelineDepth",
    );
  }
  return opts;
}
