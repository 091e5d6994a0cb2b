/**
 * Issue 17, robustness: changing `rules` while attached must not drop the tracker's tracks behind
 * the event engine's back. The same object keeps its one event, every event that opened closes,
 * and nothing stays open once the object is gone.
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
import type { EventRow } from "../../../models/store/events.ts";
import { uuidv7 } from "../../../models/ids.ts";
import { TINY_MODEL, tinyModelsDir } from "../../support/tiny_models.ts";
import { waitFor } from "../../support/rtsp.ts";

Deno.test({
  name: "changing rules while attached keeps one event per object and closes every event",
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    const modelsDir = await tinyModelsDir();
    const dataDir = await Deno.makeTempDir({ prefix: "vigil-analysis-" });
    const pool = new DetectorPool(await readCatalog(modelsDir));
    const cameraId = uuidv7();
    const bus = createEventBus<FeedMessage>();
    const feed: FeedMessage[] = [];
    bus.subscribe((message) => feed.push(message));
    const rows: EventRow[] = [];
    const recorder = createEventRecorder({
      cameraId,
      writer: { push: (row) => rows.push(row) },
      bus,
      dataDir,
    });
    const settings = (rules: { confirmFrames: number; leaveAfterMs?: number }) =>
      parseAnalyticsSettings(
        { detector: TINY_MODEL, fps: 20, classes: ["person"], rules: { minMotion: 0, ...rules } },
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
        events: recorder,
        stats,
      }),
      { input: { settings: settings({ confirmFrames: 2 }) } },
    );
    let seq = 0;
    const camera = setInterval(() => {
      slot.put({ width: 64, height: 64, data: new Uint8Array(64 * 64 * 3), ts: Date.now(), seq });
      seq++;
    }, 50);
    const objects = () => feed.filter((m) => m.event.kind === "object");
    try {
      actor.start();
      await waitFor(() => objects().length > 0, 20_000, "the person's object event");
      for (const rules of [{ confirmFrames: 3 }, { confirmFrames: 1, leaveAfterMs: 3000 }]) {
        actor.send({ type: "ANALYTICS.SETTINGS", settings: settings(rules) });
        const runs = stats.detectorRuns;
        await waitFor(() => stats.detectorRuns >= runs + 10, 10_000, "detector runs");
      }
      await recorder.settled();
      const opened = objects().filter((m) => m.action === "open");
      assert.equal(opened.length, 1, "the same person has one object event");
      assert.equal(recorder.openCount(), 1, "one event is open: the person's");
      assert.equal(stats.tracks, 1);
    } finally {
      clearInterval(camera);
      actor.stop();
      await recorder.settled();
      await pool.close();
      await Deno.remove(modelsDir, { recursive: true });
      await Deno.remove(dataDir, { recursive: true });
    }
    assert.equal(recorder.openCount(), 0, "detach closes every event");
    const open = new Set(feed.filter((m) => m.action === "open").map((m) => m.event.id));
    const closed = new Set(feed.filter((m) => m.action === "close").map((m) => m.event.id));
    assert.deepEqual([...open].filter((id) => !closed.has(id)), [], "every opened event closed");
    assert.ok(rows.length >= 2, "the rows went to the writer");
  },
});
