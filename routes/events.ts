/**
 * Significant events: `GET /api/events?camera=&label=&kind=&from=&to=&limit=&cursor=` (newest
 * first), `GET /api/events/{id}`, `GET /api/events/{id}/snapshot.jpg` (the best frame with its
 * box), and `GET /api/events/stream`, a Server-Sent Events feed (`event: open|update|close`, data:
 * the event as JSON) for dashboards and the media server.
 *
 * @module
 */
import { createRoute, z } from "@hono/zod-openapi";
import { streamSSE } from "hono/streaming";
import { join } from "node:path";
import type { AppDeps } from "./shared/app_deps.ts";
import { eventsToReplay, eventView, getEvent, listEvents } from "../models/store/events.ts";
import { EVENT_KINDS } from "../models/analytics/settings_schema.ts";
import { NotFoundError, ValidationError } from "../models/errors.ts";
import { cameraFilter, tokenExists, type TokenInfo, tokenMaySee } from "../models/auth.ts";
import { isUuid, UUID_PATTERN } from "../models/ids.ts";
import type { FeedMessage } from "../actors/camera/event_recorder.ts";
import { requestToken } from "./shared/access.ts";
import { apiApp, errorReplies, jsonReply } from "./openapi.ts";
import { IdParam, Instant, pageOf, rangeIsOrdered, SeriesQuery, Uuid, UuidOut } from "./schemas.ts";

/** Messages a slow feed subscriber may lag behind before it is disconnected. */
const FEED_BACKLOG = 1000;
/** Comment lines keep proxies from closing an idle feed. */
const FEED_HEARTBEAT_MS = 15_000;
/** Events one resume replays at most; beyond, `event: truncated` tells the client to re-list. */
export const REPLAY_LIMIT = 1000;
/**
 * A resume waits this long before reading the database: an event published just before the
 * client reconnected may still be in its camera's writer, which writes within 250 ms.
 */
export const REPLAY_SETTLE_MS = 500;

/** An event as the API and the live feed show it (models/store/events.ts `EventView`). */
export const Event = z.object({
  id: UuidOut,
  camera: UuidOut,
  kind: z.enum(EVENT_KINDS),
  label: z.string().nullable(),
  trackId: UuidOut.nullable(),
  zone: z.string().nullable().openapi({ description: "The zone or line, for zone events" }),
  startedAt: Instant,
  endedAt: Instant.nullable().openapi({ description: "null while the event is open" }),
  bestScore: z.number().nullable(),
  hasSnapshot: z.boolean().openapi({
    description: "Whether `GET /api/events/{id}/snapshot.jpg` has the best frame",
  }),
  details: z.record(z.string(), z.unknown()).openapi({
    description: "Kind-specific facts (a line crossing's direction...)",
  }),
}).openapi("Event");

const tags = ["events"];

const list = createRoute({
  method: "get",
  path: "/",
  summary: "Events, newest first",
  description: "`from` inclusive, `to` exclusive (on the start time), ISO 8601 with a zone.",
  tags,
  request: {
    query: SeriesQuery.extend({
      kind: z.enum(EVENT_KINDS).optional(),
      cursor: z.string().regex(UUID_PATTERN, "is not valid").optional().openapi({
        description: "The `next` of the previous page",
      }),
    }).superRefine(rangeIsOrdered),
  },
  responses: {
    200: jsonReply(pageOf(Event).openapi("EventPage"), "One page"),
    ...errorReplies({ 422: "`from` is at or after `to`" }),
  },
});

const stream = createRoute({
  method: "get",
  path: "/stream",
  summary: "The live event feed (Server-Sent Events)",
  description: "`event: ready` once, then `open`, `update` and `close` with the event as JSON " +
    "data and its id as the SSE id; `: keep-alive` comments every 15 s. A subscriber more than " +
    `${FEED_BACKLOG} messages behind is disconnected.\n\n` +
    "**Resume**: a client that reconnects with `Last-Event-ID` (the id of the last message it " +
    "got; EventSource sends it by itself) first receives, after `ready`, what it may have missed, " +
    "from the database: every event that started after that one (as `open`, or `close` if it has " +
    "ended) and every earlier event that ended since (`close`), oldest change first, each with " +
    "its state now and only of cameras the token may see (and `camera`, if given); then the feed " +
    `goes on live. At most ${REPLAY_LIMIT} are replayed: when more were missed, ` +
    "`event: truncated` follows them, and the client should list `GET /api/events` instead. " +
    "Delivery is at least once: an event may come again (its id is the key).",
  tags,
  request: {
    query: z.strictObject({ camera: Uuid.optional() }),
    headers: z.object({
      "last-event-id": z.string().optional().openapi({
        description: "Resume after this event id (a UUID)",
      }),
    }),
  },
  responses: {
    200: {
      description: "The feed",
      content: { "text/event-stream": { schema: z.string() } },
    },
    ...errorReplies({
      400: "`Last-Event-ID` is not an event id",
      404: "The camera is unknown to this token",
    }),
  },
});

