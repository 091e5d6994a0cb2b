/**
 * Bench row 5b (cameras on quiet scenes): the cameras ramp of row 5 (bench/camera_ramp.ts) with
 * realistic sources — still most of the time, people passing 15% of it (bench/quiet_source.ts,
 * built from the test media in a temp dir, four phases so passes do not all coincide) — measured
 * at a few counts. A count holds when every camera keeps ≥ 4.5 analysed frames/s, lag p99 stays
 * < 20 ms, and every camera opened a person event for each pass of its window.
 *
 * Usage: `deno task bench cameras-quiet`.
 *
 * @module
 */
import { benchMotionCrops } from "./bench/crops_mode.ts";
import { registerRow } from "./bench/registry.ts";
import { ANALYSIS_FPS, KEEP_SHARE, runCameras, type Step } from "./bench/camera_ramp.ts";
import { buildQuietSources, QUIET_CYCLE_S, QUIET_PASS_S } from "./bench/quiet_source.ts";

/** The goal for quiet scenes. */
const GOAL = 24;
/** Event opens further apart than this belong to different passes. */
const PASS_GAP_S = QUIET_CYCLE_S / 2;

/**
 * How many passes a camera opened events for: its person-event opens grouped by gaps.
 *
 * @param opens seconds into the window, in order
 * @returns the number of groups
 */
export function passesSeen(opens: readonly number[]): number {
  return opens.filter((t, i) => i === 0 || t - opens[i - 1]! > PASS_GAP_S).length;
}

/** Passes that start and open their events within a window of `seconds`, whatever the phase. */
function passesExpected(seconds: number): number {
  return Math.floor((seconds - QUIET_PASS_S - 2) / QUIET_CYCLE_S);
}

function missedPass(step: Step): string | undefined {
  const expected = passesExpected(step.seconds);
  const short = step.eventOpens.findIndex((opens) => passesSeen(opens) < expected);
  return short < 0
    ? undefined
    : `camera ${short + 1} opened person events for ${
      passesSeen(step.eventOpens[short]!)
    } of ${expected} passes`;
}

registerRow({
  id: "cameras-quiet",
  order: "5b",
  title: "cameras per box, quiet scenes (people pass 15% of the time)",
  async run(options) {
    const dir = await Deno.makeTempDir({ prefix: "vigil-bench-quiet-" });
    try {
      const sources = await buildQuietSources(dir, 4);
      const windowSeconds = options.quick ? QUIET_CYCLE_S + 5 : 2 * QUIET_CYCLE_S + 5;
      const r = await runCameras({
        settleSeconds: options.quick ? 5 : 10,
        windowSeconds: options.seconds ?? windowSeconds,
        maxCameras: 40,
        holdSeconds: 0,
        sources,
        schedule: options.quick ? [1, 4, 8, 16, 24] : [1, 2, 4, 6, 8, 12, 16, 20, 24, 28, 32, 40],
        check: missedPass,
        log: options.log,
      });
      const at = r.steps.find((s) => s.cameras === r.max);
      const failed = r.steps.find((s) => !s.ok);
      return {
        figure: r.max,
        unit: "cameras",
        baseline: null,
        ratio: null,
        goal: `≥ ${GOAL}, every camera ≥ ${KEEP_SHARE * ANALYSIS_FPS} frames/s, lag p99 < 20 ms, ` +
          `every pass opens an event`,
        pass: options.quick ? null : r.max >= GOAL,
        note: (at
          ? `at ${at.cameras}: detector ${at.detectorFps.toFixed(1)} runs/s, gate skipped ` +
            `${(100 * at.gateSkipRatio).toFixed(0)}%, crops ${benchMotionCrops() ? "on" : "off"} ` +
            `(${(100 * at.cropShare).toFixed(0)}% of runs), inference ` +
            `${at.inferenceMsPerFrame.toFixed(1)} CPU ms per frame, CPU decode ${
              at.cpu.decode.toFixed(0)
            }% ` +
            `inference ${at.cpu.inference.toFixed(0)}% rest ${at.cpu.rest.toFixed(0)}% other ` +
            `${at.cpu.other.toFixed(0)}%; `
          : "") +
          (failed ? `at ${failed.cameras}: ${failed.reason}; ` : "") + "steps " +
          r.steps.map((s) =>
            `${s.cameras}: ${s.minFps.toFixed(2)} frames/s, p99 ${s.lag.p99.toFixed(0)} ms, ` +
            `passes ${Math.min(...s.eventOpens.map(passesSeen))}/${passesExpected(s.seconds)}`
          ).join("; ") + `; windows of ${r.options.windowSeconds} s; cycle ${QUIET_CYCLE_S} s ` +
          `with ${QUIET_PASS_S} s of people`,
        details: { steps: r.steps, max: r.max },
      };
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});
