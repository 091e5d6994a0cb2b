/**
 * compileRecord jobs: a queue over the `records` table (at most `concurrency` at once, default 1
 * on a 2-core box; jobs left `running` are queued again at start, and run in creation order). A
 * job plans the segments of its range, runs one ffmpeg (concat + stream copy, or a re-encode with
 * the ASS script of its detections when annotated), probes and hashes the result in
 * `records/tmp/`, then moves it into place. On several boxes a clip's segments may come from
 * another box (actors/recording/segment_sources.ts): the clip is compiled from what is reachable
 * and lists the parts left out (`missing`). An object with an awaitable stop, like the writer
 * (docs/decisions/writer-unnest.md). Clip format: docs/decisions/fragmented-mp4-segments.md.
 *
 * @module
 */
import { join } from "node:path";
import type postgres from "postgres";
import { createLogger } from "../../models/log.ts";
import { probeFile } from "../process/ffprobe.ts";
import { compileArgs, concatScript } from "../../models/media/segment_args.ts";
import { parseRecorderLine } from "../../models/media/segment_output.ts";
import { sha256File } from "../../models/media/file_hash.ts";
import { recordFile, recordsTmpDir } from "../../models/recording/paths.ts";
import { type ClipPlan, planClip } from "../../models/recording/timeline.ts";
import { annotationScript } from "../../models/recording/annotations.ts";
import { segmentsBetween } from "../../models/store/segments.ts";
import {
  claimNextRecord,
  failRecord,
  finishRecord,
  type RecordRow,
  requeueRunning,
  setRecordProgress,
} from "../../models/store/records.ts";
import { StderrParser } from "../../models/media/ffmpeg_stderr.ts";
import { spawnChild } from "../process/child.ts";
import { readLines } from "../process/lines.ts";
import { detectionsForClip } from "../../models/store/clip_detections.ts";
import { gatherSegments } from "./segment_sources.ts";
import type { MissingPart } from "../../models/store/records.ts";

/** Progress is written at most this often per job. */
const PROGRESS_EVERY_MS = 1000;

/** What the compiler needs. */
export interface CompilerOptions {
  sql: postgres.Sql;
  dataDir: string;
  /** This box: the clips it compiles are its files; other boxes' segments are fetched. */
  boxId: string;
  /** Signs the fetches of other boxes' segments (models/store/cluster_key.ts). */
  clusterKey: Uint8Array;
  /** Jobs at once (default 1). */
  concurrency?: number;
}

/** The job queue. */
export interface Compiler {
  /** Puts interrupted jobs back in the queue and starts working through it. */
  start(): Promise<void>;
  /** Looks for queued jobs now (after a new one was added). */
  wake(): void;
  /** Stops a job's ffmpeg if it runs, and resolves once it is gone. */
  cancel(id: string): Promise<void>;
  /**
   * Stops the running jobs of a camera (being deleted: its records go with it) and awaits them.
   *
   * @param cameraId the camera
   */
  cancelCamera(cameraId: string): Promise<void>;
  /** Ids of the jobs running now. */
  running(): string[];
  /** Stops taking jobs, kills the running ones (they resume at the next start) and awaits them. */
  stop(): Promise<void>;
}

/**
 * Creates the compiler (call `start()`).
 *
 * @param options database, data dir, concurrency
 * @returns the compiler
 */
