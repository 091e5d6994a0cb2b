/**
 * The main-thread side of inference: ONE Worker per model, shared by every camera. Each camera
 * has a "latest frame wins" slot; the Worker takes the slots round-robin, one frame at a time,
 * so a busy camera cannot starve the others and no camera's backlog grows. A newer frame from the
 * same camera replaces a waiting one (the replaced request resolves as `skipped`). Frames cross to
 * the Worker as transferred ArrayBuffers. A crashed Worker is restarted with backoff and the
 * waiting frames are served by the new one; if it cannot be restarted
 * ({@linkcode MAX_FAILED_RESTARTS} in a row fail), frames fail until a background restart works.
 *
 * @module
 */
import { ValidationError } from "../errors.ts";
import { createLogger } from "../log.ts";
import { type DetectorConfig, resolveDetectorConfig } from "./detector_config.ts";
import { DetectorError, type DetectorErrorCode } from "./detector_error.ts";
import type { FromWorker, ToWorker, WireError } from "./inference_protocol.ts";
import { LatestFrameSlots } from "./latest_frame_slots.ts";
import { frameProblem } from "./preprocess.ts";
import type { Detection, Detector, Frame } from "./types.ts";

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
  /** Failed restarts in a row before frames fail (default {@linkcode MAX_FAILED_RESTARTS}). */
  maxFailedRestarts?: number;
}

/** What happened to one frame. */
export type DetectOutcome =
  | { status: "done"; detections: Detection[]; inferenceMs: number }
  | { status: "skipped" };

/** First restart delay: long enough not to spin on a crash loop, short against a 5 fps camera. */
export const RESTART_DELAY_MS = 200;
/** Cap on the restart delay. */
export const MAX_RESTART_DELAY_MS = 10_000;
/** Loading the CenterNet model takes ~0.3 s; a minute covers slow disks and big YOLO models. */
export const OPEN_TIMEOUT_MS = 60_000;
/** A frame takes ~40 ms on 2 cores; 10 s is only ever reached by a Worker that hangs. */
export const INFERENCE_TIMEOUT_MS = 10_000;
/**
 * After this many restarts in a row that fail (the model file was removed, the disk is gone),
 * waiting and new frames fail with `detector_unavailable` instead of waiting for a Worker that
 * may never come back; restarts go on in the background and the first success serves again.
 * With the default delays the waiting frames fail ~1.4 s after the crash plus the failed loads.
 */
export const MAX_FAILED_RESTARTS = 3;
/** How long close() waits for the frame in flight and the session release. */
const CLOSE_TIMEOUT_MS = 5_000;

const DEFAULT_WORKER_URL = new URL("./inference_worker.ts", import.meta.url).href;

interface Request {
  frame: Frame;
  resolve: (outcome: DetectOutcome) => void;
  reject: (err: Error) => void;
}

interface InFlight {
  id: number;
  camera: string;
  request: Request;
}

function fromWire(error: WireError): Error {
  if (error.name === "ValidationError") return new ValidationError(error.message, error.field);
  const code = (DetectorError.CODES as readonly string[]).includes(error.code)
    ? error.code as DetectorErrorCode
    : "inference_failed";
  return new DetectorError(code, error.message);
}

function transferable(data: Uint8Array): ArrayBuffer {
  const whole = data.byteOffset === 0 && data.byteLength === data.buffer.byteLength;
  // A view into a larger (or shared) buffer is copied: transferring it would detach unrelated bytes.
  return whole && data.buffer instanceof ArrayBuffer ? data.buffer : data.slice().buffer;
}

function timeout(ms: number, what: string): { promise: Promise<never>; cancel: () => void } {
  let id: ReturnType<typeof setTimeout> | undefined;
  const promise = new Promise<never>((_, reject) => {
    id = setTimeout(() => reject(new DetectorError("inference_failed", what)), ms);
  });
  return { promise, cancel: () => clearTimeout(id) };
}

