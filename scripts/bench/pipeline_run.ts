/**
 * The pipeline experiment behind bench rows 1 and 2 (see bench_pipeline.ts): raw capture + ORT
 * and the real fleet's capture → analysis on the same simulated camera, in alternating rounds,
 * with frames/s, CPU per frame and event-loop lag of each side.
 *
 * @module
 */
import * as ort from "onnxruntime-node";
import { DEFAULT_MODELS_DIR } from "../../models/config.ts";
import { captureArgs } from "../../models/media/ffmpeg_args.ts";
import { readCatalog } from "../../models/detectors/catalog.ts";
import { frameToTensor } from "../../models/detectors/preprocess.ts";
import { openSession } from "../../models/detectors/onnx_session.ts";
import { openDatabase } from "../../models/store/database.ts";
import { openSecretBox } from "../../models/secret_box.ts";
import { insertCamera } from "../../models/store/cameras.ts";
import { parseAnalyticsSettings } from "../../models/analytics/settings.ts";
import { createEventBus } from "../../models/event_bus.ts";
import { configureLogging } from "../../models/log.ts";
import { uuidv7 } from "../../models/ids.ts";
import { DetectorPool } from "../../actors/camera/detector_pool.ts";
import { startRelay } from "../../actors/stream/relay.ts";
import { createFleet } from "../../actors/camera/fleet.ts";
import type { FeedMessage } from "../../actors/camera/event_recorder.ts";
import { startRtspServer } from "../sim/rtsp_server.ts";
import { quantile, withLagProbe } from "./lag_probe.ts";
import { TICKS_PER_S, ticksOf } from "./proc.ts";

const WIDTH = 640;
const HEIGHT = 360;
/** The simulated camera's rate. */
export const SOURCE_FPS = 50;
/** Analytics fps for ours, the API's maximum; capture follows it, and raw captures alike. */
export const ANALYTICS_FPS = 30;
/** Ours runs this long after its first analysed frame before a round is timed. */
const WARMUP_MS = 500;
/** How long the lag probe runs alone first, to show what the box itself adds. */
const IDLE_PROBE_MS = 3000;
const VTEST = new URL("../../assets/media/vtest.avi", import.meta.url).pathname;

const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;

/** How to run the pipeline benchmark. */
export interface PipelineOptions {
  /** Seconds each side runs per round. */
  seconds: number;
  /** Rounds (raw then ours). */
  rounds: number;
  /** onnxruntime intra-op threads on both sides. */
  threads: number;
  log?: (line: string) => void;
}

/** What one pipeline run measured. */
export interface PipelineResult {
  raw: number[];
  ours: number[];
  /** CPU ms per frame of each round (this process + the side's ffmpeg): load-independent-ish. */
  rawCpu: number[];
  oursCpu: number[];
  ratio: number;
  /** ours_i / raw_i per round. */
  roundRatios: number[];
  lag: { p50: number; p99: number; max: number };
  rawLag: { p50: number; p99: number; max: number };
  /** The same probe with nothing else running in this process: the box's own floor. */
  idleLag: { p50: number; p99: number; max: number };
  rows: number;
  options: PipelineOptions;
}

/** Raw capture + pre-processing + session.run, sequentially, for `seconds`: frames/s. */
async function rawFps(
  session: ort.InferenceSession,
  url: string,
  seconds: number,
): Promise<Side> {
  const child = new Deno.Command("ffmpeg", {
    args: captureArgs({ url, width: WIDTH, height: HEIGHT, fps: ANALYTICS_FPS }),
    stdout: "piped",
    stderr: "null",
  }).spawn();
  const reader = child.stdout.getReader({ mode: "byob" });
  const input = session.inputNames[0]!;
  const size = WIDTH * HEIGHT * 3;
  let frames = 0;
  let started = 0;
  let cpu0 = 0;
  try {
    for (;;) {
      let buf = new Uint8Array(size);
      let filled = 0;
      while (filled < size) {
        const { value, done } = await reader.read(buf.subarray(filled));
        if (done || !value) throw new Error("bench: ffmpeg stopped decoding");
        filled += value.byteLength;
        buf = new Uint8Array(value.buffer, 0, size);
      }
      const { data } = frameToTensor({ width: WIDTH, height: HEIGHT, data: buf }, {
        width: 512,
        height: 512,
        layout: "nhwc",
        fit: "letterbox",
        range: 255,
      });
      await session.run({ [input]: new ort.Tensor("float32", data, [1, 512, 512, 3]) });
      const now = performance.now();
      // The first frame pays for ffmpeg's start; time from its end.
      if (frames++ === 0) {
        started = now;
        cpu0 = ticksOf("self") + ticksOf(child.pid);
      } else if (now - started >= seconds * 1000) {
        const ticks = ticksOf("self") + ticksOf(child.pid) - cpu0;
        return side(frames - 1, now - started, ticks);
      }
    }
  } finally {
    reader.releaseLock();
    child.kill("SIGKILL");
    await child.status;
    await child.stdout.cancel().catch(() => {});
  }
}

/** One side's round: frames/s, and CPU (this process + its ffmpeg) per frame. */
interface Side {
  fps: number;
  cpuMsPerFrame: number;
}

