/**
 * compileRecord and its clips (`/api/records`: create by range or event, list, read, file with
 * HTTP ranges, verify, delete). A request is checked before anything is written: an unknown camera
 * or event is 404; a range backwards, over 24 h or without any recording is 422.
 * Routes and replies: GET /api/openapi.json.
 *
 * @module
 */
import { createRoute, z } from "@hono/zod-openapi";
import type { AppDeps } from "./shared/app_deps.ts";
import { getCamera } from "../models/store/cameras.ts";
import { getEvent } from "../models/store/events.ts";
import { segmentsBetween } from "../models/store/segments.ts";
import {
  deleteRecord,
  getRecord,
  insertRecord,
  listRecords,
  recordView,
} from "../models/store/records.ts";
import { CapacityError, ConflictError, NotFoundError, VigilError } from "../models/errors.ts";
import { uuidv7 } from "../models/ids.ts";
import { DEFAULT_RECORDING_SETTINGS, readStoredRecording } from "../models/recording/settings.ts";
import { recordFile } from "../models/recording/paths.ts";
import { sha256File } from "../models/media/file_hash.ts";
import { apiApp, errorReplies, jsonBody, jsonReply } from "./openapi.ts";
import { mp4FileReplies, serveFile } from "./shared/file_reply.ts";
import { boxBaseUrls } from "../models/store/leases.ts";
import { IdParam, Instant, isInstant, pageOf, PageQuery, Uuid, UuidOut } from "./schemas.ts";

/** The longest clip. */
export const MAX_CLIP_HOURS = 24;
const HOUR_MS = 3_600_000;

const BodyInstant = z.string()
  .refine(isInstant, "must be an ISO 8601 time with a zone, e.g. 2026-11-25T14:00:00Z")
  .transform((raw) => new Date(raw))
  .openapi({ format: "date-time", example: "2026-11-25T14:00:00Z" });

const CompileRequest = z.strictObject({
  camera: Uuid.optional(),
  from: BodyInstant.optional(),
  to: BodyInstant.optional(),
  event: Uuid.optional().openapi({ description: "Instead of a range: this event ± its roll" }),
  annotated: z.boolean().optional().openapi({
    description: "Burn in the stored detections' boxes and labels (re-encoded; slower)",
  }),
}).superRefine((body, ctx) => {
  const issue = (path: string, message: string) =>
    ctx.addIssue({ code: "custom", path: [path], message });
  if (body.event !== undefined) {
    for (const field of ["camera", "from", "to"] as const) {
      if (body[field] !== undefined) issue(field, "must be left out when event is given");
    }
    return;
  }
  for (const field of ["camera", "from", "to"] as const) {
    if (body[field] === undefined) issue(field, "is required (or give event instead)");
  }
  // Refinements run even when a field failed its own check: compare only parsed times.
  if (body.from instanceof Date && body.to instanceof Date) {
    if (body.from.getTime() >= body.to.getTime()) issue("from", "must be before to");
    else if (body.to.getTime() - body.from.getTime() > MAX_CLIP_HOURS * HOUR_MS) {
      issue("to", `must be at most ${MAX_CLIP_HOURS} h after from`);
    }
  }
}).openapi("CompileRequest", {
  description: "Either `camera`, `from` and `to`, or `event`",
  example: {
    camera: "0192f0c4-6a1e-7b3c-8d2e-1f2a3b4c5d6e",
    from: "2026-11-25T14:00:00Z",
    to: "2026-11-25T14:01:00Z",
  },
});

const Span = z.object({ from: Instant, to: Instant });
const Record = z.object({
  id: UuidOut,
  camera: UuidOut,
  event: UuidOut.nullable(),
  from: Instant,
  to: Instant,
  annotated: z.boolean(),
  state: z.enum(["queued", "running", "done", "failed"]),
  progress: z.number().openapi({ description: "0..1" }),
  durationS: z.number().nullable(),
  bytes: z.number().int().nullable(),
  sha256: z.string().nullable().openapi({ description: "Of the file, stored at compile time" }),
  gaps: z.array(Span).openapi({ description: "Parts of the range without recording; skipped" }),
  missing: z.array(z.object({
    from: Instant,
    to: Instant,
    box: UuidOut.nullable().openapi({ description: "The box that recorded it" }),
    reason: z.string(),
  })).openapi({
    description: "Parts recorded by a box that could not be reached when the clip was " +
      "compiled: left out (they are in `gaps` too)",
  }),
  box: UuidOut.nullable().openapi({
    description: "The box that compiled the clip: its file is served there (another box " +
      "answers 307)",
  }),
  error: z.string().nullable(),
  createdAt: Instant,
  startedAt: Instant.nullable(),
  finishedAt: Instant.nullable(),
  file: z.string().nullable().openapi({ description: "Where the MP4 is, once done" }),
}).openapi("Record");

