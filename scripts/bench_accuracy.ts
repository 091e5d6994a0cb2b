/**
 * Bench row 8 (accuracy): what the product's detector reports against the full-frame fp32
 * CenterNet it replaced (the fixed 512x512 graph, frames letterboxed into it), on the same frames
 * of the test video: vtest.avi scaled to 640x360 as the cameras rows serve it, at the analysis
 * rate. Two recalls, both with the analysis defaults (classes, `minScore`, tracker, events):
 * - detections: of the baseline's detections that pass the camera's filter (what feeds the
 *   tracker and opens events), the share the product also reports (same label, IoU ≥ 0.5, score
 *   ≥ `minScore`);
 * - events: of the baseline's object events (confirmed tracks), the share the product also opens
 *   (an event of the same label whose track overlaps it, IoU ≥ 0.5 in one frame).
 *
 * Usage: `deno task bench accuracy`, or alone `deno run -A scripts/bench_accuracy.ts [seconds]`.
 *
 * @module
 */
import { dirname, join } from "node:path";
import { registerRow } from "./bench/registry.ts";
import { convertCenterNet } from "./convert_centernet.ts";
import type { TfGraphModel } from "./convert/tf_weights.ts";
import { DEFAULT_MODELS_DIR } from "../models/config.ts";
import { readCatalog } from "../models/detectors/catalog.ts";
import { CenterNetDetector } from "../models/detectors/centernet.ts";
import { resolveDetectorConfig } from "../models/detectors/detector_config.ts";
import { iou } from "../models/detectors/box.ts";
import type { Detection, Frame } from "../models/detectors/types.ts";
import { DEFAULT_ANALYTICS_SETTINGS } from "../models/analytics/settings.ts";
import { filterDetections } from "../models/analytics/filter.ts";
import { createTracker } from "../models/analytics/tracker.ts";
import { runProcess } from "../actors/process/run.ts";

const VTEST = new URL("../assets/media/vtest.avi", import.meta.url).pathname;
const WIDTH = 640;
const HEIGHT = 360;
/** The analysis rate of the cameras rows. */
const FPS = 5;
/** The goal of the issue: the default settings keep this recall. */
export const RECALL_GOAL = 0.95;
const MATCH_IOU = 0.5;

/** What one side reported over the frames. */
interface SideResult {
  /** Per frame, the detections the camera's filter keeps. */
  kept: Detection[][];
  /** Confirmed tracks: label and box per frame index. */
  events: { label: string; boxes: Map<number, Detection["box"]> }[];
  /** Inference time per frame, ms (median). */
  msPerFrame: number;
}

/** What the row measured. */
export interface AccuracyResult {
  frames: number;
  detectionRecall: number;
  baselineDetections: number;
  eventRecall: number;
  baselineEvents: number;
  baselineMs: number;
  oursMs: number;
}

async function decodeFrames(seconds: number): Promise<Frame[]> {
  const out = await runProcess("ffmpeg", {
    args: [
      ...["-v", "error", "-t", String(seconds), "-i", VTEST],
      ...["-vf", `fps=${FPS},scale=${WIDTH}:${HEIGHT}`, "-f", "rawvideo", "-pix_fmt", "rgb24"],
      "pipe:1",
    ],
  });
  if (!out.status.success) throw new Error(`bench: ffmpeg: ${out.lastStderrLine}`);
  const size = WIDTH * HEIGHT * 3;
  const frames: Frame[] = [];
  for (let at = 0; at + size <= out.stdout.length; at += size) {
    frames.push({ width: WIDTH, height: HEIGHT, data: out.stdout.subarray(at, at + size) });
  }
  return frames;
}

async function runSide(detector: CenterNetDetector, frames: Frame[]): Promise<SideResult> {
  const settings = DEFAULT_ANALYTICS_SETTINGS;
  const tracker = createTracker({
    confirmFrames: settings.rules.confirmFrames,
    leaveAfterMs: settings.rules.leaveAfterMs,
  });
  const kept: Detection[][] = [];
  const tracks = new Map<
    string,
    { label: string; confirmed: boolean; boxes: Map<number, Detection["box"]> }
  >();
  const times: number[] = [];
  for (const [i, frame] of frames.entries()) {
    const t0 = performance.now();
    const found = await detector.detect(frame, { classes: settings.classes });
    times.push(performance.now() - t0);
    const filtered = filterDetections(found, { ...settings, masks: [] }, WIDTH, HEIGHT);
    kept.push(filtered);
    const update = tracker.update(filtered, (i * 1000) / FPS);
    for (const t of update.tracks) {
      if (t.misses !== 0) continue;
      const entry = tracks.get(t.id) ?? { label: t.label, confirmed: false, boxes: new Map() };
      entry.confirmed ||= t.confirmed;
      entry.boxes.set(i, t.box);
      tracks.set(t.id, entry);
    }
  }
  times.sort((a, b) => a - b);
  return {
    kept,
    events: [...tracks.values()].filter((t) => t.confirmed),
    msPerFrame: times[Math.floor(times.length / 2)] ?? 0,
  };
}

