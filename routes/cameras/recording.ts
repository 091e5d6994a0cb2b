/**
 * startRecording / stopRecording (`/api/cameras/{id}/recording`: PUT, GET, DELETE) and the
 * timeline (`GET /api/cameras/{id}/recordings`). A stop answers once the open segment is indexed
 * and keeps the settings (inactive), so retention keeps applying the camera's `retainDays`.
 * Routes and replies: GET /api/openapi.json.
 *
 * @module
 */
import { createRoute, z } from "@hono/zod-openapi";
import { OWNER_REDIRECT } from "../shared/owner.ts";
import type { AppDeps } from "../shared/app_deps.ts";
import { getCamera } from "../../models/store/cameras.ts";
import { recordedSince, segmentsBetween } from "../../models/store/segments.ts";
import { NotFoundError } from "../../models/errors.ts";
import {
  readStoredRecording,
  type RecordingSettings,
  RecordingSettingsInput,
  RecordingSettingsSchema,
  resolveRecordingSettings,
} from "../../models/recording/settings.ts";
import { timeline } from "../../models/recording/timeline.ts";
import type { RecorderStats } from "../../actors/recording/recorder_handle.ts";
import type { Fleet } from "../../actors/camera/fleet.ts";
import { apiApp, errorReplies, jsonBody, jsonReply } from "../openapi.ts";
import { IdParam, Instant, InstantQuery, rangeIsOrdered, UuidOut } from "../schemas.ts";

/** The longest range the timeline answers. */
export const MAX_TIMELINE_DAYS = 7;
const DAY_MS = 86_400_000;

const Live = z.object({
  recorder: z.enum(["idle", "connecting", "recording", "backoff"]).openapi({
    description: "What the recorder's ffmpeg is doing",
  }),
  currentSegment: z.object({
    startedAt: Instant.nullable(),
    bytes: z.number().int(),
  }).nullable().openapi({ description: "The segment being written (never served until done)" }),
  indexed: z.number().int().openapi({ description: "Segments indexed since recording started" }),
  rejected: z.number().int().openapi({ description: "Segments that failed their check" }),
  pending: z.number().int().openapi({ description: "Events mode: the rolling pre-roll" }),
  discarded: z.number().int().openapi({ description: "Events mode: segments no event needed" }),
  reconnects: z.number().int(),
  lastSegmentAt: Instant.nullable(),
  lastError: z.string().nullable(),
  video: z.string().nullable().openapi({ description: "The source's video codec" }),
  audio: z.enum(["copy", "aac", "none"]).nullable().openapi({
    description: "The camera's audio: copied, converted to AAC, or none",
  }),
  audioCodec: z.string().nullable(),
}).openapi("RecorderLive");

const Recording = z.object({
  camera: UuidOut,
  active: z.boolean().openapi({
    description: "Whether recording is on (restored after a restart)",
  }),
  state: z.enum(["idle", "recording", "finalizing"]),
  settings: RecordingSettingsSchema,
  live: Live.nullable().openapi({ description: "null while idle" }),
  today: z.object({
    bytes: z.number().int(),
    segments: z.number().int(),
  }).openapi({ description: "Segments indexed since midnight UTC" }),
}).openapi("Recording");

const Span = z.object({ from: Instant, to: Instant });
const Timeline = z.object({
  camera: UuidOut,
  from: Instant,
  to: Instant,
  intervals: z.array(Span).openapi({ description: "Covered by recording, oldest first" }),
  gaps: z.array(Span).openapi({ description: "Holes longer than 0.5 s" }),
  segments: z.number().int(),
  bytes: z.number().int(),
}).openapi("Timeline");

const TimelineQuery = z.strictObject({
  from: InstantQuery.optional().openapi({ description: "Default: `to` minus 24 h" }),
  to: InstantQuery.optional().openapi({ description: "Default: now" }),
}).superRefine(rangeIsOrdered).superRefine((query, ctx) => {
  // Refinements run even when a parameter failed its own check: compare only parsed times.
  if (!(query.from instanceof Date) || !(query.to instanceof Date)) return;
  if (query.to.getTime() - query.from.getTime() > MAX_TIMELINE_DAYS * DAY_MS) {
    ctx.addIssue({
      code: "custom",
      path: ["to"],
      message: `must be at most ${MAX_TIMELINE_DAYS} days after from`,
      params: { status: 422 },
    });
  }
});

const tags = ["recording"];
const NOT_FOUND = { 404: "No such camera" } as const;

const start = createRoute({
  method: "put",
  path: "/{id}/recording",
  summary: "startRecording: record continuously or around events",
  description: "Records the camera's main stream with stream copy into 10 s MP4 segments. While " +
    "recording, new settings apply without a gap.",
  tags,
  request: { params: IdParam, body: jsonBody(RecordingSettingsInput) },
  responses: {
    ...OWNER_REDIRECT,
    200: jsonReply(Recording, "Recording"),
    ...errorReplies(NOT_FOUND),
  },
});