/**
 * One model in one inference Worker, shared by all cameras.
 *
 * @example
 * ```ts
 * const shared = await SharedDetector.open({ kind: "centernet", path: "assets/models/centernet.onnx", minScore: 0.3 });
 * const outcome = await shared.detect("cam-1", frame); // frame.data is transferred (detached)
 * if (outcome.status === "done") console.log(outcome.detections);
 * await shared.close();
 * ```
 */
export class SharedDetector {
  /** Adapter name reported by the Worker, e.g. `centernet:centernet.onnx`. */
  readonly name: string;
  /** Class labels of the model. */
  readonly labels: readonly string[];
  readonly #config: DetectorConfig;
  readonly #options: Required<SharedDetectorOptions>;
  readonly #slots = new LatestFrameSlots<Request>();
  readonly #log = createLogger("detector");
  #worker: Worker | undefined;
  #ready = false;
  #inFlight: InFlight | undefined;
  #nextId = 1;
  #closed = false;
  #restarts = 0;
  #crashStreak = 0;
  #failedRestarts = 0;
  /** Set while the Worker cannot be restarted: every frame fails with it at once. */
  #unavailable: DetectorError | undefined;
  #restartTimer: ReturnType<typeof setTimeout> | undefined;
  #hangTimer: ReturnType<typeof setTimeout> | undefined;
  #idle: (() => void) | undefined;
  /** Rejects a model load in progress, so close() does not leave its timeout running. */
  #cancelOpen: (() => void) | undefined;

  private constructor(
    config: DetectorConfig,
    options: Required<SharedDetectorOptions>,
    name: string,
    labels: string[],
  ) {
    this.#config = config;
    this.#options = options;
    this.name = name;
    this.labels = labels;
  }

  /**
   * Starts the inference Worker and loads the model in it.
   *
   * @param config detector config
   * @param options restart tuning and the Worker module
   * @returns the shared detector, ready for frames
   * @throws {ValidationError} for a bad config field
   * @throws {DetectorError} for a missing/invalid model, a model that does not fit the adapter,
   *   bad labels, or a Worker that crashed or timed out while loading
   */
  static async open(
    config: DetectorConfig,
    options: SharedDetectorOptions = {},
  ): Promise<SharedDetector> {
    resolveDetectorConfig(config);
    const opts: Required<SharedDetectorOptions> = {
      workerUrl: options.workerUrl ?? DEFAULT_WORKER_URL,
      restartDelayMs: options.restartDelayMs ?? RESTART_DELAY_MS,
      maxRestartDelayMs: options.maxRestartDelayMs ?? MAX_RESTART_DELAY_MS,
      openTimeoutMs: options.openTimeoutMs ?? OPEN_TIMEOUT_MS,
      inferenceTimeoutMs: options.inferenceTimeoutMs ?? INFERENCE_TIMEOUT_MS,
      maxFailedRestarts: options.maxFailedRestarts ?? MAX_FAILED_RESTARTS,
    };
    const shared = new SharedDetector(config, opts, "", []);
    const ready = await shared.#spawn();
    return Object.assign(shared, { name: ready.name, labels: ready.labels });
  }

  /** How many times the Worker was restarted after a crash. */
  get restarts(): number {
    return this.#restarts;
  }

