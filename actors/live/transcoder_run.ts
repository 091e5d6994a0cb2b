/**
 * One run of a shared live transcoder: its ffmpeg process(es) and their output split into access
 * units (or JPEG frames) for the {@linkcode Feed}. Annotated runs hold each decoded picture until
 * its analysis result is in (or {@linkcode ANNOTATION_MAX_WAIT_MS} passed: never stale boxes),
 * draw, and re-encode. Reports `RUN.READY` at the first keyframe and `RUN.FAILED` once; retrying
 * is the machine's job.
 *
 * @module
 */
import { AccessUnitSplitter, closeAccessUnit } from "../../models/media/annexb.ts";
import { JpegSplitter } from "../../models/media/jpeg_stream.ts";
import { decodeArgs, encodeRawArgs, transcodeArgs } from "../../models/media/live_args.ts";
import type { SourceOptions } from "../../models/media/ffmpeg_args.ts";
import type { LivePlan } from "../../models/media/quality.ts";
import { drawOverlay, overlayDecision } from "../../models/analytics/annotate.ts";
import type { TrackBoard } from "../../models/analytics/track_board.ts";
import type { Feed } from "./feed.ts";
import type { ChildProcess } from "../process/child.ts";
import { readExactly } from "../process/exact_reads.ts";
import type { ProcessGroup } from "../process/process_group.ts";
import { StdinPipe } from "../process/stdin_pipe.ts";
import { spawnLive } from "./live_process.ts";

/** Longest a picture waits for the analysis of its moment before it goes out without boxes. */
export const ANNOTATION_MAX_WAIT_MS = 400;
/** No output for this long after the first keyframe → the run counts as stalled. */
export const RUN_STALL_MS = 10_000;
/** Pictures held for annotation at most; past this the oldest goes out bare. */
const MAX_HELD_PICTURES = 30;

/** What a run needs. */
export interface RunSpec {
  plan: LivePlan;
  source: SourceOptions;
  /** The camera's track board when annotated. */
  board?: TrackBoard;
}

/** Events a run sends to its transcoder. */
export type RunEvent = { type: "RUN.READY" } | { type: "RUN.FAILED"; error: string };

/** Counters of annotated runs, updated in place. */
export interface AnnotationStats {
  /** Pictures drawn with the analysis of their moment. */
  drawn: number;
  /** Pictures sent without boxes (analysis stalled, detached, or too slow). */
  bare: number;
}

/**
 * Starts a run.
 *
 * @param spec plan, source and (annotated) track board
 * @param feed where units go
 * @param group the live process group
 * @param emit receives READY once, then FAILED at most once (never after `stop()`)
 * @param annotation counters of drawn and bare pictures
 * @returns a stop function that kills the processes
 */
export function startRun(
  spec: RunSpec,
  feed: Feed,
  group: ProcessGroup,
  emit: (event: RunEvent) => void,
  annotation: AnnotationStats,
): () => void {
  let stopped = false;
  let ready = false;
  let failed = false;
  const processes: ChildProcess[] = [];
  const fail = (error: string) => {
    if (stopped || failed) return;
    failed = true;
    emit({ type: "RUN.FAILED", error });
    for (const p of processes) void p.stop();
  };
  const publish = (data: Uint8Array, keyframe: boolean) => {
    if (stopped) return;
    if (!ready && !keyframe) return;
    feed.publish({ data, keyframe });
    if (!ready) {
      ready = true;
      emit({ type: "RUN.READY" });
    }
  };
  const watchdog = setInterval(() => {
    if (ready && Date.now() - feed.lastUnitAt > RUN_STALL_MS) {
      fail(`transcoder: no picture for ${RUN_STALL_MS} ms (stalled)`);
    }
  }, 1000);

  try {
    const { plan } = spec;
    if (spec.board) {
      const decoder = spawnLive(group, "decoder", decodeArgs(plan, spec.source), {
        stdin: "null",
        stdout: "piped",
      }, { onExit: fail });
      processes.push(decoder);
      const encoder = spawnLive(group, "encoder", encodeRawArgs(plan), {
        stdin: "piped",
        stdout: "piped",
      }, { onExit: fail });
      processes.push(encoder);
      const pipe = new StdinPipe(encoder.stdin, plan.width * plan.height * 6);
      void annotate(decoder, pipe, spec, annotation, () => stopped).finally(() => pipe.close());
      void readUnits(encoder, plan, publish);
    } else {
      const transcoder = spawnLive(group, "transcoder", transcodeArgs(plan, spec.source), {
        stdin: "null",
        stdout: "piped",
      }, { onExit: fail });
      processes.push(transcoder);
      void readUnits(transcoder, plan, publish);
    }
  } catch (error) {
    queueMicrotask(() => fail(`transcoder: ${error instanceof Error ? error.message : error}`));
  }

  return () => {
    stopped = true;
    clearInterval(watchdog);
    for (const p of processes) void p.stop();
  };
}

/** Reads an encoder's stdout, split into units, into `publish`. */
async function readUnits(
  process: ChildProcess,
  plan: LivePlan,
  publish: (data: Uint8Array, keyframe: boolean) => void,
): Promise<void> {
  try {
    if (plan.codec === "mjpeg") {
      const splitter = new JpegSplitter();
      for await (const chunk of process.stdout) {
        for (const jpeg of splitter.push(chunk)) publish(jpeg, true);
      }
      return;
    }
    const splitter = new AccessUnitSplitter(plan.codec);
    for await (const chunk of process.stdout) {
      for (const unit of splitter.push(chunk)) {
        publish(closeAccessUnit(unit.data, plan.codec), unit.keyframe && unit.parameterSets);
      }
    }
  } catch {
    // the process was stopped; its exit is reported by the group
  }
}

/** Decoder pictures → held until their analysis is in → drawn → encoder. */
async function annotate(
  decoder: ChildProcess,
  encoder: StdinPipe,
  spec: RunSpec,
  stats: AnnotationStats,
  stopped: () => boolean,
): Promise<void> {
  const { width, height } = spec.plan;
  const board = spec.board!;
  const size = width * height * 3 / 2;
  const held: { data: Uint8Array; ts: number }[] = [];
  const stop = new AbortController();
  let timer: ReturnType<typeof setTimeout> | undefined;

  const drain = () => {
    clearTimeout(timer);
    while (held.length > 0) {
      const picture = held[0]!;
      const post = board.latest();
      let decision = overlayDecision(picture.ts, post, Date.now(), ANNOTATION_MAX_WAIT_MS);
      if (decision === "wait" && held.length > MAX_HELD_PICTURES) decision = "bare";
      if (decision === "wait") {
        timer = setTimeout(drain, Math.max(1, picture.ts + ANNOTATION_MAX_WAIT_MS - Date.now()));
        return;
      }
      held.shift();
      if (decision === "draw" && post) {
        drawOverlay({ width, height, data: picture.data }, post.objects);
        stats.drawn++;
      } else {
        stats.bare++;
      }
      // A full encoder pipe drops the picture: the encoder is behind, a later one will do.
      encoder.write(picture.data);
    }
  };

  void (async () => {
    while (!stop.signal.aborted) {
      await board.changed(stop.signal);
      drain();
    }
  })();
  try {
    for await (const picture of readExactly(decoder.stdout, size)) {
      if (stopped()) return;
      held.push({ data: picture, ts: Date.now() });
      drain();
    }
  } catch {
    // the decoder was stopped
  } finally {
    stop.abort();
    clearTimeout(timer);
  }
}