const get = createRoute({
  method: "get",
  path: "/{id}",
  summary: "One event",
  tags,
  request: { params: IdParam },
  responses: {
    200: jsonReply(Event, "The event"),
    ...errorReplies({ 404: "No such event" }),
  },
});

const snapshot = createRoute({
  method: "get",
  path: "/{id}/snapshot.jpg",
  summary: "The event's best frame, its box drawn",
  tags,
  request: { params: IdParam },
  responses: {
    200: {
      description: "A JPEG",
      content: { "image/jpeg": { schema: z.string().openapi({ format: "binary" }) } },
    },
    ...errorReplies({ 404: "No such event, or it has no snapshot" }),
  },
});

/**
 * @param deps the running system
 * @returns the sub-app, mounted at `/api/events`
 */
export function eventRoutes(deps: AppDeps) {
  const { db, events: bus, dataDir } = deps;
  /** An event of a camera the token may not see answers as a missing one. */
  const visibleEvent = async (token: TokenInfo, id: string) => {
    const event = await getEvent(db.sql, id);
    if (!tokenMaySee(token, event.cameraId)) throw new NotFoundError(`event ${id}`);
    return event;
  };
  const shutdown = deps.shutdown ?? new AbortController().signal;
  const heartbeatMs = deps.feedHeartbeatMs ?? FEED_HEARTBEAT_MS;
  return apiApp()
    .openapi(list, async (c) => {
      const query = c.req.valid("query");
      const filter = cameraFilter(requestToken(c), query.camera);
      if (filter === "none") return c.json({ items: [], next: null }, 200);
      return c.json(
        await listEvents(db.sql, { ...query, ...filter, cursor: query.cursor?.toLowerCase() }),
        200,
      );
    })
    .openapi(stream, (c) => {
      const { camera } = c.req.valid("query");
      const resumeAfter = c.req.valid("header")["last-event-id"]?.trim().toLowerCase();
      const token = requestToken(c);
      if (camera !== undefined && !tokenMaySee(token, camera)) {
        throw new NotFoundError(`camera ${camera}`);
      }
      if (resumeAfter !== undefined && !isUuid(resumeAfter)) {
        throw new ValidationError("Last-Event-ID is not an event id", "Last-Event-ID", 400);
      }
      return streamSSE(c, async (stream) => {
        const queue: FeedMessage[] = [];
        let wake: (() => void) | undefined;
        let overflow = false;
        const unsubscribe = bus.subscribe((message) => {
          if (camera && message.event.camera !== camera) return;
          // Checked per message: a token limited to cameras follows only theirs.
          if (!tokenMaySee(token, message.event.camera)) return;
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
          // Subscribed first, then the database: what happens meanwhile comes live (perhaps
          // twice), and nothing falls between.
          const filter = cameraFilter(token, camera);
          if (resumeAfter !== undefined && filter !== "none") {
            await new Promise((resolve) => setTimeout(resolve, REPLAY_SETTLE_MS));
            const missed = await eventsToReplay(db.sql, {
              after: resumeAfter,
              ...filter,
              limit: REPLAY_LIMIT,
            });
            for (const event of missed.events) {
              if (stream.aborted) break;
              await stream.writeSSE({
                event: event.endedAt === null ? "open" : "close",
                id: event.id,
                data: JSON.stringify(event),
              });
            }
            if (missed.truncated) {
              await stream.writeSSE({
                event: "truncated",
                data: JSON.stringify({ replayed: REPLAY_LIMIT }),
              });
            }
          }
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
              heartbeat = setTimeout(resolve, heartbeatMs);
            });
            clearTimeout(heartbeat);
            wake = undefined;
            if (queue.length === 0 && !stream.aborted) {
              // A revoked token loses the feed it opened (auth off: UNLIMITED has no id).
              if (deps.auth && token.id !== "" && !(await tokenExists(db.sql, token.id))) {
                end();
                break;
              }
              await stream.write(": keep-alive\n\n");
            }
          }
        } finally {
          unsubscribe();
          shutdown.removeEventListener("abort", end);
        }
      });
    })
    .openapi(
      get,
      async (c) =>
        c.json(eventView(await visibleEvent(requestToken(c), c.req.valid("param").id)), 200),
    )
    .openapi(snapshot, async (c) => {
      const event = await visibleEvent(requestToken(c), c.req.valid("param").id);
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
