/**
 * The main-thread side of inference: ONE Worker per model, shared by every camera. Each camera
 * has a "latest frame wins" slot (a newer frame replaces a waiting one, which resolves as
 * `skipped`); the slots are served round-robin, with up to `pipelineDepth` frames handed to the
 * Worker so it never waits for the main thread. Frames cross as transferred ArrayBuffers. A
 * crashed or hung Worker is restarted with backoff (worker_restarts.ts).
 * Why: docs/decisions/inference-worker.md.
 *
 * @module
 */
import { createLogger } from "../log.ts";
import { type DetectorConfig, resolveDetectorConfig } from "./detector_config.ts";
import { DetectorError } from "./detector_error.ts";
import type { FromWorker, ToWorker } from "./inference_protocol.ts";
import { LatestFrameSlots } from "./latest_frame_slots.ts";
import { frameProblem } from "./preprocess.ts";
import type { Box, Detection, DetectOptions, Detector, Frame } from "./types.ts";
import { resolveSharedOptions, type SharedDetectorOptions } from "./shared_detector_options.ts";
import { settlesWithin, withTimeout } from "../timeout.ts";
import { fromWire, transferable, WorkerRestarts } from "./worker_restarts.ts";

/** What happened to one frame. */
export type DetectOutcome =
  | { status: "done"; detections: Detection[]; inferenceMs: number }
  | { status: "skipped" };

/** How long close() waits for the frame in flight and the session release. */
const CLOSE_TIMEOUT_MS = 5_000;

const DEFAULT_WORKER_URL = new URL("./inference_worker.ts", import.meta.url).href;

interface Request {
  frame: Frame;
  classes: readonly string[] | undefined;
  regions: readonly Box[] | undefined;
  resolve: (outcome: DetectOutcome) => void;
  reject: (err: Error) => void;
}