const Verification = z.object({
  sha256: z.string().openapi({ description: "The file's SHA-256 now" }),
  stored: z.string().openapi({ description: "The SHA-256 stored when it was compiled" }),
  matches: z.boolean(),
}).openapi("RecordVerification");

const tags = ["records"];
const NOT_FOUND = { 404: "No such record" } as const;
const NOT_READY = { 409: "The clip is not compiled (yet, or it failed)" } as const;
const ELSEWHERE = {
  307: {
    description: "Another box compiled the clip: the same path on that box",
    headers: { location: { schema: { type: "string" as const } } },
  },
} as const;

const create = createRoute({
  method: "post",
  path: "/",
  summary: "compileRecord: build one MP4 of a range or an event",
  description: "Stream copy cut on keyframes (fast), or re-encoded with boxes when `annotated`. " +
    "Jobs run one at a time by default and survive a restart.",
  tags,
  request: { body: jsonBody(CompileRequest) },
  responses: {
    202: jsonReply(Record, "Queued"),
    ...errorReplies({
      404: "No such camera or event",
      422: "A field is wrong, or the range holds no recording",
    }),
  },
});

const list = createRoute({
  method: "get",
  path: "/",
  summary: "Compile jobs, newest first",
  tags,
  request: {
    query: z.strictObject({
      camera: Uuid.optional(),
      ...PageQuery.shape,
      // Jobs are paged by id (UUIDv7, so by creation time).
      cursor: Uuid.optional().openapi({ description: "The `next` of the previous page" }),
    }),
  },
  responses: { 200: jsonReply(pageOf(Record).openapi("RecordPage"), "One page") },
});

const get = createRoute({
  method: "get",
  path: "/{id}",
  summary: "A compile job: state, progress and result",
  tags,
  request: { params: IdParam },
  responses: { 200: jsonReply(Record, "The job"), ...errorReplies(NOT_FOUND) },
});

const file = createRoute({
  method: "get",
  path: "/{id}/file",
  summary: "The compiled MP4",
  description: "Single byte ranges answer 206; `ETag` is the SHA-256.",
  tags,
  request: { params: IdParam },
  responses: {
    ...mp4FileReplies("The clip"),
    ...ELSEWHERE,
    ...errorReplies({ ...NOT_FOUND, ...NOT_READY }),
  },
});

/** `verify` re-hashes whole clips: at most this many at once, so requests cannot pile up reads. */
export const MAX_VERIFYING = 2;
/** A refused check may try again after this many seconds. */
const VERIFY_RETRY_S = 5;

const verify = createRoute({
  method: "get",
  path: "/{id}/verify",
  summary: "Re-hash the clip and compare with the SHA-256 stored at compile time",
  tags,
  description: `At most ${MAX_VERIFYING} checks run at once (a 24 h clip takes a while to ` +
    "re-hash); past that, 503 with Retry-After.",
  request: { params: IdParam },
  responses: {
    200: jsonReply(Verification, "The check"),
    ...ELSEWHERE,
    ...errorReplies({
      ...NOT_FOUND,
      ...NOT_READY,
      503: "As many checks as the box allows are running (Retry-After)",
    }),
  },
});

const remove = createRoute({
  method: "delete",
  path: "/{id}",
  summary: "Delete a job and its clip (a running job is stopped)",
  description: "On several boxes the box that claimed the job deletes it (its file and its " +
    "ffmpeg are there): another box answers 307 to it.",
  tags,
  request: { params: IdParam },
  responses: { 204: { description: "Deleted" }, ...ELSEWHERE, ...errorReplies(NOT_FOUND) },
});

/**
 * @param deps the running system
 * @returns the sub-app, mounted at `/api/records`
 */
