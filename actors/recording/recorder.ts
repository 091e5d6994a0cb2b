/**
 * The recorder of one camera (invoked by its `recording` region): runs segmenter runs against the
 * camera's record source through the stream hub (camera_unit.ts `recordingSource` picks it),
 * restarts them with backoff, and indexes finished segments — all of them (continuous) or those
 * an event needs (events mode, models/recording/event_windows.ts). `RECORDER.FINALIZE` ends the
 * run and answers `RECORDING.FINALIZED` once the last segment is indexed; a shutdown leaves events
 * mode's undecided segments to recovery. Per-segment numbers live in a {@linkcode RecorderHandle}.
 * Why fragmented MP4 and SIGINT: docs/decisions/fragmented-mp4-segments.md.
 *
 * @module
 */
import { fromCallback } from "xstate";
import { join } from "node:path";
import type { EventBus } from "../../models/event_bus.ts";
import { createLogger, type Logger } from "../../models/log.ts";
import { probeSource } from "../process/ffprobe.ts";
import type { SourceProbe } from "../../models/media/probe_output.ts";
import { audioMode } from "../../models/media/segment_args.ts";
import { placeSegment, RunClock } from "../../models/media/segment_output.ts";
import { incomingDir, incomingPattern, parseIncomingName } from "../../models/recording/paths.ts";
import { parseRecordingSettings, type RecordingSettings } from "../../models/recording/settings.ts";
import type { SegmentRow } from "../../models/store/segments.ts";
import { BACKOFF_BASE_MS, BACKOFF_MAX_MS, backoffDelay } from "../../models/backoff.ts";
import type { RecorderEvent } from "../camera/camera_machine.ts";
import type { FeedMessage } from "../camera/event_recorder.ts";
import { type CheckedSegment, checkSegment, indexSegment, removeFile } from "./segment_files.ts";
import { type SegmenterRun, startSegmenter } from "./segmenter.ts";
import { RecorderHandle, type RecorderStats, type RecordingSource } from "./recorder_handle.ts";
import { Preroll } from "./preroll.ts";

/** Events mode re-decides its pending segments at least this often. */
export const DECIDE_EVERY_MS = 2000;

/** What a camera's recorder works with. */
export interface RecorderDeps {
  cameraId: string;
  dataDir: string;
  /** Target segment length (s). */
  segmentSeconds: number;
  /** Resolves what to record, each time a run starts. */
  source(): Promise<RecordingSource>;
  /** The camera's segments writer. */
  writer: { push(row: SegmentRow): void };
  /** The live event feed (events mode). */
  events: EventBus<FeedMessage>;
  handle: RecorderHandle;
}

/** How long the first probe of a source may take (codecs decide the audio handling). */
const PROBE_TIMEOUT_MS = 10_000;

/** How a run ended, for the loop. */
interface RunOutcome {
  /** It finished at least one segment. */
  produced: boolean;
  error: string | null;
}

interface Pending extends CheckedSegment {
  startMs: number;
  endMs: number;
}

/**
 * The recorder actor logic: `fromCallback` with input `{ settings }` (validated again here, as
 * stored settings may come from an older version).
 *
 * @param deps source, writer, feed, handle
 * @returns callback actor logic accepting {@linkcode RecorderEvent}s
 */
export function createRecorderLogic(deps: RecorderDeps) {
  return fromCallback<RecorderEvent, { settings: unknown }>(({ input, receive, sendBack }) => {
    const recorder = new Recorder(deps, parseRecordingSettings(input.settings));
    receive((event) => recorder.receive(event));
    recorder.onFinalized = () => sendBack({ type: "RECORDING.FINALIZED" });
    deps.handle.track(recorder.run());
    return () => recorder.dispose();
  });
}

class Recorder {
  onFinalized: () => void = () => {};
  #log: Logger;
  #stats: RecorderStats;
  #settings: RecordingSettings;
  #stopping = false;
  #finalizing = false;
  #disposed = false;
  #run: SegmenterRun | undefined;
  #wake: (() => void) | undefined;
  #codecs: SourceProbe | undefined;
  #clock = new RunClock();
  #previousEnd: number | undefined;
  #queue: Promise<void> = Promise.resolve();
  #preroll = new Preroll<Pending>();

