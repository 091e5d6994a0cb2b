/**
 * A camera as every route answers it (the `Camera` schema and {@linkcode cameraView}), and the
 * fields that name and reach one wherever a camera is added (`POST /api/cameras`, adopting a
 * discovered device).
 *
 * @module
 */
import { z } from "@hono/zod-openapi";
import type { Fleet } from "../../actors/camera/fleet.ts";
import type { Camera as CameraRow } from "../../models/store/cameras.ts";
import { desiredView } from "../../models/analytics/settings_view.ts";
import { analysisSource } from "../../models/media/analysis_source.ts";
import { streamPath } from "../../models/media/hub_plan.ts";
import { Instant, UuidOut } from "../schemas.ts";

/** A camera's name: printable text, unique. */
export const CameraName = z.string().min(1).max(100)
  // deno-lint-ignore no-control-regex -- refusing control characters is the point
  .regex(/^[^\x00-\x1f\x7f]*$/, "must be printable text")
  .openapi({ example: "front door" });
/** How ffmpeg pulls the stream. */
export const Transport = z.enum(["tcp", "udp"]).openapi({
  description: "RTSP transport (default tcp)",
});
/** ONVIF credentials; the password may be empty. */
export const OnvifUsername = z.string().min(1).max(128)
  // Stored as text: a NUL would reach PostgreSQL (500) and a control character a SOAP header.
  // deno-lint-ignore no-control-regex -- refusing control characters is the point
  .regex(/^[^\x00-\x1f\x7f]*$/, "must be printable text")
  .openapi({ example: "admin" });
/** ONVIF password (stored encrypted). */
export const OnvifPassword = z.string().max(256);

/** A move of an ONVIF camera that was not followed without an admin. */
export const SuspectedMove = z.object({
  xaddr: z.string().openapi({
    description: "The device service URL the claiming device announced",
  }),
  address: z.string().openapi({ description: "The address its discovery reply came from" }),
  seenAt: Instant,
  reasons: z.array(z.string()).openapi({ description: "Why it was not followed" }),
}).openapi("SuspectedMove");

/** One relay path of a camera: its puller and what flows through it. */
const HubPath = z.object({
  path: z.string().openapi({ example: "/cam/0192f0c4-6a1e-7b3c-8d2e-1f2a3b4c5d6e" }),
  streams: z.array(z.enum(["default", "main", "sub"])).openapi({
    description: "The stream names served by this path (names with one URL share it)",
  }),
  puller: z.enum(["idle", "connecting", "publishing", "backoff", "failed"]),
  pid: z.number().int().nullable().openapi({
    description:
      "The puller's ffmpeg while it runs; null while Vigil's own RTSP client pulls (plain RTSP over TCP) or nothing does",
  }),
  consumers: z.array(z.string()).openapi({ description: "capture, snapshot, reader..." }),
  readers: z.number().int(),
  bitrateKbps: z.number(),
  packetsIn: z.number().int(),
  packetsOut: z.number().int(),
  packetsDropped: z.number().int(),
  readersDropped: z.number().int(),
  reconnects: z.number().int(),
  lastError: z.string().nullable(),
}).openapi("HubPath");

/** The stream a camera's analysis decodes. */
const AnalysisStream = z.object({
  from: z.enum(["analysisUrl", "onvifProfile", "rtspUrl"]).openapi({
    description: "What chose it: the configured analysisUrl, the ONVIF analysis profile (the " +
      "smallest of at least 640x360), or the camera's own stream",
  }),
  url: z.string().openapi({ description: "The stream without credentials" }),
  path: z.string().openapi({
    description: "The relay path capture reads (an alias of /cam/<id> when it is rtspUrl)",
    example: "/cam/0192f0c4-6a1e-7b3c-8d2e-1f2a3b4c5d6e/sub",
  }),
  profile: z.object({
    token: z.string(),
    width: z.number().int().nullable(),
    height: z.number().int().nullable(),
  }).nullable().openapi({ description: "The ONVIF profile, when one was chosen" }),
}).openapi("AnalysisStream");

