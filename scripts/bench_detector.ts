/**
 * Benchmarks detection in ONE run, so the numbers compare like with like on the same machine:
 * 1. raw onnxruntime `session.run` on the main thread (pre-made input tensors);
 * 2. the CenterNet adapter in the main thread (resize + run + decode);
 * 3. the shared Worker detector (`SharedDetector.detect`, frames transferred to the Worker).
 * For each it prints ms/frame and the main event loop's lag (p50/p99/max), measured by a 5 ms
 * `setInterval` timer whose lateness is recorded while inference runs. The phases alternate in
 * rounds so that load from other processes on a shared box skews them alike.
 *
 * With `--versus other.onnx` (e.g. `assets/models/centernet-int8.onnx`) the raw run and the
 * adapter run that model too, in the same rounds, so the two compare under the same load;
 * `--height 384` sets the raw runs' input to 512x384 (the adapter's input for a 16:9 frame).
 *
 * Usage: `deno run -A scripts/bench_detector.ts [--frames 40] [--threads 2] [--model path]
 * [--versus path] [--height 512]` (needs `scripts/fetch_assets.sh` first).
 *
 * @module
 */
import * as ort from "onnxruntime-node";
import { parseArgs } from "node:util";
import { fileURLToPath } from "node:url";
import { CenterNetDetector } from "../models/detectors/centernet.ts";
import { resolveDetectorConfig } from "../models/detectors/detector_config.ts";
import { frameToTensor } from "../models/detectors/preprocess.ts";
import { SharedDetector } from "../models/detectors/shared_detector.ts";
import type { Frame } from "../models/detectors/types.ts";
import { quantile, withLagProbe } from "./bench/lag_probe.ts";

/** Result of one benchmark phase. */
export interface PhaseResult {
  name: string;
  frames: number;
  /** Mean and median wall time per frame. */
  msPerFrame: number;
  medianMs: number;
  /** Lateness of a 5 ms interval timer on the main thread while the phase ran. */
  lag: { p50: number; p99: number; max: number };
}

const WARMUP = 3;
/** Phases alternate in rounds so a burst of load from other processes hits all of them alike. */
const ROUNDS = 4;
const ROOT = fileURLToPath(new URL("../", import.meta.url));

/** Samples of one phase across rounds. */
interface Phase {
  name: string;
  run: (i: number) => Promise<unknown>;
  times: number[];
  lags: number[];
}

function summarize(phase: Phase): PhaseResult {
  const times = [...phase.times].sort((a, b) => a - b);
  const lags = [...phase.lags].sort((a, b) => a - b);
  return {
    name: phase.name,
    frames: times.length,
    msPerFrame: times.reduce((a, b) => a + b, 0) / Math.max(1, times.length),
    medianMs: quantile(times, 0.5),
    lag: { p50: quantile(lags, 0.5), p99: quantile(lags, 0.99), max: lags[lags.length - 1] ?? 0 },
  };
}

/** Decodes `count` consecutive frames of a video with ffmpeg. */
async function videoFrames(path: string, count: number): Promise<Frame[]> {
  const width = 768, height = 576;
  const out = await new Deno.Command("ffmpeg", {
    args: [
      "-v",
      "error",
      "-i",
      path,
      "-frames:v",
      String(count),
      "-vf",
      `scale=${width}:${height}`,
      "-f",
      "rawvideo",
      "-pix_fmt",
      "rgb24",
      "-",
    ],
    stdout: "piped",
    stderr: "piped",
  }).output();
  if (!out.success) throw new Error(`ffmpeg: ${new TextDecoder().decode(out.stderr)}`);
  const size = width * height * 3;
  const frames: Frame[] = [];
  for (let off = 0; off + size <= out.stdout.length; off += size) {
    frames.push({ width, height, data: out.stdout.slice(off, off + size) });
  }
  return frames;
}

async function runRound(phase: Phase, first: number, count: number): Promise<void> {
  await withLagProbe(async () => {
    for (let i = first; i < first + count; i++) {
      const start = performance.now();
      await phase.run(i);
      phase.times.push(performance.now() - start);
    }
  }, phase.lags);
}

function copy(frame: Frame): Frame {
  return { ...frame, data: frame.data.slice() };
}

