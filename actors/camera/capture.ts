/**
 * The capture actor: one ffmpeg process reading a camera's stream (its relay path on the stream
 * hub) and writing raw rgb24 frames of the analysis size to stdout, read in exact frame-size
 * chunks into the camera's "latest frame wins" slot. It tells its parent when the first frame
 * arrives (`CAPTURE.LIVE`) and when the stream is lost (`CAPTURE.FAILED`: ffmpeg exited, or no
 * frame for `stallMs`). Retrying is the parent's job (backoff lives in the camera machine).
 * Per-frame numbers go to a small stats object, never into events or actor context.
 *
 * @module
 */

import { type EventObject, fromCallback } from "xstate";
import { ValidationError } from "../../models/errors.ts";
import { createLogger, type Logger } from "../../models/log.ts";
import { captureArgs, type CaptureArgsOptions } from "../../models/media/ffmpeg_args.ts";
import { StderrParser, type StreamInfo } from "../../models/media/ffmpeg_stderr.ts";
import { FrameSlot } from "../../models/media/frame_slot.ts";
import { type ChildProcess, describeExit, spawnChild } from "../process/child.ts";
import { readExactly } from "../process/exact_reads.ts";
import { ProcessGroup } from "../process/process_group.ts";

/** Default stall watchdog: no frame for this long → kill ffmpeg and report failure. */
export const STALL_MS = 5000;
/** Window over which the frame rate is measured. */
export const FPS_WINDOW_MS = 2000;

/** What a capture needs: the source and the analysis size and rate. */
export interface CaptureConfig extends CaptureArgsOptions {
  /** Camera id, for log lines. */
  id?: string;
  /** Stall watchdog in ms. Default {@linkcode STALL_MS}. */
  stallMs?: number;
  /** ffmpeg binary. Default `"ffmpeg"` from PATH. */
  ffmpegPath?: string;
}

/** Events the capture actor sends to its parent. */
export type CaptureParentEvent =
  | { type: "CAPTURE.LIVE"; info: StreamInfo }
  | { type: "CAPTURE.FAILED"; error: string; fatal: boolean };

/** Live numbers of the current (or last) capture run; updated in place, read by the API. */
export interface CaptureStats {
  /** PID of the running ffmpeg, `null` when none runs. */
  pid: number | null;
  /** When the current run started, epoch ms. */
  startedAt: number | null;
  /** When the last frame arrived (any run), epoch ms. */
  lastFrameAt: number | null;
  /** Frames received in the current run. */
  frames: number;
  /** Frames received over all runs. */
  totalFrames: number;
  /** Frame rate measured over the last {@linkcode FPS_WINDOW_MS}. */
  fps: number;
  /** Input stream as ffmpeg described it. */
  info: StreamInfo | null;
}

/**
 * Everything a camera's captures share that must stay out of actor context: the frame slot, the
 * stats, and the exits of the ffmpeg processes, so a caller can await that none is left.
 *
 * @example
 * ```ts
 * const handle = new CaptureHandle();
 * // … run captures with createCaptureLogic(handle) …
 * await handle.settled(); // every ffmpeg started through it has exited
 * ```
 */
export class CaptureHandle {
  /** Latest frame of the camera. */
  readonly slot: FrameSlot = new FrameSlot();
  /** Numbers of the current run. */
  readonly stats: CaptureStats = {
    pid: null,
    startedAt: null,
    lastFrameAt: null,
    frames: 0,
    totalFrames: 0,
    fps: 0,
    info: null,
  };
  #runs = new ProcessGroup();
  #seq = 0;

  /** PIDs of ffmpeg processes started through this handle that have not exited yet. */
  get pids(): number[] {
    return this.#runs.pids;
  }

  /**
   * Resolves once every ffmpeg process started through this handle has exited and been reaped.
   *
   * @returns a promise that never rejects
   */
  settled(): Promise<void> {
    return this.#runs.settled();
  }

  /** @internal next frame sequence number; continues across runs. */
  nextSeq(): number {
    return ++this.#seq;
  }

  /** @internal records a run until `done` settles. */
  track(pid: number, done: Promise<void>): void {
    this.#runs.track(pid, done);
  }
}

/** A running capture. */
export interface CaptureRun {
  /** ffmpeg's PID, or `null` if it never started. */
  pid: number | null;
  /** Kills ffmpeg (SIGTERM, SIGKILL after the process layer's grace) and awaits its exit. */
  stop(): Promise<void>;
  /** Settles when ffmpeg has exited and its pipes are drained. */
  done: Promise<void>;
}

/**
 * Starts ffmpeg for `config` and feeds frames into `handle.slot`. Reports `CAPTURE.LIVE` once and
 * `CAPTURE.FAILED` at most once (never after `stop()`); the run is over after a failure.
 *
 * @param config source, analysis size and rate, stall watchdog
 * @param handle the camera's slot and stats
 * @param emit receives {@linkcode CaptureParentEvent}s
 * @returns the run, to stop it
 * @example
 * ```ts
 * const handle = new CaptureHandle();
 * const run = startCapture({ url, width: 640, height: 360, fps: 5 }, handle, console.log);
 * const frame = await handle.slot.next();
 * await run.stop();
 * ```
 */
