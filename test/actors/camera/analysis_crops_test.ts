/**
 * Detect where things move, as wired in the analysis actor: a camera whose picture moves in a
 * small area sends the detector its motion regions (counted in `regionRuns`), and with
 * `rules.motionCrops` off every run is a whole frame.
 */
import assert from "node:assert/strict";
import { createActor } from "xstate";
import { createAnalysisLogic, emptyAnalysisStats } from "../../../actors/camera/analysis.ts";
import { createEventRecorder, type FeedMessage } from "../../../actors/camera/event_recorder.ts";
import { DetectorPool } from "../../../actors/camera/detector_pool.ts";
import { readCatalog } from "../../../models/detectors/catalog.ts";
import { createEventBus } from "../../../models/event_bus.ts";
import { FrameSlot } from "../../../models/media/frame_slot.ts";
import { parseAnalyticsSettings } from "../../../models/analytics/settings.ts";
import { uuidv7 } from "../../../models/ids.ts";
import { TINY_MODEL, tinyModelsDir } from "../../support/tiny_models.ts";
import { waitFor } from "../../support/rtsp.ts";

const WIDTH = 320;
const HEIGHT = 180;

/** A grey frame with a bright 20x40 block at `x` (something walking along the bottom). */
function frameWithBlock(x: number): Uint8Array {
  const data = new Uint8Array(WIDTH * HEIGHT * 3).fill(90);
  for (let y = 120; y < 160; y++) data.fill(250, (y * WIDTH + x) * 3, (y * WIDTH + x + 20) * 3);
  return data;
}

async function runsWith(motionCrops: boolean) {
  const modelsDir = await tinyModelsDir();
  const dataDir = await Deno.makeTempDir({ prefix: "vigil-analysis-crops-" });
  const pool = new DetectorPool(await readCatalog(modelsDir));
  const cameraId = uuidv7();
  const settings = parseAnalyticsSettings(
    { detector: TINY_MODEL, fps: 10, classes: ["person"], rules: { motionCrops } },
    { models: pool.names(), labels: pool.labels() },
  );
  const slot = new FrameSlot();
  const stats = emptyAnalysisStats();
  const actor = createActor(
    createAnalysisLogic({
      cameraId,
      slot,
      detectors: pool,
      detections: { push: () => {} },
      events: createEventRecorder({
        cameraId,
        writer: { push: () => {} },
        bus: createEventBus<FeedMessage>(),
        dataDir,
      }),
      stats,
    }),
    { input: { settings } },
  );
  let seq = 0;
  const camera = setInterval(() => {
    const x = (seq * 7) % (WIDTH - 20);
    slot.put({ width: WIDTH, height: HEIGHT, data: frameWithBlock(x), ts: Date.now(), seq: seq++ });
  }, 50);
  try {
    actor.start();
    await waitFor(() => stats.detectorRuns >= 8, 30_000, "eight detector runs");
    return { runs: stats.detectorRuns, regionRuns: stats.regionRuns };
  } finally {
    clearInterval(camera);
    actor.stop();
    await pool.close();
    await Deno.remove(dataDir, { recursive: true });
    await Deno.remove(modelsDir, { recursive: true });
  }
}

Deno.test({
  name: "analysis sends the detector the regions that moved, and whole frames with motionCrops off",
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    const on = await runsWith(true);
    // The first run is the gate's keep-alive (no reference yet): a whole frame.
    assert.ok(on.regionRuns >= on.runs - 2, `crops on: ${on.regionRuns} of ${on.runs} on regions`);
    assert.ok(on.regionRuns < on.runs, `crops on: the first run is whole: ${JSON.stringify(on)}`);
    const off = await runsWith(false);
    assert.equal(off.regionRuns, 0, `crops off: ${off.regionRuns} of ${off.runs} on regions`);
  },
});
