/**
 * Issue 17, robustness: a detector Worker that cannot restart (its model file removed) must not
 * leave a camera's analysis waiting forever: the analysis shows the detector's error as its
 * `lastError` and recovers by itself once the detector can restart.
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
import { CRASH_WIDTH } from "../../models/detectors/fixtures/crashing_worker.ts";

const CRASHING_WORKER = new URL(
  "../../models/detectors/fixtures/crashing_worker.ts",
  import.meta.url,
);

Deno.test({
  name: "analysis shows lastError when its detector cannot restart, and recovers when it can",
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    const modelsDir = await tinyModelsDir();
    const dataDir = await Deno.makeTempDir({ prefix: "vigil-analysis-" });
    const pool = new DetectorPool(await readCatalog(modelsDir), {
      workerUrl: CRASHING_WORKER,
      restartDelayMs: 50,
      maxRestartDelayMs: 200,
    });
    const cameraId = uuidv7();
    const settings = parseAnalyticsSettings(
      { detector: TINY_MODEL, fps: 20, classes: ["person"], rules: { minMotion: 0 } },
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
    let width = 64;
    let seq = 0;
    const camera = setInterval(() => {
      const data = new Uint8Array(width * width * 3);
      slot.put({ width, height: width, data, ts: Date.now(), seq: seq++ });
    }, 50);
    try {
      actor.start();
      await waitFor(() => stats.detectorRuns > 0, 20_000, "a first detector run");
      // The model goes away, then the Worker crashes: it can no longer be restarted.
      const model = `${modelsDir}/tiny.onnx`;
      await Deno.rename(model, `${model}.away`);
      width = CRASH_WIDTH;
      await waitFor(
        () => /cannot be restarted/.test(stats.lastError ?? ""),
        20_000,
        `lastError naming the detector (now ${stats.lastError})`,
      );
      assert.match(stats.lastError!, /tiny\.onnx/);
      // The model is back: a background restart works and analysis resumes on its own.
      await Deno.rename(`${model}.away`, model);
      width = 64;
      const runs = stats.detectorRuns;
      await waitFor(() => stats.detectorRuns > runs + 3, 30_000, "detector runs again");
      assert.equal(stats.lastError, null);
    } finally {
      clearInterval(camera);
      actor.stop();
      await pool.close();
      await Deno.remove(modelsDir, { recursive: true });
      await Deno.remove(dataDir, { recursive: true });
    }
  },
});
