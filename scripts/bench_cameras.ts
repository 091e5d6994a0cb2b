/**
 * Bench rows 5 (cameras per box), 6a (RSS per added camera) and 6b (RSS drift), from one run of
 * the real fleet against simulated cameras: vtest.avi (people walking) looped as 640x360 H.264
 * over RTSP by the GStreamer simulator, each camera pulled by the stream hub (one puller each) and
 * read from Vigil's relay by its own capture ffmpeg,
 * analytics at 5 fps with the default rules (motion gate on), CenterNet with the product's
 * default threads, detections and events written to the embedded database.
 *
 * Cameras are added one at a time. After each addition the run settles, then measures a window:
 * per camera the analysed frames/s (frames the gate skipped + frames the detector ran on; a
 * frame replaced before the detector reached it is lost), the main event loop's lag, the CPU of
 * each ffmpeg (decode), of the inference Worker's threads (inference) and of the rest of the
 * process, and the memory (this process's RSS + each ffmpeg's PSS). The box holds N cameras when
 * every camera keeps ≥ 90% of its fps and lag p99 stays < 20 ms; N is the count before the first
 * step that fails (the ramp goes on to at least 4 cameras, for the memory slope of row 6a). Then
 * (row 6b) it keeps N cameras running (at least one) and samples memory for the drift.
 *
 * Usage: `deno task bench cameras rss`, or alone
 * `deno run -A --v8-flags=--expose-gc scripts/bench_cameras.ts [--quick] [--hold 600] [--max 16]
 * [--postgres]` (`--postgres`: a real PostgreSQL, so the memory rows leave out the embedded
 * database's page cache).
 *
 * @module
 */
import { parseArgs } from "node:util";
import { benchMotionCrops } from "./bench/crops_mode.ts";
import { registerRow, type RowOptions } from "./bench/registry.ts";
import {
  ANALYSIS_FPS,
  type CamerasResult,
  KEEP_SHARE,
  MB,
  runCameras,
  SOURCE_FPS,
} from "./bench/camera_ramp.ts";
import { slope } from "./bench/fit.ts";

function shared(options: RowOptions): Promise<CamerasResult> {
  const hold = options.selected.has("rss-drift")
    ? options.seconds ?? (options.quick ? 20 : 600)
    : 0;
  return options.shared("cameras", () =>
    runCameras({
      settleSeconds: options.quick ? 3 : 6,
      windowSeconds: options.quick ? 5 : 20,
      maxCameras: 16,
      holdSeconds: hold,
      log: options.log,
    }));
}

const pct = (x: number) => `${x.toFixed(0)}%`;

registerRow({
  id: "cameras",
  order: "5",
  title: "cameras per box (640x360, 5 fps analysis, motion gate on)",
  async run(options) {
    const r = await shared(options);
    const at = r.steps.find((s) => s.cameras === Math.max(1, r.max));
    const next = r.steps.find((s) => s.cameras === r.max + 1);
    const split = at
      ? `CPU at ${at.cameras} (% of one core): decode ${pct(at.cpu.decode)}, hub puller ffmpegs ` +
        `${pct(at.cpu.ingest)}, inference ` +
        `${pct(at.cpu.inference)}, rest of Vigil ${pct(at.cpu.rest)}; simulator ` +
        `${pct(at.cpu.simulator)}, other processes ${pct(at.cpu.other)}; detector ` +
        `${at.detectorFps.toFixed(1)} runs/s, gate skipped ${pct(100 * at.gateSkipRatio)}, ` +
        `crops ${benchMotionCrops() ? "on" : "off"} (` +
        `${pct(100 * at.cropShare)} of runs), inference ${at.inferenceMsPerFrame.toFixed(1)} ` +
        `CPU ms per frame, lag p99 ${at.lag.p99.toFixed(1)} ms`
      : "no step was measured";
    return {
      figure: r.max,
      unit: "cameras",
      baseline: null,
      ratio: null,
      goal: `every camera ≥ ${KEEP_SHARE * ANALYSIS_FPS} frames/s, lag p99 < 20 ms`,
      pass: null,
      note: `${split}${next ? `; at ${next.cameras}: ${next.reason}` : ""}; steps ` +
        r.steps.map((s) =>
          `${s.cameras}: ${s.minFps.toFixed(2)} frames/s, p99 ${s.lag.p99.toFixed(0)} ms`
        ).join("; ") +
        `; the lag probe alone before any camera: p99 ${r.idleLag.p99.toFixed(1)} ms; windows ` +
        `of ${r.options.windowSeconds} s; source ${SOURCE_FPS} fps`,
      details: { steps: r.steps, max: r.max },
    };
  },
});

