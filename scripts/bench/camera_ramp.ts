/**
 * The cameras-per-box experiment behind bench rows 5, 6a and 6b (see bench_cameras.ts): the real
 * fleet against simulated cameras, cameras added one at a time, each step measured (analysed
 * frames/s per camera, event-loop lag, CPU split from /proc, memory), then a hold for the drift.
 *
 * @module
 */
import { DEFAULT_MODELS_DIR } from "../../models/config.ts";
import { readCatalog } from "../../models/detectors/catalog.ts";
import { openDatabase } from "../../models/store/database.ts";
import { openSecretBox } from "../../models/secret_box.ts";
import { insertCamera } from "../../models/store/cameras.ts";
import { parseAnalyticsSettings } from "../../models/analytics/settings.ts";
import { benchMotionCrops } from "./crops_mode.ts";
import { createEventBus } from "../../models/event_bus.ts";
import { configureLogging } from "../../models/log.ts";
import { uuidv7 } from "../../models/ids.ts";
import { DetectorPool } from "../../actors/camera/detector_pool.ts";
import { startRelay } from "../../actors/stream/relay.ts";
import { createFleet, type Fleet } from "../../actors/camera/fleet.ts";
import type { FeedMessage } from "../../actors/camera/event_recorder.ts";
import { startRtspServer } from "../sim/rtsp_server.ts";
import { startPostgresCluster } from "../../test/support/postgres_cluster.ts";
import { quantile, withLagProbe } from "./lag_probe.ts";
import {
  machineTicks,
  percentOfCore,
  pssOf,
  rssOf,
  threadsOfSelf,
  TICKS_PER_S,
  ticksOf,
} from "./proc.ts";
import { drift, slope } from "./fit.ts";
const VTEST = new URL("../../assets/media/vtest.avi", import.meta.url).pathname;
/** A typical camera substream: 640x360 at 15 fps. */
export const SOURCE_FPS = 15;
/** Analysis rate per camera. */
export const ANALYSIS_FPS = 5;
/** A camera keeps its fps when it analyses at least this share of it. */
export const KEEP_SHARE = 0.9;
/** Lag p99 the box must stay under. */
export const LAG_LIMIT_MS = 20;
export const MB = 1048576;
/** The ramp goes on to this many cameras even past the limit, so memory has points to fit. */
export const MEMORY_MIN_CAMERAS = 4;

/** How to run the ramp. */
export interface CamerasOptions {
  /** Seconds after adding a camera before measuring. */
  settleSeconds: number;
  /** Seconds each measurement window lasts. */
  windowSeconds: number;
  /** Stop the ramp here even if the box still keeps up. */
  maxCameras: number;
  /** Seconds to hold the largest good count for the memory drift; 0 = no hold. */
  holdSeconds: number;
  /**
   * A real PostgreSQL (a throwaway cluster, or `DATABASE_URL`) instead of the embedded one: the
   * embedded database lives in this process, so its page cache counts in the memory rows.
   */
  postgres?: boolean;
  log?: (line: string) => void;
  /** Video files served to the cameras, camera i gets file i mod n (default: vtest.avi). */
  sources?: string[];
  /** Camera counts to measure at (default every count); cameras in between join unmeasured. */
  schedule?: number[];
  /** An extra judgement of a step (its reason, or undefined when it passes). */
  check?: (step: Step) => string | undefined;
}

/** CPU over a window, in % of one core. */
export interface CpuSplit {
  /** The cameras' capture ffmpegs (H.264 decode, scale, rgb24). */
  decode: number;
  /**
   * The hub's puller ffmpegs (camera → relay, no decode; none when Vigil's RTSP client pulls, which
   * is in `rest` with the relay's forwarding).
   */
  ingest: number;
  /** The inference Worker's threads (pre-processing, onnxruntime, decoding outputs). */
  inference: number;
  /** Everything else in Vigil's process (capture reads, gate, tracker, writers, PGlite, HTTP). */
  rest: number;
  /** The RTSP simulators and their feeders (not Vigil). */
  simulator: number;
  /** Everything else on the machine (other users of a shared box). */
  other: number;
}