function side(frames: number, ms: number, ticks: number): Side {
  return {
    fps: frames / (ms / 1000),
    cpuMsPerFrame: frames > 0 ? (ticks * 1000 / TICKS_PER_S) / frames : 0,
  };
}

function lagOf(samples: number[]) {
  const sorted = [...samples].sort((a, b) => a - b);
  return {
    p50: quantile(sorted, 0.5),
    p99: quantile(sorted, 0.99),
    max: sorted.at(-1) ?? 0,
  };
}

/**
 * Runs both sides in alternating rounds.
 *
 * @param options durations and threads
 * @returns frames/s per round, the ratio and the lag
 */
export async function runPipeline(options: PipelineOptions): Promise<PipelineResult> {
  const log = options.log ?? (() => {});
  configureLogging("warn");
  const catalog = await readCatalog(DEFAULT_MODELS_DIR);
  const model = catalog.get("centernet");
  if (!model) throw new Error("bench: assets/models/centernet.onnx missing: run scripts/setup.sh");
  model.config.threads = options.threads;
  const dataDir = await Deno.makeTempDir({ prefix: "vigil-bench-pipeline-" });
  const camera = await startRtspServer({
    source: VTEST,
    width: WIDTH,
    height: HEIGHT,
    fps: SOURCE_FPS,
  });
  // The product's session options (no spin-waiting), so both sides run the same model alike.
  const session = await openSession(model.config.path, options.threads);
  const db = await openDatabase({ dataDir });
  const detectors = new DetectorPool(catalog);
  // Captures read the camera through Vigil's stream hub, as in the product.
  const relay = await startRelay({ sql: db.sql, dataDir });
  const fleet = createFleet({
    db,
    secrets: await openSecretBox(dataDir),
    dataDir,
    detectors,
    events: createEventBus<FeedMessage>(),
    hub: relay.hub,
  });
  try {
    const row = await insertCamera(db.sql, {
      id: uuidv7(),
      name: "bench",
      sourceUrl: camera.url,
      transport: "tcp",
    });
    await fleet.add(row);
    const settings = parseAnalyticsSettings(
      { fps: ANALYTICS_FPS, classes: ["person"], rules: { minMotion: 0 } },
      { models: detectors.names(), labels: detectors.labels() },
    );
    const raw: number[] = [];
    const ours: number[] = [];
    const rawCpu: number[] = [];
    const oursCpu: number[] = [];
    const lags: number[] = [];
    const rawLags: number[] = [];
    const runs = () => fleet.analysisStats(row.id)?.detectorRuns ?? 0;
    const idleLags: number[] = [];
    await withLagProbe(() => new Promise((r) => setTimeout(r, IDLE_PROBE_MS)), idleLags);
    const rawRound = async () => {
      let result: Side = { fps: 0, cpuMsPerFrame: 0 };
      await withLagProbe(async () => {
        result = await rawFps(session, camera.url, options.seconds);
      }, rawLags);
      raw.push(result.fps);
      rawCpu.push(result.cpuMsPerFrame);
    };
    const oursRound = async () => {
      await fleet.attachAnalytics(row.id, settings);
      // Like raw, time from the first analysed frame (connecting takes longer on a loaded box).
      const deadline = Date.now() + 30_000;
      const initial = runs();
      while (runs() === initial) {
        if (Date.now() > deadline) throw new Error("bench: no frame analysed within 30 s");
        await new Promise((r) => setTimeout(r, 50));
      }
      await new Promise((r) => setTimeout(r, WARMUP_MS));
      // Ours reads the camera through the hub: its puller is part of ours, like the capture.
      const status = fleet.status(row.id);
      const pids = [status.ffmpegPid ?? 0, ...status.hub.map((s) => s.pid ?? 0)];
      const ticks = () => ticksOf("self") + pids.reduce((n, p) => n + ticksOf(p), 0);
      const before = runs();
      const cpu0 = ticks();
      const started = performance.now();
      await withLagProbe(() => new Promise((r) => setTimeout(r, options.seconds * 1000)), lags);
      const result = side(
        runs() - before,
        performance.now() - started,
        ticks() - cpu0,
      );
      ours.push(result.fps);
      oursCpu.push(result.cpuMsPerFrame);
      await fleet.capture(row.id, "stop");
    };
    for (let round = 0; round < options.rounds; round++) {
      if (round % 2 === 0) {
        await rawRound();
        await oursRound();
      } else {
        await oursRound();
        await rawRound();
      }
      log(
        `pipeline round ${round + 1}: raw ${raw.at(-1)!.toFixed(1)}, ours ` +
          `${ours.at(-1)!.toFixed(1)} frames/s`,
      );
    }
    const [count] = await db.sql<{ n: number }[]>`select count(*)::int as n from detections`;
    return {
      raw,
      ours,
      rawCpu,
      oursCpu,
      ratio: mean(ours) / mean(raw),
      roundRatios: ours.map((o, i) => o / raw[i]!),
      lag: lagOf(lags),
      rawLag: lagOf(rawLags),
      idleLag: lagOf(idleLags),
      rows: count?.n ?? 0,
      options: { ...options, log: undefined },
    };
  } finally {
    await fleet.stop();
    await relay.stop();
    await detectors.close();
    await db.close();
    await session.release();
    await camera.stop();
    await Deno.remove(dataDir, { recursive: true });
  }
}