/**
 * Recall of the baseline's detections and events in ours.
 *
 * @param baseline what the full-frame fp32 detector reported
 * @param ours what the product's detector reported on the same frames
 * @returns detection and event recall with their counts
 */
function compare(baseline: SideResult, ours: SideResult) {
  let total = 0, found = 0;
  for (const [i, dets] of baseline.kept.entries()) {
    for (const d of dets) {
      total++;
      if (ours.kept[i]!.some((o) => o.label === d.label && iou(o.box, d.box) >= MATCH_IOU)) found++;
    }
  }
  const matched = baseline.events.filter((e) =>
    ours.events.some((o) =>
      o.label === e.label &&
      [...e.boxes].some(([i, box]) => {
        const other = o.boxes.get(i);
        return other !== undefined && iou(other, box) >= MATCH_IOU;
      })
    )
  ).length;
  return {
    detectionRecall: total > 0 ? found / total : 1,
    baselineDetections: total,
    eventRecall: baseline.events.length > 0 ? matched / baseline.events.length : 1,
    baselineEvents: baseline.events.length,
  };
}

/**
 * Converts the fixed 512x512 graph (the model before this work) into a temp file.
 *
 * @returns its path and a function removing it
 */
async function fixedModel(): Promise<{ path: string; remove: () => Promise<void> }> {
  const tfjs = join(DEFAULT_MODELS_DIR, "tfjs", "centernet.json");
  const json = JSON.parse(await Deno.readTextFile(tfjs)) as TfGraphModel;
  const parts = await Promise.all(
    json.weightsManifest.flatMap((g) => g.paths).map((p) => Deno.readFile(join(dirname(tfjs), p))),
  );
  const bin = new Uint8Array(parts.reduce((n, p) => n + p.byteLength, 0));
  parts.reduce((off, p) => (bin.set(p, off), off + p.byteLength), 0);
  const dir = await Deno.makeTempDir({ prefix: "vigil-bench-accuracy-" });
  const path = join(dir, "centernet-fixed.onnx");
  await Deno.writeFile(path, convertCenterNet(json, bin));
  return { path, remove: () => Deno.remove(dir, { recursive: true }) };
}

/**
 * Runs both detectors on the same frames and compares them.
 *
 * @param seconds seconds of the video to use
 * @returns the recalls
 */
export async function runAccuracy(seconds: number): Promise<AccuracyResult> {
  const catalog = await readCatalog(DEFAULT_MODELS_DIR);
  const entry = catalog.get("centernet");
  if (!entry) throw new Error("bench: assets/models/centernet.onnx missing: run scripts/setup.sh");
  const frames = await decodeFrames(seconds);
  const fixed = await fixedModel();
  try {
    const config = resolveDetectorConfig(entry.config);
    const baselineDetector = await CenterNetDetector.open({ ...config, path: fixed.path });
    const baseline = await runSide(baselineDetector, frames).finally(() =>
      baselineDetector.close()
    );
    const oursDetector = await CenterNetDetector.open(config);
    const ours = await runSide(oursDetector, frames).finally(() => oursDetector.close());
    return {
      frames: frames.length,
      ...compare(baseline, ours),
      baselineMs: baseline.msPerFrame,
      oursMs: ours.msPerFrame,
    };
  } finally {
    await fixed.remove();
  }
}

registerRow({
  id: "accuracy",
  order: "8",
  title: "recall vs the full-frame fp32 detector (detections that open events)",
  async run(options) {
    const r = await options.shared(
      "accuracy",
      () => runAccuracy(options.seconds ?? (options.quick ? 20 : 79)),
    );
    return {
      figure: r.detectionRecall,
      unit: "recall",
      baseline: 1,
      baselineLabel: "full-frame fp32 512x512",
      ratio: r.detectionRecall,
      goal: `≥ ${RECALL_GOAL}`,
      pass: r.detectionRecall >= RECALL_GOAL && r.eventRecall >= RECALL_GOAL,
      note: `${r.frames} frames of vtest.avi at ${WIDTH}x${HEIGHT}, ${FPS} fps; detections ` +
        `${r.baselineDetections} of the baseline's, recall ${r.detectionRecall.toFixed(3)}; ` +
        `events ${r.baselineEvents}, recall ${r.eventRecall.toFixed(3)}; inference median ` +
        `${r.oursMs.toFixed(1)} ms vs ${r.baselineMs.toFixed(1)} ms per frame`,
      details: { ...r },
    };
  },
});

if (import.meta.main) {
  console.log(await runAccuracy(Number(Deno.args[0] ?? 79)));
}