export function startCapture(
  config: CaptureConfig,
  handle: CaptureHandle,
  emit: (event: CaptureParentEvent) => void,
): CaptureRun {
  const log = createLogger("capture", config.id ? { camera: config.id } : {});
  let args: string[];
  try {
    args = captureArgs(config);
  } catch (err) {
    const fatal = err instanceof ValidationError;
    const error = `capture: ${err instanceof Error ? err.message : String(err)}`;
    queueMicrotask(() => emit({ type: "CAPTURE.FAILED", error, fatal }));
    return { pid: null, stop: () => Promise.resolve(), done: Promise.resolve() };
  }
  const parser = new StderrParser();
  let child: ChildProcess;
  try {
    child = spawnChild(config.ffmpegPath ?? "ffmpeg", {
      args,
      stdout: "piped",
      onStderrLine: (line) => {
        const parsed = parser.push(line);
        if (parsed.kind === "error") log.debug("ffmpeg error line", { line: parsed.message });
      },
    });
  } catch (err) {
    const error = `capture: cannot start ffmpeg: ${err instanceof Error ? err.message : err}`;
    queueMicrotask(() => emit({ type: "CAPTURE.FAILED", error, fatal: true }));
    return { pid: null, stop: () => Promise.resolve(), done: Promise.resolve() };
  }
  return new Run(config, handle, emit, child, parser, log).start();
}

class Run {
  #stopping = false;
  #reported = false;
  #live = false;
  #recent: number[] = [];
  #watchdog: ReturnType<typeof setInterval> | undefined;
  #stallMs: number;

  constructor(
    readonly config: CaptureConfig,
    readonly handle: CaptureHandle,
    readonly emit: (event: CaptureParentEvent) => void,
    readonly child: ChildProcess,
    readonly parser: StderrParser,
    readonly log: Logger,
  ) {
    this.#stallMs = config.stallMs ?? STALL_MS;
  }

  start(): CaptureRun {
    const stats = this.handle.stats;
    Object.assign(stats, { pid: this.child.pid, startedAt: Date.now(), frames: 0, fps: 0 });
    stats.info = null;
    this.log.debug("ffmpeg started", { pid: this.child.pid });
    this.#watchdog = setInterval(() => this.#checkStall(), Math.min(500, this.#stallMs / 4));
    const frames = this.#readFrames().catch((err: unknown) => {
      this.log.warn("reading ffmpeg output failed", { error: err });
      this.#kill();
    });
    const done = Promise.all([frames, this.child.done]).then(([, status]) => this.#exited(status));
    this.handle.track(this.child.pid, done);
    return { pid: this.child.pid, stop: () => this.#stop(done), done };
  }

  async #stop(done: Promise<void>): Promise<void> {
    this.#stopping = true;
    this.#kill();
    await done;
  }

  #kill(): void {
    clearInterval(this.#watchdog);
    void this.child.stop();
  }

  #fail(error: string): void {
    if (this.#stopping || this.#reported) return;
    this.#reported = true;
    this.log.warn("capture failed", { error, pid: this.child.pid });
    this.emit({ type: "CAPTURE.FAILED", error, fatal: false });
    this.#kill();
  }

  #checkStall(): void {
    const stats = this.handle.stats;
    const since = this.#live ? stats.lastFrameAt : stats.startedAt;
    if (since !== null && Date.now() - since > this.#stallMs) {
      this.#fail(`capture: no frame for ${this.#stallMs} ms (stalled)`);
    }
  }

  #exited(status: Deno.CommandStatus): void {
    clearInterval(this.#watchdog);
    if (this.handle.stats.pid === this.child.pid) {
      this.handle.stats.pid = null;
      this.handle.stats.fps = 0;
    }
    this.log.debug("ffmpeg exited", { pid: this.child.pid, code: status.code });
    const error = this.parser.lastError;
    this.#fail(
      `capture: stream ended (ffmpeg ${describeExit(status)})${error ? `: ${error}` : ""}`,
    );
  }

  async #readFrames(): Promise<void> {
    const { width, height } = this.config;
    for await (const picture of readExactly(this.child.stdout, width * height * 3)) {
      if (!this.#stopping) this.#frame(picture);
    }
  }

  #frame(data: Uint8Array): void {
    const now = Date.now();
    const stats = this.handle.stats;
    stats.frames++;
    stats.totalFrames++;
    stats.lastFrameAt = now;
    this.#recent.push(now);
    while (this.#recent.length > 2 && now - (this.#recent[0] ?? now) > FPS_WINDOW_MS) {
      this.#recent.shift();
    }
    const first = this.#recent[0] ?? now;
    stats.fps = now > first ? ((this.#recent.length - 1) * 1000) / (now - first) : 0;
    const { width, height } = this.config;
    this.handle.slot.put({ width, height, data, ts: now, seq: this.handle.nextSeq() });
    if (this.#live) return;
    this.#live = true;
    stats.info = this.parser.info;
    const info = this.parser.info ?? { codec: null, width: null, height: null, fps: null };
    this.log.info("capture live", { pid: this.child.pid, ...info });
    this.emit({ type: "CAPTURE.LIVE", info });
  }
}

/**
 * The capture actor logic for XState: `fromCallback` around {@linkcode startCapture}. Its cleanup
 * kills ffmpeg; XState cannot await a cleanup, so `handle.settled()` is how a caller waits for
 * the exit.
 *
 * @param handle where frames and stats go; default: a fresh handle per invocation (state only)
 * @returns callback actor logic with input {@linkcode CaptureConfig}
 * @example
 * ```ts
 * const handle = new CaptureHandle();
 * const machine = setup({ actors: { capture: createCaptureLogic(handle) } }).createMachine({
 *   invoke: { src: "capture", input: { url, width: 640, height: 360, fps: 5 } },
 * });
 * ```
 */
export function createCaptureLogic(handle?: CaptureHandle) {
  return fromCallback<EventObject, CaptureConfig>(({ input, sendBack }) => {
    const run = startCapture(input, handle ?? new CaptureHandle(), sendBack);
    return () => {
      void run.stop();
    };
  });
}