export function createCompiler(options: CompilerOptions): Compiler {
  const { sql, dataDir, boxId, clusterKey } = options;
  const concurrency = options.concurrency ?? 1;
  const log = createLogger("compiler");
  const jobs = new Map<string, { camera: string; kill(): void; done: Promise<void> }>();
  let stopping = false;
  let pumping: Promise<void> | undefined;
  let again = false;

  const pump = async () => {
    while (!stopping && jobs.size < concurrency) {
      const job = await claimNextRecord(sql, boxId);
      if (!job || stopping) break;
      const abort = new AbortController();
      const done = compile(job, abort.signal).finally(() => {
        jobs.delete(job.id);
        wake();
      });
      jobs.set(job.id, { camera: job.cameraId, kill: () => abort.abort(), done });
    }
  };

  const wake = () => {
    if (stopping) return;
    if (pumping) {
      again = true;
      return;
    }
    pumping = pump()
      .catch((error) => log.warn("looking for compile jobs failed", { error }))
      .finally(() => {
        pumping = undefined;
        if (again) {
          again = false;
          wake();
        }
      });
  };

  const compile = async (job: RecordRow, signal: AbortSignal) => {
    const tmp = recordsTmpDir(dataDir);
    const work = {
      list: join(tmp, `${job.id}.txt`),
      ass: `${job.id}.ass`,
      out: join(tmp, `${job.id}.mp4`),
    };
    let plan: ClipPlan | null = null;
    let missing: MissingPart[] = [];
    let fetched: string[] = [];
    const started = performance.now();
    try {
      await Deno.mkdir(tmp, { recursive: true });
      const inRange = await segmentsBetween(sql, job.cameraId, job.from, job.to);
      const gathered = await gatherSegments(inRange, {
        sql,
        dataDir,
        boxId,
        clusterKey,
        workDir: tmp,
        prefix: job.id,
        signal,
      });
      ({ missing, fetched } = gathered);
      const segments = gathered.readable;
      if (fetched.length > 0) {
        log.info("segments of other boxes fetched", { record: job.id, from: gathered.fetchedFrom });
      }
      plan = planClip(
        segments.map((s) => ({ ...s, startMs: s.startedAt, endMs: s.endedAt, path: s.file })),
        { from: job.from.getTime(), to: job.to.getTime() },
      );
      if (!plan) {
        throw new Error(
          missing.length > 0
            ? `no reachable recording in the range: ${missing[0]!.reason}`
            : "no recording in the range",
        );
      }
      if (job.annotated) {
        await writeAnnotations(
          job,
          plan,
          join(tmp, work.ass),
          segments[0]?.width,
          segments[0]?.height,
        );
      }
      await Deno.writeTextFile(
        work.list,
        concatScript(job.annotated ? plan.whole : plan.cuts),
      );
      await runFfmpeg(
        compileArgs({
          list: work.list,
          output: work.out,
          audio: segments.some((s) => s.audio !== "none"),
          annotate: job.annotated
            ? { subtitles: work.ass, startS: plan.startS, durationS: plan.durationS }
            : undefined,
        }),
        tmp,
        plan.durationS,
        signal,
        (progress) => setRecordProgress(sql, job.id, progress),
      );
      const probe = await probeFile(work.out);
      const sha256 = await sha256File(work.out);
      const bytes = (await Deno.stat(work.out)).size;
      const file = recordFile(dataDir, job.id);
      await Deno.rename(work.out, file);
      const stored = await finishRecord(sql, job.id, {
        path: `${job.id}.mp4`,
        bytes,
        durationMs: probe.durationMs,
        sha256,
        gaps: plan.gaps,
        missing,
      });
      if (!stored) await Deno.remove(file).catch(() => {});
      log.info("clip compiled", {
        record: job.id,
        camera: job.cameraId,
        annotated: job.annotated,
        seconds: probe.durationMs / 1000,
        bytes,
        missing: missing.length,
        ms: Math.round(performance.now() - started),
      });
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      if (signal.aborted) {
        log.info("compile interrupted", { record: job.id });
      } else {
        log.warn("compile failed", { record: job.id, error: message });
        await failRecord(sql, job.id, `compile: ${message}`, plan?.gaps ?? [], missing).catch(
          () => {},
        );
      }
      await Deno.remove(work.out).catch(() => {});
    } finally {
      await Deno.remove(work.list).catch(() => {});
      await Deno.remove(join(tmp, work.ass)).catch(() => {});
      for (const file of fetched) await Deno.remove(file).catch(() => {});
    }
  };

  const writeAnnotations = async (
    job: RecordRow,
    plan: ClipPlan,
    path: string,
    width: number | null | undefined,
    height: number | null | undefined,
  ) => {
    if (!width || !height) throw new Error("the segments do not say their picture size");
    const detections = await detectionsForClip(sql, job.cameraId, job.from, job.to);
    await Deno.writeTextFile(path, annotationScript(detections, plan, { width, height }));
  };

  return {
    async start() {
      const requeued = await requeueRunning(sql, boxId);
      if (requeued > 0) {
        log.info("compile jobs interrupted by a restart are queued again", { requeued });
      }
      wake();
    },
    wake,
    async cancel(id) {
      const job = jobs.get(id);
      if (!job) return;
      job.kill();
      await job.done;
    },
    async cancelCamera(cameraId) {
      const theirs = [...jobs.values()].filter((job) => job.camera === cameraId);
      for (const job of theirs) job.kill();
      await Promise.all(theirs.map((job) => job.done));
    },
    running: () => [...jobs.keys()],
    async stop() {
      stopping = true;
      await pumping;
      const all = [...jobs.values()];
      for (const job of all) job.kill();
      await Promise.all(all.map((job) => job.done));
    },
  };
}

/**
 * Runs one compile ffmpeg, reporting progress (0..1 of `expectedS`) from its `-progress` lines.
 *
 * @throws {Error} with ffmpeg's last error line when it fails, or when aborted
 */
async function runFfmpeg(
  args: string[],
  cwd: string,
  expectedS: number,
  signal: AbortSignal,
  report: (progress: number) => Promise<void>,
): Promise<void> {
  const parser = new StderrParser();
  const child = spawnChild("ffmpeg", {
    args,
    cwd,
    stdout: "piped",
    stopSignal: "SIGKILL",
    onStderrLine: (line) => parser.push(line),
  });
  const kill = () => void child.stop();
  signal.addEventListener("abort", kill, { once: true });
  let reportedAt = 0;
  const readStdout = async () => {
    for await (const line of readLines(child.stdout)) {
      const parsed = parseRecorderLine(line);
      if (parsed.kind !== "progress" || expectedS <= 0) continue;
      if (Date.now() - reportedAt < PROGRESS_EVERY_MS) continue;
      reportedAt = Date.now();
      await report(Math.min(0.99, parsed.outTimeUs / 1e6 / expectedS)).catch(() => {});
    }
  };
  try {
    const [, status] = await Promise.all([readStdout(), child.done]);
    if (signal.aborted) throw new Error("cancelled");
    if (!status.success) {
      throw new Error(
        `ffmpeg failed (${status.signal ?? `exit code ${status.code}`})${
          parser.lastError ? `: ${parser.lastError}` : ""
        }`,
      );
    }
  } finally {
    signal.removeEventListener("abort", kill);
  }
}
