/**
 * Camera CRUD and videoCapture:
 * `POST /api/cameras`, `GET /api/cameras`, `GET|PATCH|DELETE /api/cameras/:id`,
 * `POST /api/cameras/:id/capture` `{action:"start"|"stop"}`, `GET /api/cameras/:id/snapshot.jpg`.
 *
 * A camera is added either by its `rtspUrl` or by ONVIF (`{"name","onvif":{"host","port",
 * "username","password"}}`): Vigil onboards it, captures its analysis (smallest) profile, and
 * keeps what onboarding learnt (minus secrets) in `onvif`. An ONVIF failure stores nothing.
 *
 * Handlers validate, then store and tell the fleet; the reply never carries a password.
 *
 * @module
 */
import { createRoute, z } from "@hono/zod-openapi";
import type { AppDeps } from "./app.ts";
import type { Fleet } from "../actors/camera/fleet.ts";
import {
  type Camera as CameraRow,
  type CameraChanges,
  getCamera,
  insertCamera,
  listCameras,
  updateCamera,
} from "../models/store/cameras.ts";
import { splitCredentials, validateSourceUrl } from "../models/media/rtsp_url.ts";
import { onboardOnvifCamera, type OnvifCameraInfo } from "../models/onvif/client.ts";
import { onvifSourceUrl, storedOnvifInfo } from "../models/onvif/stored_info.ts";
import { desiredView } from "../models/analytics/settings_view.ts";
import { ValidationError } from "../models/errors.ts";
import { UUID_PATTERN, uuidv7 } from "../models/ids.ts";
import { requestToken } from "./auth.ts";
import { apiApp, errorReplies, jsonBody, jsonReply } from "./openapi.ts";
import { IdParam, Instant, pageOf, PageQuery, UuidOut } from "./schemas.ts";

/** A camera's name: printable text, unique. */
export const CameraName = z.string().min(1).max(100)
  // deno-lint-ignore no-control-regex -- refusing control characters is the point
  .regex(/^[^\x00-\x1f\x7f]*$/, "must be printable text")
  .openapi({ example: "front door" });
const RtspUrl = z.string().min(1).max(2048).openapi({
  description: "rtsp:// or rtsps://, credentials allowed (stored encrypted, never shown)",
  example: "rtsp://admin:secret@192.168.1.20:554/stream1",
});
const RecordUrl = z.string().min(1).max(2048).openapi({
  description: "A stream to record instead of rtspUrl (the main stream when rtspUrl is a " +
    "sub-stream); no credentials: the camera's apply. Ignored for ONVIF cameras, which record " +
    "their largest profile",
  example: "rtsp://192.168.1.20:554/stream0",
});
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

const OnvifTarget = z.strictObject({
  host: z.string().min(1).max(253).openapi({ example: "192.168.1.20" }),
  port: z.number().int().min(1).max(65535).optional().openapi({ example: 80 }),
  username: OnvifUsername,
  password: OnvifPassword,
});

const NewCamera = z.strictObject({
  name: CameraName,
  rtspUrl: RtspUrl.optional(),
  onvif: OnvifTarget.optional().openapi({
    description: "Onboard over ONVIF instead of giving rtspUrl",
  }),
  transport: Transport.optional(),
  recordUrl: RecordUrl.optional(),
}).superRefine((body, ctx) => {
  if (body.rtspUrl === undefined && body.onvif === undefined) {
    ctx.addIssue({
      code: "custom",
      path: ["rtspUrl"],
      message: "must be a string (or give onvif instead)",
    });
  }
  if (body.rtspUrl !== undefined && body.onvif !== undefined) {
    ctx.addIssue({
      code: "custom",
      path: ["onvif"],
      message: "must be left out when rtspUrl is given: give either rtspUrl or onvif, not both",
    });
  }
}).openapi("NewCamera", {
  description: "Give `rtspUrl`, or `onvif` to onboard the camera over ONVIF; not both",
  example: { name: "front door", rtspUrl: "rtsp://admin:secret@192.168.1.20:554/stream1" },
});

const CameraPatch = z.strictObject({
  name: CameraName.optional(),
  rtspUrl: RtspUrl.optional(),
  transport: Transport.optional(),
  recordUrl: RecordUrl.nullable().optional().openapi({ description: "null: record rtspUrl" }),
}).openapi("CameraPatch");

const Capture = z.strictObject({ action: z.enum(["start", "stop"]) }).openapi("CaptureRequest");

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
  pid: z.number().int().nullable().openapi({ description: "The puller's ffmpeg while it runs" }),
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