  /**
   * Queues a camera's frame. The Worker serves cameras round-robin, one frame at a time; if this
   * camera already has a frame waiting, that one resolves as `skipped` and this one takes its
   * place. The frame's buffer is transferred to the Worker: do not use `frame.data` afterwards
   * (a view into a larger buffer is copied instead).
   *
   * @param cameraId the camera
   * @param frame rgb24 frame
   * @returns detections, or `skipped` if a newer frame of the same camera replaced this one
   * @throws {DetectorError} `frame_invalid`, `detector_closed`, `worker_crashed` (the Worker
   *   died while running this frame; it restarts by itself), `inference_failed`,
   *   `detector_unavailable` (the Worker cannot be restarted; it keeps trying in the background)
   */
  detect(cameraId: string, frame: Frame): Promise<DetectOutcome> {
    if (this.#closed) {
      return Promise.reject(
        new DetectorError("detector_closed", `detector: ${this.name} is closed`),
      );
    }
    const problem = frameProblem(frame);
    if (problem) return Promise.reject(new DetectorError("frame_invalid", `detector: ${problem}`));
    if (this.#unavailable) return Promise.reject(this.#unavailable);
    return new Promise((resolve, reject) => {
      this.#slots.put(cameraId, { frame, resolve, reject })?.resolve({ status: "skipped" });
      this.#pump();
    });
  }

  /**
   * A {@linkcode Detector} view for one camera. Its `detect` resolves to `[]` for a skipped frame;
   * its `close` only drops the camera's waiting frame (the shared Worker keeps running).
   *
   * @param cameraId the camera
   * @returns a detector bound to the camera
   */
  detectorFor(cameraId: string): Detector {
    return {
      name: this.name,
      labels: this.labels,
      detect: async (frame) => {
        const outcome = await this.detect(cameraId, frame);
        return outcome.status === "done" ? outcome.detections : [];
      },
      close: () => {
        this.#slots.delete(cameraId)?.resolve({ status: "skipped" });
        return Promise.resolve();
      },
    };
  }

  /**
   * Stops the Worker: waiting frames resolve as `skipped`, the frame in flight finishes (up to
   * 5 s), then the session is released and the Worker terminated.
   */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    clearTimeout(this.#restartTimer);
    clearTimeout(this.#hangTimer);
    for (const r of this.#slots.drain()) r.resolve({ status: "skipped" });
    const worker = this.#worker;
    if (!worker) return;
    if (this.#inFlight) {
      const wait = timeout(CLOSE_TIMEOUT_MS, "detector: frame in flight did not finish");
      await Promise.race([new Promise<void>((r) => this.#idle = r), wait.promise]).catch(() => {});
      wait.cancel();
    }
    if (this.#ready) {
      const wait = timeout(CLOSE_TIMEOUT_MS, "detector: worker did not close");
      const closed = new Promise<void>((resolve) => {
        worker.addEventListener("message", (e: MessageEvent<FromWorker>) => {
          if (e.data.type === "closed") resolve();
        });
      });
      this.#post(worker, { type: "close" });
      await Promise.race([closed, wait.promise]).catch(() => {});
      wait.cancel();
    }
    this.#cancelOpen?.();
    this.#terminate();
    this.#inFlight?.request.reject(
      new DetectorError("detector_closed", `detector: ${this.name} closed during inference`),
    );
    this.#inFlight = undefined;
  }

  #post(worker: Worker, msg: ToWorker, transfer: Transferable[] = []): void {
    worker.postMessage(msg, transfer);
  }

  /** Starts a Worker and opens the model; resolves when the Worker reports `ready`. */
  #spawn(): Promise<{ name: string; labels: string[] }> {
    const worker = new Worker(this.#options.workerUrl, { type: "module" });
    this.#worker = worker;
    this.#ready = false;
    const wait = timeout(
      this.#options.openTimeoutMs,
      `detector: loading ${this.#config.path} took longer than ${this.#options.openTimeoutMs} ms`,
    );
    const opened = new Promise<{ name: string; labels: string[] }>((resolve, reject) => {
      this.#cancelOpen = () =>
        reject(new DetectorError("detector_closed", "detector: closed while loading"));
      worker.onmessage = (e: MessageEvent<FromWorker>) => {
        const msg = e.data;
        if (msg.type === "ready") {
          this.#ready = true;
          resolve({ name: msg.name, labels: msg.labels });
          this.#pump();
        } else if (msg.type === "open_failed") {
          reject(fromWire(msg.error));
        } else {
          this.#onReply(msg);
        }
      };
      worker.onerror = (e: ErrorEvent) => {
        // Without preventDefault an uncaught error in a Worker also kills the main thread.
        e.preventDefault();
        if (worker !== this.#worker) return;
        if (!this.#ready) {
          reject(
            new DetectorError(
              "worker_crashed",
              `detector: inference worker crashed while loading: ${e.message}`,
            ),
          );
          return;
        }
        this.#onCrash(e.message);
      };
    });
    this.#post(worker, { type: "open", config: this.#config });
    return Promise.race([opened, wait.promise]).finally(() => {
      wait.cancel();
      this.#cancelOpen = undefined;
    }).catch((err) => {
      if (worker === this.#worker) this.#terminate();
      throw err;
    });
  }

  #onReply(msg: FromWorker): void {
    const current = this.#inFlight;
    if (!current || !("id" in msg) || msg.id !== current.id) return;
    clearTimeout(this.#hangTimer);
    this.#inFlight = undefined;
    if (msg.type === "result") {
      this.#crashStreak = 0;
      current.request.resolve({
        status: "done",
        detections: msg.detections,
        inferenceMs: msg.inferenceMs,
      });
    } else if (msg.type === "detect_failed") {
      current.request.reject(fromWire(msg.error));
    }
    this.#idle?.();
    this.#pump();
  }

  #onCrash(reason: string): void {
    this.#log.error("inference worker crashed", { model: this.#config.path, reason });
    clearTimeout(this.#hangTimer);
    this.#terminate();
    const lost = this.#inFlight;
    this.#inFlight = undefined;
    lost?.request.reject(
      new DetectorError(
        "worker_crashed",
        `detector: inference worker crashed (${reason}); restarting`,
      ),
    );
    this.#idle?.();
    this.#scheduleRestart();
  }

  #scheduleRestart(): void {
    if (this.#closed) return;
    const delay = Math.min(
      this.#options.restartDelayMs * 2 ** this.#crashStreak,
      this.#options.maxRestartDelayMs,
    );
    this.#crashStreak++;
    this.#restartTimer = setTimeout(() => {
      if (this.#closed) return;
      this.#restarts++;
      this.#spawn().then(
        () => {
          this.#failedRestarts = 0;
          if (this.#unavailable) this.#log.info("inference worker available again");
          this.#unavailable = undefined;
          this.#log.info("inference worker restarted", { restarts: this.#restarts });
        },
        (err) => {
          if (this.#closed) return;
          this.#failedRestarts++;
          this.#log.error("inference worker restart failed", {
            error: err,
            failedRestarts: this.#failedRestarts,
          });
          if (this.#failedRestarts >= this.#options.maxFailedRestarts) this.#giveUpWaiting(err);
          this.#scheduleRestart();
        },
      );
    }, delay);
  }

  /** Fails every waiting frame, and every new one until a restart works. */
  #giveUpWaiting(cause: unknown): void {
    const reason = cause instanceof Error ? cause.message : String(cause);
    if (!this.#unavailable) {
      this.#log.error("inference worker cannot restart; frames fail until it can", {
        model: this.#config.path,
        reason,
      });
    }
    this.#unavailable = new DetectorError(
      "detector_unavailable",
      `detector: ${this.#config.path} cannot be restarted (${reason}); retrying in the background`,
      { cause },
    );
    for (const r of this.#slots.drain()) r.reject(this.#unavailable);
  }

  #terminate(): void {
    this.#worker?.terminate();
    this.#worker = undefined;
    this.#ready = false;
  }

  #pump(): void {
    const worker = this.#worker;
    if (!worker || !this.#ready || this.#inFlight || this.#closed) return;
    const next = this.#slots.take();
    if (!next) return;
    const [camera, request] = next;
    const id = this.#nextId++;
    this.#inFlight = { id, camera, request };
    const { width, height, data } = request.frame;
    const buffer = transferable(data);
    this.#post(worker, { type: "detect", id, width, height, buffer }, [buffer]);
    const limit = this.#options.inferenceTimeoutMs;
    this.#hangTimer = setTimeout(() => {
      if (this.#inFlight?.id === id) this.#onCrash(`no answer to a frame in ${limit} ms (hung)`);
    }, limit);
  }
}