export function recordRoutes(deps: AppDeps) {
  const { db, compiler, dataDir, cluster, boxId } = deps;
  const maxVerifying = deps.maxVerifying ?? MAX_VERIFYING;
  let verifying = 0;

  /** The finished clip of a job, or 404/409. */
  const finished = async (id: string) => {
    const record = await getRecord(db.sql, id);
    if (record.status !== "done" || !record.sha256) {
      throw new ConflictError(`record ${id} is ${record.status}: its clip is not ready`);
    }
    return { record, path: recordFile(dataDir, id), sha256: record.sha256 };
  };
  /** Where the clip's file is when another box of the cluster compiled it. */
  const elsewhere = async (record: { boxId: string | null }, url: string) => {
    if (!cluster || !record.boxId || record.boxId === boxId) return undefined;
    const base = (await boxBaseUrls(db.sql, [record.boxId])).get(record.boxId);
    if (!base) return undefined;
    const { pathname, search } = new URL(url);
    return `${base}${pathname}${search}`;
  };

  return apiApp()
    .openapi(create, async (c) => {
      const body = c.req.valid("json");
      let camera: string;
      let from: Date;
      let to: Date;
      let eventId: string | null = null;
      if (body.event !== undefined) {
        const event = await getEvent(db.sql, body.event);
        const stored = readStoredRecording(
          (await getCamera(db.sql, event.cameraId)).desired.recording,
        );
        const roll = stored?.settings ?? DEFAULT_RECORDING_SETTINGS;
        camera = event.cameraId;
        eventId = event.id;
        from = new Date(event.startedAt - roll.preRollS * 1000);
        to = new Date(Math.min(event.endedAt ?? Date.now(), Date.now()) + roll.postRollS * 1000);
        if (to.getTime() - from.getTime() > MAX_CLIP_HOURS * HOUR_MS) {
          throw new VigilError(
            "invalid_input",
            `event: event ${event.id} with its roll lasts over ${MAX_CLIP_HOURS} h; ask for a range`,
          );
        }
      } else {
        camera = body.camera!;
        from = body.from!;
        to = body.to!;
        await getCamera(db.sql, camera);
      }
      const segments = await segmentsBetween(db.sql, camera, from, to);
      if (segments.length === 0) {
        throw new VigilError(
          "no_recording",
          `camera ${camera} has no recording between ${from.toISOString()} and ${to.toISOString()}`,
        );
      }
      const record = await insertRecord(db.sql, {
        id: uuidv7(),
        cameraId: camera,
        eventId,
        from,
        to,
        annotated: body.annotated ?? false,
      });
      compiler.wake();
      c.header("Location", `/api/records/${record.id}`);
      return c.json(recordView(record), 202);
    })
    .openapi(list, async (c) => {
      const { camera, limit, cursor } = c.req.valid("query");
      return c.json(
        await listRecords(db.sql, { camera, limit, cursor }),
        200,
      );
    })
    .openapi(
      get,
      async (c) => c.json(recordView(await getRecord(db.sql, c.req.valid("param").id)), 200),
    )
    .openapi(file, async (c) => {
      const { record, path, sha256 } = await finished(c.req.valid("param").id);
      const there = await elsewhere(record, c.req.url);
      if (there) return c.redirect(there, 307);
      return await serveFile(c, path, sha256);
    })
    .openapi(verify, async (c) => {
      const { record, path, sha256: stored } = await finished(c.req.valid("param").id);
      const there = await elsewhere(record, c.req.url);
      if (there) return c.redirect(there, 307);
      if (verifying >= maxVerifying) {
        throw new CapacityError(
          `records: ${maxVerifying} clip checks are running, the most this box allows`,
          VERIFY_RETRY_S,
        );
      }
      verifying++;
      let sha256: string;
      try {
        sha256 = await sha256File(path);
      } catch {
        throw new NotFoundError(`the clip file of record ${c.req.valid("param").id}`);
      } finally {
        verifying--;
      }
      return c.json({ sha256, stored, matches: sha256 === stored }, 200);
    })
    .openapi(remove, async (c) => {
      const { id } = c.req.valid("param");
      const record = await getRecord(db.sql, id);
      // The clip's file (or the compile) is on the box that claimed it: deleting the row here
      // would leave that file there for good.
      const there = await elsewhere(record, c.req.url);
      if (there) return c.redirect(there, 307);
      await compiler.cancel(id);
      await deleteRecord(db.sql, id);
      await Deno.remove(recordFile(dataDir, id)).catch(() => {});
      return c.body(null, 204);
    });
}