const read = createRoute({
  method: "get",
  path: "/{id}/recording",
  summary: "The recording settings, state and live numbers",
  tags,
  request: { params: IdParam },
  responses: {
    200: jsonReply(Recording, "The recording"),
    ...errorReplies({ 404: "No such camera, or it was never asked to record" }),
  },
});

const stop = createRoute({
  method: "delete",
  path: "/{id}/recording",
  summary: "stopRecording: finish the open segment and stop",
  description: "Answers once the segment being written is finished and indexed.",
  tags,
  request: { params: IdParam },
  responses: {
    ...OWNER_REDIRECT,
    204: { description: "Stopped" },
    ...errorReplies({ ...NOT_FOUND, 503: "The segment could not be finished in time" }),
  },
});

const recordings = createRoute({
  method: "get",
  path: "/{id}/recordings",
  summary: "The timeline: recorded intervals and gaps of a range",
  description: `\`from\` inclusive, \`to\` exclusive, at most ${MAX_TIMELINE_DAYS} days.`,
  tags,
  request: { params: IdParam, query: TimelineQuery },
  responses: {
    200: jsonReply(Timeline, "The timeline"),
    ...errorReplies({
      ...NOT_FOUND,
      422: `\`from\` is at or after \`to\`, or \`to\` is over ${MAX_TIMELINE_DAYS} days after it`,
    }),
  },
});

/**
 * @param deps the running system
 * @returns the sub-app, mounted at `/api/cameras`
 */
export function recordingRoutes(deps: AppDeps) {
  const { db, fleet } = deps;
  const view = async (id: string, active: boolean, settings: RecordingSettings) => {
    const today = new Date(new Date().toISOString().slice(0, 10) + "T00:00:00Z");
    return {
      camera: id,
      active,
      state: fleet.status(id).recording,
      settings,
      live: liveView(fleet, id),
      today: await recordedSince(db.sql, id, today),
    };
  };
  return apiApp()
    .openapi(start, async (c) => {
      const { id } = c.req.valid("param");
      const settings = resolveRecordingSettings(c.req.valid("json"));
      await fleet.startRecording(id, settings);
      return c.json(await view(id, true, settings), 200);
    })
    .openapi(read, async (c) => {
      const { id } = c.req.valid("param");
      const stored = readStoredRecording((await getCamera(db.sql, id)).desired.recording);
      if (!stored) throw new NotFoundError(`recording of camera ${id}`);
      return c.json(await view(id, stored.active, stored.settings), 200);
    })
    .openapi(stop, async (c) => {
      await fleet.stopRecording(c.req.valid("param").id);
      return c.body(null, 204);
    })
    .openapi(recordings, async (c) => {
      const { id } = c.req.valid("param");
      const query = c.req.valid("query");
      await getCamera(db.sql, id);
      const to = query.to ?? new Date();
      const from = query.from ?? new Date(to.getTime() - DAY_MS);
      const segments = await segmentsBetween(db.sql, id, from, to);
      const { intervals, gaps } = timeline(
        segments.map((s) => ({ startMs: s.startedAt, endMs: s.endedAt })),
        { from: from.getTime(), to: to.getTime() },
      );
      const iso = (ms: number) => new Date(ms).toISOString();
      const spans = (list: { from: number; to: number }[]) =>
        list.map((s) => ({ from: iso(s.from), to: iso(s.to) }));
      return c.json({
        camera: id,
        from: from.toISOString(),
        to: to.toISOString(),
        intervals: spans(intervals),
        gaps: spans(gaps),
        segments: segments.length,
        bytes: segments.reduce((sum, s) => sum + s.bytes, 0),
      }, 200);
    });
}

function liveView(fleet: Fleet, id: string): z.infer<typeof Live> | null {
  const stats: RecorderStats | null = fleet.recorderStats(id);
  if (!stats) return null;
  const iso = (ms: number | null) => ms === null ? null : new Date(ms).toISOString();
  let bytes = 0;
  if (stats.current) {
    try {
      bytes = Deno.statSync(stats.current.file).size;
    } catch {
      // not created yet, or just finished and moved
    }
  }
  return {
    recorder: stats.state,
    currentSegment: stats.current ? { startedAt: iso(stats.current.startMs), bytes } : null,
    indexed: stats.indexed,
    rejected: stats.rejected,
    pending: stats.pending,
    discarded: stats.discarded,
    reconnects: stats.reconnects,
    lastSegmentAt: iso(stats.lastSegmentAt),
    lastError: stats.lastError,
    video: stats.video,
    audio: stats.audio,
    audioCodec: stats.audioCodec,
  };
}