  constructor(readonly deps: RecorderDeps, settings: RecordingSettings) {
    this.#settings = settings;
    this.#log = createLogger("recorder", { camera: deps.cameraId });
    this.#stats = deps.handle.stats;
    Object.assign(this.#stats, RecorderHandle.idleStats());
  }

  receive(event: RecorderEvent): void {
    if (event.type === "RECORDER.SETTINGS") {
      this.#settings = parseRecordingSettings(event.settings);
      if (this.#settings.mode === "continuous") this.#enqueue(() => this.#indexAllPending());
      else this.#enqueue(() => this.#decide(false));
    } else {
      this.#finalizing = true;
      this.#stop();
    }
  }

  dispose(): void {
    this.#disposed = true;
    this.#stop();
  }

  async run(): Promise<void> {
    const unsubscribe = this.deps.events.subscribe((m) => this.#onEvent(m));
    const decider = setInterval(() => {
      if (this.#preroll.size > 0) this.#enqueue(() => this.#decide(false));
    }, DECIDE_EVERY_MS);
    try {
      await this.#loop();
      await this.#queue;
      if (this.#finalizing) {
        // Recording stopped: nobody will come back for the pre-roll.
        this.#enqueue(() => this.#decide(true));
        await this.#queue;
      }
    } catch (error) {
      this.#log.error("recorder failed", { error });
    } finally {
      clearInterval(decider);
      unsubscribe();
      Object.assign(this.#stats, { state: "idle", pid: null, current: null });
    }
    if (this.#finalizing && !this.#disposed) this.onFinalized();
  }

  #stop(): void {
    this.#stopping = true;
    void this.#run?.stop();
    this.#wake?.();
  }

  async #loop(): Promise<void> {
    let failures = 0;
    while (!this.#stopping) {
      this.#stats.state = "connecting";
      let ended: RunOutcome;
      let source: RecordingSource | undefined;
      try {
        source = await this.deps.source();
        ended = await this.#runOnce(source);
      } catch (error) {
        const message = error instanceof Error ? error.message : String(error);
        ended = { produced: false, error: `recording: ${message}` };
      } finally {
        source?.release();
      }
      await this.#queue;
      if (this.#stopping) break;
      // A run that recorded and then lost its source retries quickly; failures in a row back off.
      failures = ended.produced ? 1 : failures + 1;
      this.#stats.reconnects++;
      this.#stats.lastError = ended.error;
      this.#log.warn("recording interrupted; retrying", { error: ended.error, failures });
      this.#stats.state = "backoff";
      await new Promise<void>((resolve) => {
        const timer = setTimeout(
          resolve,
          backoffDelay(failures, { baseMs: BACKOFF_BASE_MS, maxMs: BACKOFF_MAX_MS }),
        );
        this.#wake = () => {
          clearTimeout(timer);
          resolve();
        };
      });
      this.#wake = undefined;
    }
  }

  /** One ffmpeg run; resolves when it has ended. */
  async #runOnce(source: RecordingSource): Promise<RunOutcome> {
    const input = {
      url: source.url,
      transport: source.transport,
      allowSchemes: source.allowSchemes,
    };
    this.#codecs ??= await probeSource(input, PROBE_TIMEOUT_MS);
    if (this.#stopping) return { produced: false, error: null };
    const audio = audioMode(this.#codecs.audio);
    Object.assign(this.#stats, {
      video: this.#codecs.video,
      audio,
      audioCodec: this.#codecs.audio,
    });
    const dir = incomingDir(this.deps.dataDir, this.deps.cameraId);
    await Deno.mkdir(dir, { recursive: true });
    const runStart = Date.now();
    this.#clock = new RunClock();
    this.#previousEnd = undefined;
    let produced = false;
    let index = 0;
    const run = startSegmenter({
      ...input,
      output: incomingPattern(this.deps.dataDir, this.deps.cameraId, runStart),
      segmentSeconds: this.deps.segmentSeconds,
      audio,
      videoCodec: this.#codecs.video,
    }, {
      segment: (name, startS, endS, at) => {
        this.#clock.observe(endS, at);
        produced = true;
        index = (parseIncomingName(name)?.index ?? index) + 1;
        this.#stats.current = {
          file: join(dir, `${runStart}-${String(index).padStart(6, "0")}.mp4`),
          startMs: this.#clock.wall(endS),
        };
        this.#enqueue(() => this.#finish(dir, name, startS));
      },
      progress: (timeS, at) => {
        this.#clock.observe(timeS, at);
        if (timeS > 0 && this.#stats.state !== "recording") {
          this.#stats.state = "recording";
          this.#stats.lastError = null;
          this.#stats.current ??= {
            file: join(dir, `${runStart}-000000.mp4`),
            startMs: this.#clock.wall(0),
          };
          this.#log.info("recording", { pid: run.pid, audio });
        }
      },
    }, this.deps.cameraId);
    this.#run = run;
    this.#stats.pid = run.pid;
    if (this.#stopping) void run.stop();
    const end = await run.done;
    this.#run = undefined;
    Object.assign(this.#stats, { pid: null, current: null });
    const how = end.signal ? `killed by ${end.signal}` : `exit code ${end.code}`;
    return {
      produced,
      error: `recording: ffmpeg ended (${how})${end.error ? `: ${end.error}` : ""}`,
    };
  }

  #enqueue(work: () => Promise<void>): void {
    this.#queue = this.#queue.then(work).catch((error) => {
      this.#log.error("handling a segment failed", { error });
    });
  }

  /** A segment ffmpeg listed as finished: check it, place it in time, index or hold it. */
  async #finish(dir: string, name: string, startS: number): Promise<void> {
    if (!parseIncomingName(name)) {
      this.#log.warn("ffmpeg listed a file that is not ours", { name });
      return;
    }
    const file = join(dir, name);
    const checked = await checkSegment(file);
    if (!checked.ok) {
      this.#stats.rejected++;
      this.#log.warn("segment rejected", { file: name, reason: checked.reason });
      await removeFile(file);
      return;
    }
    const estimate = this.#clock.wall(startS) ?? Date.now() - checked.segment.probe.durationMs;
    const { startMs, endMs } = placeSegment(
      estimate,
      checked.segment.probe.durationMs,
      this.#previousEnd,
    );
    this.#previousEnd = endMs;
    const pending = { ...checked.segment, startMs, endMs };
    if (this.#settings.mode === "continuous") {
      await this.#index(pending);
      return;
    }
    this.#preroll.hold(pending);
    this.#stats.pending = this.#preroll.size;
    await this.#decide(false);
  }

