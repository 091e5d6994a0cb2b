/**
 * Turns the event logic's actions (open / update-best / close, see models/analytics/events.ts)
 * into what users see: an event row upserted through the camera's events writer, a JPEG snapshot
 * of the best frame with the box drawn (in `<dataDir>/snapshots/<camera>/<event>.jpg`), a message
 * on the live feed, and an optional webhook POST.
 *
 * @module
 */
import { join } from "node:path";
import type { EventAction } from "../../models/analytics/event_types.ts";
import type { WebhookSettings } from "../../models/analytics/settings.ts";
import { drawBoxes } from "../../models/analytics/draw.ts";
import { normalizeBox } from "../../models/analytics/geometry.ts";
import type { Frame } from "../../models/detectors/types.ts";
import { type EventRow, type EventView, eventView } from "../../models/store/events.ts";
import type { EventBus } from "../../models/event_bus.ts";
import { encodeJpeg } from "./snapshot.ts";
import { uuidv7 } from "../../models/ids.ts";
import { createLogger } from "../../models/log.ts";
import { snapshotDir } from "../../models/store/camera_data.ts";
import { postWebhook } from "./webhook.ts";
import {
  SNAPSHOT_MIN_INTERVAL_MS,
  SnapshotBudget,
} from "../../models/analytics/snapshot_budget.ts";

/** A message of the live event feed. */
export interface FeedMessage {
  /** What happened to the event. */
  action: "open" | "update" | "close";
  event: EventView;
}

/** What an event recorder writes to. */
export interface EventRecorderOptions {
  cameraId: string;
  /** The camera's events writer (upserts keyed by event id). */
  writer: { push(row: EventRow): void };
  /** The live feed. */
  bus: EventBus<FeedMessage>;
  /** Vigil's data dir; snapshots go under `snapshots/<camera>/`. */
  dataDir: string;
}

/** A frame, or only its size when the batch will draw no snapshot. */
type FrameSize = Frame | { width: number; height: number };

/** Records one camera's events. */
export interface EventRecorder {
  /**
   * Queues actions; batches are applied one after the other, in the order they were given.
   * `frame` is the frame they were computed on (for snapshots); absent for actions without a
   * frame (offline, detach).
   *
   * @returns settles when this batch is applied
   */
  apply(actions: readonly EventAction[], frame?: Frame, webhook?: WebhookSettings): Promise<void>;
  /** Settles when every queued batch is applied (before the writers stop). */
  settled(): Promise<void>;
  /** Events open now. */
  openCount(): number;
}

/**
 * Makes the recorder of one camera.
 *
 * @param options writer, feed, data dir
 * @returns the recorder
 */
export function createEventRecorder(options: EventRecorderOptions): EventRecorder {
  const { cameraId, writer, bus } = options;
  const log = createLogger("events", { camera: cameraId });
  const dir = snapshotDir(options.dataDir, cameraId);
  const open = new Map<string, { row: EventRow; snapshotAt: number; snapshotScore?: number }>();

  const snapshot = async (row: EventRow, frame: Frame, box: [number, number, number, number]) => {
    try {
      await Deno.mkdir(dir, { recursive: true });
      const jpeg = await encodeJpeg(drawBoxes(frame, [box]));
      const name = `${row.id}.jpg`;
      // Write then rename, so a reader never sees half a JPEG.
      await Deno.writeFile(join(dir, `${name}.tmp`), jpeg);
      await Deno.rename(join(dir, `${name}.tmp`), join(dir, name));
      return name;
    } catch (error) {
      log.warn("event snapshot failed", { event: row.id, error });
      return row.snapshot;
    }
  };

  const emit = (action: FeedMessage["action"], row: EventRow, webhook?: WebhookSettings) => {
    writer.push(row);
    const message = { action, event: eventView(row) };
    bus.publish(message);
    if (webhook && action !== "update" && webhook.events.includes(row.kind)) {
      postWebhook(webhook.url, message, log);
    }
  };

  const applyOne = async (
    action: EventAction,
    frame: FrameSize | undefined,
    webhook: WebhookSettings | undefined,
  ) => {
    if (action.type === "open") {
      const e = action.event;
      const box = frame && e.box ? normalizeBox(e.box, frame.width, frame.height) : undefined;
      const row: EventRow = {
        id: uuidv7(),
        cameraId,
        kind: e.kind,
        label: e.label ?? null,
        trackId: e.trackId ?? null,
        zone: e.zone ?? null,
        startedAt: e.startedAt,
        endedAt: null,
        bestScore: e.box ? e.score : null,
        snapshot: null,
        details: {
          ...e.details,
          ...(e.direction ? { direction: e.direction } : {}),
          ...(box ? { box } : {}),
        },
      };
      if (frame && "data" in frame && e.box) row.snapshot = await snapshot(row, frame, e.box);
      open.set(action.key, { row, snapshotAt: Date.now() });
      emit("open", row, webhook);
    } else if (action.type === "update-best") {
      const entry = open.get(action.key);
      if (!entry) return;
      entry.row = {
        ...entry.row,
        bestScore: action.score,
        details: {
          ...entry.row.details,
          ...(frame ? { box: normalizeBox(action.box, frame.width, frame.height) } : {}),
        },
      };
      if (frame && "data" in frame && Date.now() - entry.snapshotAt >= SNAPSHOT_MIN_INTERVAL_MS) {
        entry.snapshotAt = Date.now();
        entry.row.snapshot = await snapshot(entry.row, frame, action.box);
      }
      emit("update", entry.row);
    } else {
      const entry = open.get(action.key);
      if (!entry) return;
      open.delete(action.key);
      emit("close", { ...entry.row, endedAt: action.endedAt }, webhook);
    }
  };

  const applyNow = async (
    actions: readonly EventAction[],
    frame: FrameSize | undefined,
    webhook: WebhookSettings | undefined,
  ) => {
    // One action failing (a row the database would refuse) must not skip the others, such as
    // the close of an unrelated event.
    for (const action of actions) {
      try {
        await applyOne(action, frame, webhook);
      } catch (error) {
        log.error("an event action failed", { action: action.type, key: action.key, error });
      }
    }
  };

  let queue = Promise.resolve();
  const budget = new SnapshotBudget();

  return {
    apply(actions, frame, webhook) {
      const pixels = frame !== undefined && budget.admit(actions, Date.now());
      // Without pixels the batch keeps the frame's size only (boxes are stored normalised).
      const kept: FrameSize | undefined = frame
        ? (pixels ? frame : { width: frame.width, height: frame.height })
        : undefined;
      queue = queue.then(() => applyNow(actions, kept, webhook)).catch((error) => {
        log.error("recording events failed", { error });
      }).finally(() => {
        if (pixels) budget.release();
      });
      return queue;
    },
    settled: () => queue,
    openCount: () => open.size,
  };
}