/** A camera as every route answers it. */
export const Camera = z.object({
  id: UuidOut,
  name: z.string(),
  rtspUrl: z.string().openapi({ description: "The source without credentials" }),
  recordUrl: z.string().nullable().openapi({ description: "What is recorded, if not rtspUrl" }),
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
}).openapi("Camera");

const tags = ["cameras"];
const NOT_FOUND = { 404: "No such camera" } as const;

const create = createRoute({
  method: "post",
  path: "/",
  summary: "Add a camera",
  description: "By `rtspUrl`, or over ONVIF (`onvif`: Vigil onboards it and captures its " +
    "smallest profile). An ONVIF failure stores nothing: 422 for wrong credentials or a device " +
    "that is not ONVIF, 502 for a fault or an unreachable device, 504 for a timeout.",
  tags,
  request: { body: jsonBody(NewCamera) },
  responses: {
    201: jsonReply(Camera, "The camera"),
    ...errorReplies({
      409: "The name is taken",
      502: "The ONVIF device faulted, answered badly or could not be reached",
      504: "The ONVIF device did not answer in time",
    }),
  },
});

const list = createRoute({
  method: "get",
  path: "/",
  summary: "Cameras, in creation order",
  tags,
  request: {
    query: z.strictObject({
      ...PageQuery.shape,
      cursor: z.string().regex(UUID_PATTERN, "is not valid").optional().openapi({
        description: "The `next` of the previous page",
      }),
    }),
  },
  responses: { 200: jsonReply(pageOf(Camera).openapi("CameraPage"), "One page") },
});

const get = createRoute({
  method: "get",
  path: "/{id}",
  summary: "One camera",
  tags,
  request: { params: IdParam },
  responses: { 200: jsonReply(Camera, "The camera"), ...errorReplies(NOT_FOUND) },
});

const patch = createRoute({
  method: "patch",
  path: "/{id}",
  summary: "Rename or change the source",
  description: "A changed source reconnects a capturing camera.",
  tags,
  request: { params: IdParam, body: jsonBody(CameraPatch) },
  responses: {
    200: jsonReply(Camera, "The camera"),
    ...errorReplies({ ...NOT_FOUND, 409: "The name is taken" }),
  },
});

const remove = createRoute({
  method: "delete",
  path: "/{id}",
  summary: "Delete a camera",
  description: "Its detections and event snapshots are purged in the background. " +
    "Concurrent deletes of one camera all answer 204.",
  tags,
  request: { params: IdParam },
  responses: { 204: { description: "Deleted" }, ...errorReplies(NOT_FOUND) },
});

const capture = createRoute({
  method: "post",
  path: "/{id}/capture",
  summary: "videoCapture: start or stop pulling the stream",
  tags,
  request: { params: IdParam, body: jsonBody(Capture) },
  responses: { 200: jsonReply(Camera, "The camera"), ...errorReplies(NOT_FOUND) },
});

const snapshot = createRoute({
  method: "get",
  path: "/{id}/snapshot.jpg",
  summary: "A JPEG of the current picture",
  description: "The latest captured frame while capturing, else one keyframe pulled on demand.",
  tags,
  request: { params: IdParam },
  responses: {
    200: {
      description: "A JPEG",
      content: { "image/jpeg": { schema: z.string().openapi({ format: "binary" }) } },
    },
    ...errorReplies({ ...NOT_FOUND, 503: "The camera could not be reached" }),
  },
});

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
    username: camera.username ?? null,
    hasPassword: camera.hasPassword,
    transport: camera.transport,
    desired: desiredView(camera.desired),
    createdAt: camera.createdAt,
    updatedAt: camera.updatedAt,
    onvif: isRecord(camera.onvif) ? camera.onvif : null,
    suspectedMove: camera.suspectedMove ?? null,
    state: fleet.status(camera.id),
  };
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/**
 * @param deps the running system
 * @returns the sub-app
 */