interface InFlight {
  id: number;
  camera: string;
  request: Request;
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
  /** Cameras waiting for their slot to empty (see {@linkcode SharedDetector.vacancy}). */
  readonly #vacancies = new Map<string, (() => void)[]>();
  readonly #log = createLogger("detector");
  #worker: Worker | undefined;
  #ready = false;
  /** Frames handed to the Worker, oldest first (it answers in order). */
  readonly #inFlight = new Map<number, InFlight>();
  #nextId = 1;
  #closed = false;
  /** Restart backoff and the give-up state. */
  readonly #restarts: WorkerRestarts;
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
    this.#restarts = new WorkerRestarts(options, config.path, this.#log, {
      spawn: () => this.#spawn(),
      closed: () => this.#closed,
      failWaiting: (error) => {
        for (const r of this.#slots.drain()) r.reject(error);
        this.#vacate();
      },
    });
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
    const opts = resolveSharedOptions(options, DEFAULT_WORKER_URL);
    const shared = new SharedDetector(config, opts, "", []);
    const ready = await shared.#spawn();
    return Object.assign(shared, { name: ready.name, labels: ready.labels });
  }

  /** How many times the Worker was restarted after a crash. */
  get restarts(): number {
    return this.#restarts.restarts;
  }

  /**
   * Queues a camera's frame. The Worker serves cameras round-robin; if this camera already has a
   * frame waiting (not yet handed to the Worker), that one resolves as `skipped` and this one
   * takes its place. The frame's buffer is transferred to the Worker: do not use `frame.data`
   * afterwards (a view into a larger buffer is copied instead).
   *
   * @param cameraId the camera
   * @param frame rgb24 frame
   * @param options labels to decode
   * @returns detections, or `skipped` if a newer frame of the same camera replaced this one
   * @throws {DetectorError} `frame_invalid`, `detector_closed`, `worker_crashed` (the Worker
   *   died while running this frame; it restarts by itself), `inference_failed`,
   *   `detector_unavailable` (the Worker cannot be restarted; it keeps trying in the background)
   */
  detect(cameraId: string, frame: Frame, options: DetectOptions = {}): Promise<DetectOutcome> {
    if (this.#closed) {
      return Promise.reject(
        new DetectorError("detector_closed", `detector: ${this.name} is closed`),
      );
    }
    const problem = frameProblem(frame);
    if (problem) return Promise.reject(new DetectorError("frame_invalid", `detector: ${problem}`));
    const unavailable = this.#restarts.unavailable;
    if (unavailable) return Promise.reject(unavailable);
    return new Promise((resolve, reject) => {
      const request = {
        frame,
        classes: options.classes,
        regions: options.regions,
        resolve,
        reject,
      };
      this.#slots.put(cameraId, request)?.resolve({ status: "skipped" });
      this.#pump();
    });
  }

  /**
   * Resolves once this camera has no frame waiting (none queued, or the Worker took it): the
   * moment a new frame would be taken up next rather than replaced. A camera that waits for this
   * before picking its next frame never prepares (gates, copies) frames that would only be
   * replaced, and sends the freshest one. Resolves at once when nothing waits, and on close.
   *
   * @param cameraId the camera
   * @returns settles when the camera's slot is empty; never rejects
   */
  vacancy(cameraId: string): Promise<void> {
    if (this.#closed || !this.#slots.has(cameraId)) return Promise.resolve();
    return new Promise((resolve) => {
      const waiting = this.#vacancies.get(cameraId) ?? [];
      waiting.push(resolve);
      this.#vacancies.set(cameraId, waiting);
    });
  }

  #vacate(cameraId?: string): void {
    const cameras = cameraId === undefined ? [...this.#vacancies.keys()] : [cameraId];
    for (const camera of cameras) {
      const waiting = this.#vacancies.get(camera);
      this.#vacancies.delete(camera);
      for (const resolve of waiting ?? []) resolve();
    }
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
      detect: async (frame, options) => {
        const outcome = await this.detect(cameraId, frame, options);
        return outcome.status === "done" ? outcome.detections : [];
      },
      close: () => {
        this.#slots.delete(cameraId)?.resolve({ status: "skipped" });
        this.#vacate(cameraId);
        return Promise.resolve();
      },
    };
  }

  /**
   * Stops the Worker: waiting frames resolve as `skipped`, the frames in flight finish (up to
   * 5 s), then the session is released and the Worker terminated.
   */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.#restarts.cancel();
    clearTimeout(this.#hangTimer);
    for (const r of this.#slots.drain()) r.resolve({ status: "skipped" });
    this.#vacate();
    const worker = this.#worker;
    if (!worker) return;
    if (this.#inFlight.size > 0) {
      await settlesWithin(new Promise<void>((r) => this.#idle = r), CLOSE_TIMEOUT_MS);
    }
    if (this.#ready) {
      const closed = new Promise<void>((resolve) => {
        worker.addEventListener("message", (e: MessageEvent<FromWorker>) => {
          if (e.data.type === "closed") resolve();
        });
      });
      this.#post(worker, { type: "close" });
      await settlesWithin(closed, CLOSE_TIMEOUT_MS);
    }
    this.#cancelOpen?.();
    this.#terminate();
    this.#rejectInFlight(
      new DetectorError("detector_closed", `detector: ${this.name} closed during inference`),
    );
  }

  /** Rejects every frame handed to the Worker (it crashed, hung or was closed). */
  #rejectInFlight(error: Error): void {
    const lost = [...this.#inFlight.values()];
    this.#inFlight.clear();
    for (const { request } of lost) request.reject(error);
  }

  /** Arms the hang timer for the oldest frame in flight; any answer re-arms it. */
  #armHangTimer(): void {
    clearTimeout(this.#hangTimer);
    if (this.#inFlight.size === 0) return;
    const limit = this.#options.inferenceTimeoutMs;
    this.#hangTimer = setTimeout(
      () => this.#onCrash(`no answer to a frame in ${limit} ms (hung)`),
      limit,
    );
  }

  #post(worker: Worker, msg: ToWorker, transfer: Transferable[] = []): void {
    worker.postMessage(msg, transfer);
  }

  /** Starts a Worker and opens the model; resolves when the Worker reports `ready`. */
  #spawn(): Promise<{ name: string; labels: string[] }> {
    const worker = new Worker(this.#options.workerUrl, { type: "module" });
    this.#worker = worker;
    this.#ready = false;
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
    const limit = this.#options.openTimeoutMs;
    return withTimeout(
      opened,
      limit,
      () =>
        new DetectorError(
          "inference_failed",
          `detector: loading ${this.#config.path} took longer than ${limit} ms`,
        ),
    ).finally(() => {
      this.#cancelOpen = undefined;
    }).catch((err) => {
      if (worker === this.#worker) this.#terminate();
      throw err;
    });
  }

  #onReply(msg: FromWorker): void {
    const current = "id" in msg ? this.#inFlight.get(msg.id) : undefined;
    if (!current) return;
    this.#inFlight.delete(current.id);
    this.#armHangTimer();
    if (msg.type === "result") {
      this.#restarts.served();
      current.request.resolve({
        status: "done",
        detections: msg.detections,
        inferenceMs: msg.inferenceMs,
      });
    } else if (msg.type === "detect_failed") {
      current.request.reject(fromWire(msg.error));
    }
    if (this.#inFlight.size === 0) this.#idle?.();
    this.#pump();
  }

  #onCrash(reason: string): void {
    this.#log.error("inference worker crashed", { model: this.#config.path, reason });
    clearTimeout(this.#hangTimer);
    this.#terminate();
    this.#rejectInFlight(
      new DetectorError(
        "worker_crashed",
        `detector: inference worker crashed (${reason}); restarting`,
      ),
    );
    this.#idle?.();
    this.#restarts.schedule();
  }

  #terminate(): void {
    this.#worker?.terminate();
    this.#worker = undefined;
    this.#ready = false;
  }

  #pump(): void {
    const worker = this.#worker;
    if (!worker || !this.#ready || this.#closed) return;
    while (this.#inFlight.size < this.#options.pipelineDepth) {
      const next = this.#slots.take();
      if (!next) return;
      const [camera, request] = next;
      this.#vacate(camera);
      const id = this.#nextId++;
      this.#inFlight.set(id, { id, camera, request });
      const { width, height, data } = request.frame;
      const buffer = transferable(data);
      const classes = request.classes ? [...request.classes] : undefined;
      const regions = request.regions?.map((b): Box => [...b]);
      this.#post(worker, { type: "detect", id, width, height, buffer, classes, regions }, [buffer]);
      if (this.#inFlight.size === 1) this.#armHangTimer();
    }
  }
}