registerRow({
  id: "rss-per-camera",
  order: "6a",
  title: "memory per added camera (RSS + ffmpeg PSS)",
  async run(options) {
    const r = await shared(options);
    const mb = r.perCameraBytes / MB;
    const part = (key: "process" | "capture" | "pullers") =>
      (slope(r.steps.map((s) => [s.cameras, s.memory[key]])) / MB).toFixed(1);
    const first = r.steps[0];
    const last = r.steps.at(-1);
    return {
      figure: mb,
      unit: "MB",
      baseline: null,
      ratio: null,
      goal: "< 40 MB",
      // Quick windows are too short for memory to settle after the model loads: shown, not judged.
      pass: options.quick ? null : mb < 40,
      note: (options.quick ? "--quick: not judged, memory has not settled; " : "") +
        `slope over the ramp (model loaded from the first camera on): ${
          ((first?.memoryBytes ?? 0) / MB).toFixed(0)
        } MB at ${first?.cameras ?? 0} → ${((last?.memoryBytes ?? 0) / MB).toFixed(0)} MB at ${
          last?.cameras ?? 0
        } cameras; per camera by part: Vigil's process ${part("process")} MB, capture ffmpeg ` +
        `${part("capture")} MB, hub puller ffmpegs ${part("pullers")} MB (none when Vigil's ` +
        `RTSP client pulls: it is in the process); without them ${
          (mb - Number(part("pullers"))).toFixed(1)
        } MB`,
      details: { points: r.steps.map((s) => [s.cameras, s.memoryBytes]) },
    };
  },
});

registerRow({
  id: "rss-drift",
  order: "6b",
  title: "memory drift holding the cameras",
  async run(options) {
    const r = await shared(options);
    if (r.driftBytes === null) throw new Error("bench: too few memory samples for a drift");
    const mb = r.driftBytes / MB;
    const first = (r.hold[0]?.[1] ?? 0) / MB;
    return {
      figure: mb,
      unit: "MB",
      baseline: first,
      baselineLabel: "MB at the start",
      ratio: null,
      goal: "flat (growth < 10 MB)",
      pass: mb < 10,
      note: `${Math.max(1, r.max)} cameras for ${r.options.holdSeconds} s, ${r.hold.length} ` +
        `samples after a GC each; median ` +
        `of the last fifth minus median of the first fifth`,
      details: { hold: r.hold },
    };
  },
});

/**
 * Runs the ramp alone and prints each step.
 *
 * @param args `--quick`, `--hold S`, `--max N`
 * @returns the result
 */
export async function main(args: string[] = Deno.args): Promise<CamerasResult> {
  const { values } = parseArgs({
    args,
    options: {
      quick: { type: "boolean", default: false },
      hold: { type: "string", default: "0" },
      max: { type: "string", default: "16" },
      postgres: { type: "boolean", default: false },
    },
  });
  const r = await runCameras({
    settleSeconds: values.quick ? 3 : 6,
    windowSeconds: values.quick ? 5 : 20,
    maxCameras: Number(values.max),
    holdSeconds: Number(values.hold),
    postgres: values.postgres,
    log: (line) => console.error(line),
  });
  console.log(
    `cameras per box: ${r.max}; memory per camera ${(r.perCameraBytes / MB).toFixed(1)} MB` +
      (r.driftBytes === null ? "" : `; drift ${(r.driftBytes / MB).toFixed(1)} MB`),
  );
  return r;
}

if (import.meta.main) await main();
