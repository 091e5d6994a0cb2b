/**
 * Significant events: `GET /api/events?camera=&label=&kind=&from=&to=&limit=&cursor=` (newest
 * first), `GET /api/events/:id`, `GET /api/events/:id/snapshot.jpg` (the best frame with its box),
 * and `GET /api/events/stream`, a Server-Sent Events feed (`event: open|update|close`, data: the
 * event as JSON) for dashboards and the media server.
 *
 * @module
 */
import { Hono } from "hono";
import { streamSSE } from "hono/streaming";
import { join } from "node:path";
import type { AppDeps } from "./app.ts";
import { pageParams, seriesFilters, uuidParam } from "./validate.ts";
import { eventView, getEvent, listEvents } from "../models/store/events.ts";
import { EVENT_KINDS } from "../models/analytics/settings.ts";
import { NotFoundError, ValidationError } from "../models/errors.ts";
import { isUuid } from "../models/ids.ts";
import type { FeedMessage } from "../actors/event_recorder.ts";

const KNOWN = ["camera", "label", "kind", "from", "to", "limit", "cursor"];
/** Messages a slow feed subscriber may lag behind before it is disconnected. */
const FEED_BACKLOG = 1000;
/** Comment lines keep proxies from closing an idle feed. */
const FEED_HEARTBEAT_MS = 15_000;

/**
 * @param deps the running system
 * @returns the sub-app, mounted at `/api/events`
 */
export function eventRoutes(deps: AppDeps): Hono {
  const { db, events: bus, dataDir } = deps;
  const shutdown = deps.shutdown ?? new AbortController().signal;
  return new Hono()
    .get("/", async (c) => {
      const filters = seriesFilters(c, KNOWN);
      const rawKind = c.req.query("kind");
      const kind = EVENT_KINDS.find((k) => k === rawKind);
      if (rawKind !== undefined && !kind) {
        throw new ValidationError(`kind must be one of ${EVENT_KINDS.join(", ")}`, "kind", 400);
      }
      const { limit, cursor } = pageParams(c);
      if (cursor !== undefined && !isUuid(cursor)) {
        throw new ValidationError("cursor is not valid", "cursor", 400);
      }
      return c.json(await listEvents(db.sql, { ...filters, kind, limit, cursor }));
    })
    .get("/stream", (c) => {
      const raw = c.req.query("camera");
      if (raw !== undefined && !isUuid(raw)) {
        throw new ValidationError("camera must be a UUID", "camera", 400);
      }
      const camera = raw?.toLowerCase();
      return streamSSE(c, async (stream) => {
        const queue: FeedMessage[] = [];
        let wake: (() => void) | undefined;
        let overflow = false;
        const unsubscribe = bus.subscribe((message) => {
          if (camera && message.event.camera !== camera) return;
          if (queue.length >= FEED_BACKLOG) overflow = true;
          else queue.push(message);
          wake?.();
        });
        // The server is stopping: end the feed, or Deno.serve's shutdown would wait for it.
        const end = () => {
          unsubscribe();
          wake?.();
          stream.abort();
        };
        stream.onAbort(end);
        if (shutdown.aborted) end();
        shutdown.addEventListener("abort", end, { once: true });
        try {
          await stream.writeSSE({ event: "ready", data: "{}" });
          while (!stream.aborted && !overflow) {
            const message = queue.shift();
            if (message) {
              await stream.writeSSE({
                event: message.action,
                id: message.event.id,
                data: JSON.stringify(message.event),
              });
              continue;
            }
            let heartbeat: ReturnType<typeof setTimeout> | undefined;
            await new Promise<void>((resolve) => {
              wake = resolve;
              heartbeat = setTimeout(resolve, FEED_HEARTBEAT_MS);
            });
            clearTimeout(heartbeat);
            wake = undefined;
            if (queue.length === 0 && !stream.aborted) await stream.write(": keep-alive\n\n");
          }
        } finally {
          unsubscribe();
          shutdown.removeEventListener("abort", end);
        }
      });
    })
    .get("/:id", async (c) => c.json(eventView(await getEvent(db.sql, uuidParam(c, "id")))))
    .get("/:id/snapshot.jpg", async (c) => {
      const event = await getEvent(db.sql, uuidParam(c, "id"));
      if (!event.snapshot) throw new NotFoundError(`snapshot of event ${event.id}`);
      // Both parts were checked when the row was written (UUID, `<uuid>.jpg`).
      const path = join(dataDir, "snapshots", event.cameraId, event.snapshot);
      let jpeg: Uint8Array<ArrayBuffer>;
      try {
        jpeg = await Deno.readFile(path);
      } catch {
        throw new NotFoundError(`snapshot of event ${event.id}`);
      }
      return c.body(jpeg, 200, { "content-type": "image/jpeg", "cache-control": "max-age=3600" });
    });
}