/** A camera as every route answers it. */
export const Camera = z.object({
  id: UuidOut,
  name: z.string(),
  rtspUrl: z.string().openapi({ description: "The source without credentials" }),
  recordUrl: z.string().nullable().openapi({ description: "What is recorded, if not rtspUrl" }),
  analysisUrl: z.string().nullable().openapi({
    description: "The configured stream analysis decodes instead of rtspUrl, if any",
  }),
  analysis: AnalysisStream.openapi({
    description: "The stream analysis decodes; live, recording and the relay keep rtspUrl",
  }),
  username: z.string().nullable(),
  hasPassword: z.boolean(),
  transport: Transport,
  desired: z.object({
    capturing: z.boolean().optional(),
    analytics: z.unknown().optional(),
    recording: z.unknown().optional(),
  }).openapi({
    description: "What the operator asked for; restored after a restart. A webhook URL is " +
      "cut to its origin, as in every reply",
  }),
  createdAt: Instant,
  updatedAt: Instant,
  onvif: z.record(z.string(), z.unknown()).nullable().openapi({
    description: "What ONVIF onboarding learnt, without secrets (deviceUrl, mediaUrl, " +
      "endpointAddress, macAddress, deviceInfo, timeOffsetMs, profiles, recordingProfile, " +
      "analysisProfile); null for a camera added by rtspUrl",
  }),
  suspectedMove: SuspectedMove.nullable().openapi({
    description: "A device claimed to be this camera at a new address and could not show it " +
      "before receiving credentials, so Vigil did not follow it; an admin accepts " +
      "(`POST .../suspected-move/accept`) or dismisses it. null when there is none",
  }),
  state: z.object({
    stream: z.string().openapi({ description: "offline, connecting, live or backoff" }),
    analytics: z.string().openapi({ description: "detached or attached" }),
    recording: z.string(),
    lastFrameAt: Instant.nullable(),
    fps: z.number().nullable(),
    reconnects: z.number().int(),
    lastError: z.string().nullable(),
    hub: z.array(HubPath).openapi({
      description: "The camera's paths on the RTSP relay (stream hub); one per distinct source URL",
    }),
  }).openapi({ description: "The live state of its actor" }),
  box: UuidOut.nullable().openapi({
    description: "Several boxes: the box the camera is pinned to (placement gives it to that box " +
      "whenever it is up), or null",
  }),
  owner: z.object({
    boxId: UuidOut,
    self: z.boolean().openapi({ description: "The box answering is the owner" }),
    baseUrl: z.string(),
    rtspUrl: z.string(),
  }).nullable().optional().openapi({
    description: "Several boxes (`GET /api/cameras/{id}` only): the box holding the camera's " +
      "lease, whose view `state` then is (`stream: unknown` when it did not answer in time); " +
      "null while no box holds it",
  }),
}).openapi("Camera");

/**
 * A camera as every route answers it: the stored fields (never a password) and its live state.
 *
 * @param camera the stored camera
 * @param fleet where its state comes from
 * @returns the JSON view
 */
export function cameraView(camera: CameraRow, fleet: Fleet): z.output<typeof Camera> {
  return {
    id: camera.id,
    name: camera.name,
    rtspUrl: camera.sourceUrl,
    recordUrl: camera.recordUrl ?? null,
    analysisUrl: camera.analysisUrl ?? null,
    analysis: { ...analysisSource(camera), path: streamPath(camera.id, "sub") },
    username: camera.username ?? null,
    hasPassword: camera.hasPassword,
    transport: camera.transport,
    desired: desiredView(camera.desired),
    createdAt: camera.createdAt,
    updatedAt: camera.updatedAt,
    onvif: isRecord(camera.onvif) ? camera.onvif : null,
    suspectedMove: camera.suspectedMove ?? null,
    box: camera.pinBox ?? null,
    state: fleet.status(camera.id),
  };
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}
