/**
 * Detect where things move keeps a full frame at least every FULL_FRAME_REFRESH_MS while something
 * is tracked (motion_regions.ts): under load the shared detector replaces a camera's waiting
 * frame by its next one (`skipped`), and a skipped full frame must not count as the refresh.
 */
import assert from "node:assert/strict";
import { createActor } from "xstate";
import { createAnalysisLogic, emptyAnalysisStats } from "../../../actors/camera/analysis.ts";
import { createEventRecorder, type FeedMessage } from "../../../actors/camera/event_recorder.ts";
import type { DetectorPool } from "../../../actors/camera/detector_pool.ts";
import { createEventBus } from "../../../models/event_bus.ts";
import { FrameSlot } from "../../../models/media/frame_slot.ts";
import { parseAnalyticsSettings } from "../../../models/analytics/settings.ts";
import { FULL_FRAME_REFRESH_MS } from "../../../models/analytics/motion_regions.ts";
import type { DetectOutcome } from "../../../models/detectors/shared_detector.ts";
import type { DetectOptions, Frame } from "../../../models/detectors/types.ts";
import { uuidv7 } from "../../../models/ids.ts";
import { waitFor } from "../../support/rtsp.ts";

const WIDTH = 320;
const HEIGHT = 180;

function frameWithBlock(x: number): Uint8Array {
  const data = new Uint8Array(WIDTH * HEIGHT * 3).fill(90);
  for (let y = 120; y < 160; y++) data.fill(250, (y * WIDTH + x) * 3, (y * WIDTH + x + 20) * 3);
  return data;
}

Deno.test({
  name:
    "a full-frame refresh the detector skipped is sent again at once, not a refresh period later",
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    const dataDir = await Deno.makeTempDir({ prefix: "vigil-analysis-refresh-" });
    const calls: { at: number; full: boolean; skipped: boolean }[] = [];
    let fullFrames = 0;
    // A person always there; every full frame after the first is replaced in the detector's
    // slot by the camera's next frame (what a busy shared detector does).
    const detector = {
      detect(_camera: string, _frame: Frame, options: DetectOptions): Promise<DetectOutcome> {
        const full = options.regions === undefined;
        const skipped = full && fullFrames++ > 0;
        calls.push({ at: performance.now(), full, skipped });
        return Promise.resolve(
          skipped ? { status: "skipped" } : {
            status: "done",
            inferenceMs: 1,
            detections: [{ label: "person", classId: 0, score: 0.9, box: [100, 60, 140, 160] }],
          },
        );
      },
    };
    const pool = {
      get: () => Promise.resolve(detector),
      opened: () => undefined,
    } as unknown as DetectorPool;
    const cameraId = uuidv7();
    const settings = parseAnalyticsSettings(
      { detector: "fake", fps: 10, classes: ["person"], rules: { motionCrops: true } },
      { models: ["fake"], labels: { fake: ["person"] } },
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
      slot.put({
        width: WIDTH,
        height: HEIGHT,
        data: frameWithBlock(x),
        ts: Date.now(),
        seq: seq++,
      });
    }, 50);
    try {
      actor.start();
      await waitFor(
        () => calls.some((c) => c.skipped),
        FULL_FRAME_REFRESH_MS + 5000,
        "a skipped refresh",
      );
      const skippedAt = calls.find((c) => c.skipped)!.at;
      await new Promise((r) => setTimeout(r, 1500));
      const again = calls.find((c) => c.full && c.at > skippedAt);
      assert.ok(
        again !== undefined && again.at - skippedAt < 1000,
        `next full frame ${
          again ? Math.round(again.at - skippedAt) + " ms" : "not within 1500 ms"
        } after the skipped one; ` +
          `runs since: ${
            calls.filter((c) => c.at > skippedAt).map((c) => (c.full ? "F" : "c")).join("")
          }`,
      );
    } finally {
      clearInterval(camera);
      actor.stop();
      await Deno.remove(dataDir, { recursive: true });
    }
  },
});