export function cameraRoutes(deps: AppDeps) {
  const { db, secrets, fleet } = deps;
  const view = (camera: CameraRow) => cameraView(camera, fleet);

  /** Validates a source URL and splits its credentials; the password comes back sealed. */
  const storedSource = async (raw: string) => {
    const valid = validateSourceUrl(raw, { field: "rtspUrl" });
    const { url, username, password } = splitCredentials(valid.href, "rtspUrl");
    return {
      url,
      username: username ?? undefined,
      sealed: password ? await secrets.seal(password) : undefined,
    };
  };

  /** Validates a record URL: like a source, without credentials of its own. */
  const recordUrl = (raw: string) => {
    const valid = validateSourceUrl(raw, { field: "recordUrl" });
    if (valid.username !== "" || valid.password !== "") {
      throw new ValidationError(
        "recordUrl must not carry credentials: the camera's apply",
        "recordUrl",
      );
    }
    return valid.href;
  };

  return apiApp()
    .openapi(create, async (c) => {
      const body = c.req.valid("json");
      if (body.onvif) {
        const { host, port, username, password } = body.onvif;
        const info = await onboardOnvifCamera({
          host,
          port,
          username,
          password,
          timeoutMs: deps.onvifTimeoutMs,
          neighbours: deps.neighbours,
        });
        const camera = await addOnvifCamera(deps, {
          name: body.name,
          info,
          username,
          password,
          transport: body.transport,
        });
        return c.json(view(camera), 201);
      }
      // The schema's refinement guarantees one of rtspUrl and onvif.
      const source = await storedSource(body.rtspUrl ?? "");
      const camera = await insertCamera(db.sql, {
        id: uuidv7(),
        name: body.name,
        sourceUrl: source.url,
        username: source.username,
        passwordSealed: source.sealed,
        transport: body.transport ?? "tcp",
        recordUrl: body.recordUrl === undefined ? undefined : recordUrl(body.recordUrl),
      });
      await fleet.add(camera);
      return c.json(view(camera), 201);
    })
    .openapi(list, async (c) => {
      const { limit, cursor } = c.req.valid("query");
      const { cameras } = requestToken(c);
      const page = await listCameras(db.sql, {
        limit,
        after: cursor?.toLowerCase(),
        ids: cameras ?? undefined,
      });
      return c.json({ items: page.items.map(view), next: page.next }, 200);
    })
    .openapi(get, async (c) => c.json(view(await getCamera(db.sql, c.req.valid("param").id)), 200))
    .openapi(patch, async (c) => {
      const { id } = c.req.valid("param");
      const body = c.req.valid("json");
      const changes: CameraChanges = {
        name: body.name,
        transport: body.transport,
        recordUrl: body.recordUrl === undefined || body.recordUrl === null
          ? body.recordUrl
          : recordUrl(body.recordUrl),
      };
      if (body.rtspUrl !== undefined) {
        const source = await storedSource(body.rtspUrl);
        changes.sourceUrl = source.url;
        changes.username = source.username ?? null;
        changes.passwordSealed = source.sealed ?? null;
      }
      const camera = await updateCamera(db.sql, id, changes);
      await fleet.update(camera);
      return c.json(view(camera), 200);
    })
    .openapi(remove, async (c) => {
      // The fleet stops, deletes and purges once, however many deletes arrive at the same time.
      await fleet.delete(c.req.valid("param").id);
      return c.body(null, 204);
    })
    .openapi(capture, async (c) => {
      const { id } = c.req.valid("param");
      await fleet.capture(id, c.req.valid("json").action);
      return c.json(view(await getCamera(db.sql, id)), 200);
    })
    .openapi(snapshot, async (c) => {
      const { id } = c.req.valid("param");
      await getCamera(db.sql, id);
      const jpeg = new Uint8Array(await fleet.snapshot(id));
      return c.body(jpeg, 200, { "content-type": "image/jpeg", "cache-control": "no-store" });
    });
}

/**
 * Stores a camera onboarded over ONVIF and starts supervising it: the analysis profile's stream
 * URI is its source, the ONVIF credentials its credentials (password sealed), the onboarding result
 * minus secrets its `onvif` info. Used by `POST /api/cameras` and `POST /api/discovery/:id/adopt`.
 *
 * @param deps the running system
 * @param camera name, onboarding result, credentials, transport (default tcp)
 * @returns the stored camera
 * @throws {OnvifError} `onvif_unsupported` when the stream URI is not usable (nothing stored)
 * @throws {ConflictError} when the name is taken
 * @example
 * ```ts
 * const info = await onboardOnvifCamera({ host, port, username, password });
 * await addOnvifCamera(deps, { name: "gate", info, username, password });
 * ```
 */
export async function addOnvifCamera(
  deps: Pick<AppDeps, "db" | "secrets" | "fleet">,
  camera: {
    name: string;
    info: OnvifCameraInfo;
    username: string;
    password: string;
    transport?: "tcp" | "udp";
  },
): Promise<CameraRow> {
  const sourceUrl = onvifSourceUrl(camera.info);
  const row = await insertCamera(deps.db.sql, {
    id: uuidv7(),
    name: camera.name,
    sourceUrl,
    username: camera.username,
    passwordSealed: camera.password ? await deps.secrets.seal(camera.password) : undefined,
    transport: camera.transport ?? "tcp",
    onvif: storedOnvifInfo(camera.info),
  });
  await deps.fleet.add(row);
  return row;
}