  async #index(segment: Pending): Promise<void> {
    await indexSegment(
      {
        dataDir: this.deps.dataDir,
        cameraId: this.deps.cameraId,
        writer: this.deps.writer,
        audio: this.#stats.audio ?? "none",
        audioCodec: this.#stats.audioCodec,
      },
      segment,
      segment.startMs,
    );
    this.#stats.indexed++;
    this.#stats.lastSegmentAt = Date.now();
  }

  async #indexAllPending(): Promise<void> {
    for (const segment of this.#preroll.takeAll()) await this.#index(segment);
    this.#stats.pending = 0;
  }

  /** Events mode: index what an event needs, delete what none can need; `final` waits no more. */
  async #decide(final: boolean): Promise<void> {
    const { keep, drop } = this.#preroll.decide(this.#settings, Date.now(), final);
    for (const segment of keep) await this.#index(segment);
    for (const segment of drop) {
      await removeFile(segment.file);
      this.#stats.discarded++;
    }
    this.#stats.pending = this.#preroll.size;
  }

  #onEvent(message: FeedMessage): void {
    if (message.event.camera !== this.deps.cameraId) return;
    this.#preroll.follow(message.event, this.#settings);
    if (this.#settings.mode === "events" && this.#preroll.size > 0) {
      this.#enqueue(() => this.#decide(false));
    }
  }
}