/**
 * Runs the three phases and prints a table.
 *
 * @param args `--frames N`, `--threads N`, `--model path`, `--versus path`, `--height N`
 * @returns the measured phases
 */
export async function main(args: string[] = Deno.args): Promise<PhaseResult[]> {
  const { values } = parseArgs({
    args,
    options: {
      frames: { type: "string", default: "40" },
      threads: { type: "string", default: "2" },
      model: { type: "string", default: `${ROOT}assets/models/centernet.onnx` },
      versus: { type: "string" },
      height: { type: "string", default: "512" },
    },
  });
  const height = Number(values.height);
  const count = Number(values.frames);
  const threads = Number(values.threads);
  const path = values.model ?? "";
  const video = `${ROOT}assets/media/vtest.avi`;
  for (const f of [path, video, ...(values.versus ? [values.versus] : [])]) {
    try {
      await Deno.stat(f);
    } catch {
      throw new Error(`bench: ${f} is missing: run scripts/fetch_assets.sh`);
    }
  }
  const frames = await videoFrames(video, count);
  const config = resolveDetectorConfig({ kind: "centernet", path, minScore: 0.3, threads });

  const options = {
    intraOpNumThreads: threads,
    interOpNumThreads: 1,
    executionMode: "sequential",
    graphOptimizationLevel: "all",
  } as const;
  const session = await ort.InferenceSession.create(path, options);
  const tensors = frames.map((f) =>
    new ort.Tensor(
      "float32",
      frameToTensor(f, { width: 512, height, layout: "nhwc", fit: "letterbox", range: 255 }).data,
      [1, height, 512, 3],
    )
  );
  const local = await CenterNetDetector.open(config);
  const shared = await SharedDetector.open(config);
  const other = values.versus
    ? {
      session: await ort.InferenceSession.create(values.versus, options),
      detector: await CenterNetDetector.open({ ...config, path: values.versus }),
    }
    : undefined;
  const versus: Phase[] = other
    ? [
      {
        name: `raw ORT session.run, ${values.versus}`,
        run: (i) => other.session.run({ images: tensors[i % tensors.length]! }),
        times: [],
        lags: [],
      },
      {
        name: `CenterNet adapter, ${values.versus}`,
        run: (i) => other.detector.detect(frames[i % frames.length]!),
        times: [],
        lags: [],
      },
    ]
    : [];
  const phases: Phase[] = [
    {
      name: "raw ORT session.run, main thread",
      run: (i) => session.run({ images: tensors[i % tensors.length]! }),
      times: [],
      lags: [],
    },
    {
      name: "CenterNet adapter, main thread",
      run: (i) => local.detect(frames[i % frames.length]!),
      times: [],
      lags: [],
    },
    {
      name: "SharedDetector (Worker)",
      run: (i) => shared.detect("bench", copy(frames[i % frames.length]!)),
      times: [],
      lags: [],
    },
    ...versus,
  ];
  try {
    for (const phase of phases) {
      for (let i = 0; i < WARMUP; i++) await phase.run(i);
    }
    const perRound = Math.max(1, Math.round(frames.length / ROUNDS));
    for (let round = 0; round < ROUNDS; round++) {
      for (const phase of phases) await runRound(phase, round * perRound, perRound);
    }
  } finally {
    await session.release();
    await local.close();
    await shared.close();
    await other?.session.release();
    await other?.detector.close();
  }
  const results = phases.map(summarize);

  console.log(
    `detector benchmark: ${frames.length} frames of vtest.avi (768x576 → raw 512x${height}), ` +
      `intraOpNumThreads ${threads}, ${navigator.hardwareConcurrency} cores`,
  );
  const pad = Math.max(...results.map((r) => r.name.length));
  console.log(`${"".padEnd(pad)}  ms/frame (mean  median)   loop lag p50    p99    max (ms)`);
  const num = (v: number, w: number) => v.toFixed(1).padStart(w);
  for (const r of results) {
    console.log(
      `${r.name.padEnd(pad)}  ${num(r.msPerFrame, 15)} ${num(r.medianMs, 7)}  ${
        num(r.lag.p50, 15)
      } ${num(r.lag.p99, 6)} ${num(r.lag.max, 6)}`,
    );
  }
  return results;
}

if (import.meta.main) await main();