/** One step of the ramp. */
export interface Step {
  cameras: number;
  /** Lowest analysed frames/s of any camera. */
  minFps: number;
  /** Analysed frames/s per camera. */
  fps: number[];
  /** Detector runs/s over all cameras. */
  detectorFps: number;
  /** Share of frames the motion gate kept from the detector, over all cameras. */
  gateSkipRatio: number;
  /** Share of detector runs on motion crops rather than whole frames. */
  cropShare: number;
  /** CPU ms of the inference threads per analysed frame (gate skips included). */
  inferenceMsPerFrame: number;
  /** Per camera, the times (s into the window) of the person events it opened. */
  eventOpens: number[][];
  /** The window's length, s. */
  seconds: number;
  lag: { p50: number; p99: number; max: number };
  cpu: CpuSplit;
  /** Vigil's memory: this process's RSS + the PSS of every camera's ffmpegs (capture, puller). */
  memoryBytes: number;
  /** The same, by part. */
  memory: MemoryParts;
  ok: boolean;
  /** Why the step failed. */
  reason?: string;
}

/** What the ramp measured. */
export interface CamerasResult {
  steps: Step[];
  /** Lag of the same probe before any camera runs: what the box itself adds. */
  idleLag: { p50: number; p99: number; max: number };
  /** Largest count that kept up. */
  max: number;
  /** Least-squares slope of memory over cameras (model loaded from the first step on). */
  perCameraBytes: number;
  /** Memory samples while holding `max` cameras: [seconds since start, bytes]. */
  hold: [number, number][];
  /** Median of the last fifth minus median of the first fifth of the hold. */
  driftBytes: number | null;
  options: CamerasOptions;
}

interface Rig {
  fleet: Fleet;
  ids: string[];
  /** Person events opened, by camera id: performance.now() of each. */
  opens: Map<string, number[]>;
  addCamera(): Promise<void>;
  removeCamera(): Promise<void>;
  simulatorPids(): number[];
}

function counters(fleet: Fleet, ids: string[]) {
  return ids.map((id) => {
    const a = fleet.analysisStats(id);
    return { analysed: (a?.detectorRuns ?? 0) + (a?.gateSkipped ?? 0), runs: a?.detectorRuns ?? 0 };
  });
}

/** The cameras' capture ffmpegs (RTSP from the hub, H.264 decode, scale, rgb24). */
function ffmpegPids(fleet: Fleet, ids: string[]): number[] {
  return ids.map((id) => fleet.status(id).ffmpegPid).filter((p): p is number => p !== null);
}

/** The hub's puller ffmpegs of these cameras (`-c copy`; none for a camera the RTSP client pulls). */
function pullerPids(fleet: Fleet, ids: string[]): number[] {
  return ids.flatMap((id) => fleet.status(id).hub.map((s) => s.pid))
    .filter((p): p is number => p !== null);
}

/**
 * Memory of Vigil: this process's RSS and the PSS of each camera's ffmpeg. RSS swings by 100+ MB
 * with GC timing; with `--v8-flags=--expose-gc` a collection runs first; median of three samples.
 */
async function memory(fleet: Fleet, ids: string[]): Promise<MemoryParts> {
  const samples: MemoryParts[] = [];
  for (let i = 0; i < 3; i++) {
    (globalThis as { gc?: () => void }).gc?.();
    await new Promise((r) => setTimeout(r, 100));
    const pss = (pids: number[]) => pids.reduce((n, pid) => n + pssOf(pid), 0);
    const parts = {
      process: rssOf("self"),
      capture: pss(ffmpegPids(fleet, ids)),
      pullers: pss(pullerPids(fleet, ids)),
      total: 0,
    };
    parts.total = parts.process + parts.capture + parts.pullers;
    samples.push(parts);
  }
  return samples.sort((a, b) => a.total - b.total)[1]!;
}

