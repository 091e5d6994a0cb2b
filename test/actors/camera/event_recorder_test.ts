import assert from "node:assert/strict";
import { createEventRecorder, type FeedMessage } from "../../../actors/camera/event_recorder.ts";
import type { EventRow } from "../../../models/store/events.ts";
import { createEventBus } from "../../../models/event_bus.ts";
import { configureLogging } from "../../../models/log.ts";
import type { EventAction } from "../../../models/analytics/event_types.ts";

const CAMERA = "01a21446-3c04-7299-9d98-2899dbc2bc75";
const TRACK = "01a21446-3c04-7299-9d98-2899dbc2bc76";

function frame(width = 32, height = 24) {
  return { width, height, data: new Uint8Array(width * height * 3).fill(90) };
}

function open(key: string, zone?: string): EventAction {
  return {
    type: "open",
    key,
    event: {
      kind: zone ? "zone" : "object",
      label: "person",
      trackId: TRACK,
      zone,
      startedAt: 1_000,
      score: 0.6,
      box: [4, 4, 20, 20],
    },
  };
}

Deno.test({
  name: "an event is opened, improved and closed as upserts of one row, with a snapshot",
  sanitizeResources: false,
  async fn() {
    const dataDir = await Deno.makeTempDir({ prefix: "vigil-recorder-" });
    const rows: EventRow[] = [];
    const feed: FeedMessage[] = [];
    const bus = createEventBus<FeedMessage>();
    bus.subscribe((m) => feed.push(m));
    const recorder = createEventRecorder({
      cameraId: CAMERA,
      writer: { push: (row) => rows.push(row) },
      bus,
      dataDir,
    });
    try {
      await recorder.apply([open("object:1")], frame());
      assert.equal(recorder.openCount(), 1);
      await recorder.apply([{
        type: "update-best",
        key: "object:1",
        score: 0.9,
        box: [5, 5, 21, 21],
      }]);
      await recorder.apply([{ type: "close", key: "object:1", endedAt: 5_000 }]);
      await recorder.settled();
      assert.deepEqual(feed.map((m) => m.action), ["open", "update", "close"]);
      assert.equal(new Set(rows.map((r) => r.id)).size, 1, "one event id throughout");
      assert.equal(rows.at(-1)?.endedAt, 5_000);
      assert.equal(rows.at(-1)?.bestScore, 0.9);
      const snapshot = rows[0]!.snapshot!;
      const jpeg = await Deno.readFile(`${dataDir}/snapshots/${CAMERA}/${snapshot}`);
      assert.deepEqual([...jpeg.subarray(0, 2)], [0xff, 0xd8]);
      assert.equal(recorder.openCount(), 0);
    } finally {
      await Deno.remove(dataDir, { recursive: true });
    }
  },
});

Deno.test("one failing event action does not skip the others in its batch", async () => {
  const dataDir = await Deno.makeTempDir({ prefix: "vigil-recorder-" });
  configureLogging("error", () => {});
  const rows: EventRow[] = [];
  const recorder = createEventRecorder({
    cameraId: CAMERA,
    writer: {
      push(row) {
        if (row.zone === "refused") throw new Error("the database would refuse this row");
        rows.push(row);
      },
    },
    bus: createEventBus<FeedMessage>(),
    dataDir,
  });
  try {
    await recorder.apply([open("object:1")]);
    await recorder.apply([open("zone:refused:1", "refused"), {
      type: "close",
      key: "object:1",
      endedAt: 9_000,
    }]);
    assert.equal(rows.at(-1)?.endedAt, 9_000, "the close after the failure was recorded");
  } finally {
    configureLogging("info", (line) => console.error(line));
    await Deno.remove(dataDir, { recursive: true });
  }
});