/** Vigil's memory in bytes: its process's RSS, and the PSS of the capture and puller ffmpegs. */
export interface MemoryParts {
  process: number;
  capture: number;
  pullers: number;
  total: number;
}

async function measure(
  rig: Rig,
  inferenceComms: ReadonlySet<string>,
  seconds: number,
): Promise<Step> {
  const { fleet, ids } = rig;
  const inferenceTicks = () =>
    threadsOfSelf().filter((t) => inferenceComms.has(t.comm)).reduce((n, t) => n + t.ticks, 0);
  const pids = ffmpegPids(fleet, ids);
  const pullers = pullerPids(fleet, ids);
  const sim = rig.simulatorPids();
  const before = {
    counts: counters(fleet, ids),
    gate: ids.map((id) => fleet.analysisStats(id)?.gateSkipped ?? 0),
    crops: ids.map((id) => fleet.analysisStats(id)?.regionRuns ?? 0),
    decode: pids.map((p) => ticksOf(p)),
    ingest: pullers.map((p) => ticksOf(p)),
    inference: inferenceTicks(),
    self: ticksOf("self"),
    sim: sim.reduce((n, p) => n + ticksOf(p), 0),
    machine: machineTicks(),
    at: performance.now(),
  };
  const lags: number[] = [];
  await withLagProbe(() => new Promise((r) => setTimeout(r, seconds * 1000)), lags);
  const ms = performance.now() - before.at;
  const counts = counters(fleet, ids);
  const fps = counts.map((c, i) => (c.analysed - before.counts[i]!.analysed) / (ms / 1000));
  const runs = counts.reduce((n, c, i) => n + c.runs - before.counts[i]!.runs, 0);
  const analysed = counts.reduce((n, c, i) => n + c.analysed - before.counts[i]!.analysed, 0);
  const decodeTicks = pids.reduce((n, p, i) => n + Math.max(0, ticksOf(p) - before.decode[i]!), 0);
  const ingestTicks = pullers.reduce(
    (n, p, i) => n + Math.max(0, ticksOf(p) - before.ingest[i]!),
    0,
  );
  const inference = inferenceTicks() - before.inference;
  const self = ticksOf("self") - before.self;
  const simTicks = sim.reduce((n, p) => n + ticksOf(p), 0) - before.sim;
  const machine = machineTicks();
  // /proc/stat counts every core; convert to ticks of one core at USER_HZ.
  const cores = navigator.hardwareConcurrency;
  const machineBusy = (machine.busy - before.machine.busy) /
    ((machine.total - before.machine.total) / cores) * (ms / 1000) * TICKS_PER_S;
  const cpu: CpuSplit = {
    decode: percentOfCore(decodeTicks, ms),
    ingest: percentOfCore(ingestTicks, ms),
    inference: percentOfCore(inference, ms),
    rest: percentOfCore(self - inference, ms),
    simulator: percentOfCore(simTicks, ms),
    other: Math.max(
      0,
      percentOfCore(machineBusy - decodeTicks - ingestTicks - self - simTicks, ms),
    ),
  };
  lags.sort((a, b) => a - b);
  const lag = { p50: quantile(lags, 0.5), p99: quantile(lags, 0.99), max: lags.at(-1) ?? 0 };
  const eventOpens = ids.map((id) =>
    (rig.opens.get(id) ?? []).filter((t) => t >= before.at).map((t) => (t - before.at) / 1000)
  );
  const minFps = Math.min(...fps);
  const slow = fps.findIndex((f) => f < KEEP_SHARE * ANALYSIS_FPS);
  const reason = slow >= 0
    ? `camera ${slow + 1} analysed ${fps[slow]!.toFixed(2)} frames/s (< ${
      KEEP_SHARE * ANALYSIS_FPS
    })`
    : lag.p99 >= LAG_LIMIT_MS
    ? `lag p99 ${lag.p99.toFixed(1)} ms`
    : undefined;
  const gateSkipped = ids.reduce(
    (n, id, i) => n + (fleet.analysisStats(id)?.gateSkipped ?? 0) - before.gate[i]!,
    0,
  );
  const cropRuns = ids.reduce(
    (n, id, i) => n + (fleet.analysisStats(id)?.regionRuns ?? 0) - before.crops[i]!,
    0,
  );
  return {
    cameras: ids.length,
    minFps,
    fps,
    detectorFps: runs / (ms / 1000),
    gateSkipRatio: analysed > 0 ? gateSkipped / analysed : 0,
    cropShare: runs > 0 ? cropRuns / runs : 0,
    inferenceMsPerFrame: analysed > 0 ? (inference / TICKS_PER_S) * 1000 / analysed : 0,
    eventOpens,
    seconds: ms / 1000,
    lag,
    cpu,
    ...await memory(fleet, ids).then((parts) => ({ memoryBytes: parts.total, memory: parts })),
    ok: reason === undefined,
    ...(reason ? { reason } : {}),
  };
}

/**
 * Runs the ramp (and the hold).
 *
 * @param options durations and limits
 * @returns the steps, the count the box holds, memory per camera and drift
 */
export async function runCameras(options: CamerasOptions): Promise<CamerasResult> {
  const log = options.log ?? (() => {});
  configureLogging("error");
  const catalog = await readCatalog(DEFAULT_MODELS_DIR);
  if (!catalog.has("centernet")) {
    throw new Error("bench: assets/models/centernet.onnx missing: run scripts/setup.sh");
  }
  const dataDir = await Deno.makeTempDir({ prefix: "vigil-bench-cameras-" });
  const servers = await Promise.all(
    (options.sources ?? [VTEST]).map((source) =>
      startRtspServer({ source, width: 640, height: 360, fps: SOURCE_FPS })
    ),
  );
  const url = options.postgres ? Deno.env.get("DATABASE_URL") : undefined;
  const cluster = options.postgres && !url ? await startPostgresCluster() : undefined;
  // On a loaded box the embedded database can miss its start timeout: three tries, and a
  // database that never starts must not leave the simulators running.
  const open = () => openDatabase({ url: url ?? cluster?.url, dataDir });
  const db = await open().catch(open).catch(open).catch(async (error) => {
    await Promise.all([...servers.map((s) => s.stop()), cluster?.close()]);
    throw error;
  });
  const detectors = new DetectorPool(catalog);
  const events = createEventBus<FeedMessage>();
  const opens = new Map<string, number[]>();
  events.subscribe(({ action, event }) => {
    if (action !== "open" || event.label !== "person") return;
    opens.set(event.camera, [...opens.get(event.camera) ?? [], performance.now()]);
  });
  // Captures read the camera through Vigil's stream hub, as in the product.
  const relay = await startRelay({ sql: db.sql, dataDir });
  const fleet = createFleet({
    db,
    secrets: await openSecretBox(dataDir),
    dataDir,
    detectors,
    events,
    hub: relay.hub,
  });
  const settings = parseAnalyticsSettings(
    { fps: ANALYSIS_FPS, rules: { motionCrops: benchMotionCrops() } },
    { models: detectors.names(), labels: detectors.labels() },
  );
  const ids: string[] = [];
  const rig: Rig = {
    fleet,
    ids,
    opens,
    async addCamera() {
      const row = await insertCamera(db.sql, {
        id: uuidv7(),
        name: `sim ${ids.length + 1}`,
        sourceUrl: servers[ids.length % servers.length]!.url,
        transport: "tcp",
      });
      await fleet.add(row);
      await fleet.attachAnalytics(row.id, settings);
      ids.push(row.id);
    },
    async removeCamera() {
      const id = ids.pop();
      if (id) await fleet.delete(id);
    },
    simulatorPids: () =>
      servers.flatMap((s) => [s.pid, s.feederPid]).filter((p): p is number => p !== null),
  };
  try {
    const idleLags: number[] = [];
    await withLagProbe(() => new Promise((r) => setTimeout(r, 3000)), idleLags);
    idleLags.sort((a, b) => a - b);
    const idleLag = {
      p50: quantile(idleLags, 0.5),
      p99: quantile(idleLags, 0.99),
      max: idleLags.at(-1) ?? 0,
    };
    const threadsBefore = new Set(threadsOfSelf().map((t) => t.comm));
    await rig.addCamera();
    // The first camera opens the model: its Worker's threads are the inference threads.
    const deadline = Date.now() + 30_000;
    while ((fleet.analysisStats(ids[0]!)?.detectorRuns ?? 0) === 0) {
      if (Date.now() > deadline) throw new Error("bench: the first camera never ran the detector");
      await new Promise((r) => setTimeout(r, 200));
    }
    const inferenceComms = new Set(
      threadsOfSelf().map((t) => t.comm).filter((c) =>
        /^worker-\d+$/.test(c) && !threadsBefore.has(c)
      ),
    );
    const steps: Step[] = [];
    let failedAt: number | undefined;
    for (;;) {
      await new Promise((r) => setTimeout(r, options.settleSeconds * 1000));
      // Past the limit, steps only add points for the memory slope: shorter windows do.
      const window = failedAt === undefined ? options.windowSeconds : options.windowSeconds / 2;
      const step = await measure(rig, inferenceComms, window);
      const extra = step.ok ? options.check?.(step) : undefined;
      if (extra) Object.assign(step, { ok: false, reason: extra });
      steps.push(step);
      log(
        `cameras ${step.cameras}: min ${step.minFps.toFixed(2)} frames/s, lag p99 ` +
          `${step.lag.p99.toFixed(1)} ms, detector ${step.detectorFps.toFixed(1)}/s, CPU decode ` +
          `${step.cpu.decode.toFixed(0)}% ingest ${step.cpu.ingest.toFixed(0)}% inference ${
            step.cpu.inference.toFixed(0)
          }% rest ` +
          `${step.cpu.rest.toFixed(0)}% other ${step.cpu.other.toFixed(0)}%, memory ` +
          `${(step.memoryBytes / MB).toFixed(0)} MB${step.ok ? "" : ` — ${step.reason}`}`,
      );
      if (!step.ok) failedAt ??= step.cameras;
      if (ids.length >= options.maxCameras) break;
      if (failedAt !== undefined && ids.length >= MEMORY_MIN_CAMERAS) break;
      const next = options.schedule?.find((n) => n > ids.length) ?? ids.length + 1;
      if (options.schedule && failedAt !== undefined) break;
      while (ids.length < Math.min(next, options.maxCameras)) await rig.addCamera();
    }
    const good = steps.filter((s) => failedAt === undefined || s.cameras < failedAt);
    const max = failedAt === undefined ? ids.length : (good.at(-1)?.cameras ?? 0);
    const perCameraBytes = slope(steps.map((s) => [s.cameras, s.memoryBytes]));
    const hold: [number, number][] = [];
    if (options.holdSeconds > 0) {
      while (ids.length > Math.max(1, max)) await rig.removeCamera();
      const start = performance.now();
      const every = Math.max(1, Math.min(10, options.holdSeconds / 30));
      log(`holding ${ids.length} cameras for ${options.holdSeconds} s (memory every ${every} s)`);
      while (performance.now() - start < options.holdSeconds * 1000) {
        await new Promise((r) => setTimeout(r, every * 1000));
        hold.push([(performance.now() - start) / 1000, (await memory(fleet, ids)).total]);
      }
    }
    return {
      steps,
      idleLag,
      max,
      perCameraBytes,
      hold,
      driftBytes: drift(hold.map(([, b]) => b)),
      options: { ...options, log: undefined },
    };
  } finally {
    await fleet.stop();
    await relay.stop();
    await detectors.close();
    await db.close();
    await cluster?.close();
    await Promise.all(servers.map((s) => s.stop()));
    await Deno.remove(dataDir, { recursive: true });
  }
}
