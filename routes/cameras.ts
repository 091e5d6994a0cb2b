/**
 * Camera routes (CRUD, videoCapture, snapshot): a camera is added by its `rtspUrl` or over ONVIF
 * (an ONVIF failure stores nothing). Handlers validate, delegate to the camera service
 * (actors/camera/camera_service.ts) and shape the reply; no reply carries a password.
 * Routes and replies: GET /api/openapi.json.
 *
 * @module
 */
import { createRoute, z } from "@hono/zod-openapi";
import { OWNER_REDIRECT, withOwner } from "./shared/owner.ts";
import type { AppDeps } from "./shared/app_deps.ts";
import { type Camera as CameraRow, getCamera, listCameras } from "../models/store/cameras.ts";
import { UUID_PATTERN } from "../models/ids.ts";
import { requestToken } from "./shared/access.ts";
import {
  Camera,
  CameraName,
  cameraView,
  OnvifPassword,
  OnvifUsername,
  Transport,
} from "./shared/camera.ts";
import { apiApp, errorReplies, jsonBody, jsonReply } from "./openapi.ts";
import { IdParam, pageOf, PageQuery, Uuid } from "./schemas.ts";

const RtspUrl = z.string().min(1).max(2048).openapi({
  description: "rtsp:// or rtsps://, credentials allowed (stored encrypted, never shown)",
  example: "rtsp://admin:secret@192.168.1.20:554/stream1",
});
const RecordUrl = z.string().min(1).max(2048).openapi({
  description: "A stream to record instead of rtspUrl (the main stream when rtspUrl is a " +
    "sub-stream); no credentials: the camera's apply, so it must be on the camera's host (422 " +
    "otherwise). Ignored for ONVIF cameras, which record " +
    "their largest profile",
  example: "rtsp://192.168.1.20:554/stream0",
});
const AnalysisUrl = z.string().min(1).max(2048).openapi({
  description: "A smaller stream (the camera's sub-stream) for analysis to decode instead of " +
    "rtspUrl; live, recording and the relay keep rtspUrl. No credentials: the camera's apply, " +
    "so it must be on the camera's host (422 otherwise). " +
    "For an ONVIF camera it overrides the analysis profile",
  example: "rtsp://192.168.1.20:554/stream1",
});
const PinBox = Uuid.nullable().openapi({
  description: "Several boxes: pin the camera to this box (an id of `GET /api/boxes`; 422 " +
    "`unknown_box` for one that never registered). A pinned box that is down keeps nothing " +
    "from moving: the camera stays where it is until that box is up, then moves to it. null: " +
    "no pin (a cleared pin leaves the camera where it is)",
  example: "0192f0c4-6a1e-7b3c-8d2e-1f2a3b4c5d6e",
});
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
  analysisUrl: AnalysisUrl.optional(),
  box: PinBox.optional(),
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
  analysisUrl: AnalysisUrl.nullable().optional().openapi({
    description: "null: analyse the ONVIF analysis profile, or rtspUrl, again",
  }),
  box: PinBox.optional(),
}).openapi("CameraPatch");

const Capture = z.strictObject({ action: z.enum(["start", "stop"]) }).openapi("CaptureRequest");

const tags = ["cameras"];
const NOT_FOUND = { 404: "No such camera" } as const;

const create = createRoute({
  method: "post",
  path: "/",
  summary: "Add a camera",
  description: "By `rtspUrl`, or over ONVIF (`onvif`: Vigil onboards it, relays and records its " +
    "largest profile and analyses the smallest one of at least 640x360). An ONVIF failure stores nothing: 422 for wrong credentials or a device " +
    "that is not ONVIF, 502 for a fault or an unreachable device, 504 for a timeout.",
  tags,
  request: { body: jsonBody(NewCamera) },
  responses: {
    201: jsonReply(Camera, "The camera"),
    ...errorReplies({
      409: "The name is taken",
      422: "A field is wrong, ONVIF refused, or `box` names no registered box (`unknown_box`)",
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
  summary: "Rename, change the source or pin to a box",
  description: "A changed source reconnects a capturing camera. A changed pin (`box`) moves the " +
    "camera to that box within a renewal interval (2 s) once the box is up.",
  tags,
  request: { params: IdParam, body: jsonBody(CameraPatch) },
  responses: {
    ...OWNER_REDIRECT,
    200: jsonReply(Camera, "The camera"),
    ...errorReplies({
      ...NOT_FOUND,
      409: "The name is taken",
      422: "A field is wrong, or `box` names no registered box (`unknown_box`)",
    }),
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
  responses: {
    ...OWNER_REDIRECT,
    200: jsonReply(Camera, "The camera"),
    ...errorReplies(NOT_FOUND),
  },
});

const snapshot = createRoute({
  method: "get",
  path: "/{id}/snapshot.jpg",
  summary: "A JPEG of the current picture",
  description: "The latest captured frame while capturing, else one keyframe pulled on demand.",
  tags,
  request: { params: IdParam },
  responses: {
    ...OWNER_REDIRECT,
    200: {
      description: "A JPEG",
      content: { "image/jpeg": { schema: z.string().openapi({ format: "binary" }) } },
    },
    ...errorReplies({ ...NOT_FOUND, 503: "The camera could not be reached" }),
  },
});

/**
 * @param deps the running system: its camera service for changes, the database for reads
 * @returns the sub-app
 */
export function cameraRoutes(deps: AppDeps) {
  const { db, fleet, cameras } = deps;
  const view = (camera: CameraRow) => cameraView(camera, fleet);

  return apiApp()
    .openapi(create, async (c) => {
      const { onvif, ...body } = c.req.valid("json");
      // The schema's refinement guarantees one of rtspUrl and onvif.
      const camera = onvif
        ? await cameras.createOnvif({
          ...onvif,
          name: body.name,
          transport: body.transport,
          analysisUrl: body.analysisUrl,
          box: body.box,
        })
        : await cameras.create({ ...body, rtspUrl: body.rtspUrl ?? "" });
      return c.json(view(camera), 201);
    })
    .openapi(list, async (c) => {
      const { limit, cursor } = c.req.valid("query");
      // A token limited to some cameras lists only those.
      const visible = requestToken(c).cameras;
      const page = await listCameras(db.sql, {
        limit,
        after: cursor?.toLowerCase(),
        ids: visible ?? undefined,
      });
      return c.json({ items: page.items.map(view), next: page.next }, 200);
    })
    .openapi(get, async (c) => {
      const camera = await getCamera(db.sql, c.req.valid("param").id);
      return c.json(await withOwner(deps, c, view(camera)), 200);
    })
    .openapi(patch, async (c) => {
      const camera = await cameras.update(c.req.valid("param").id, c.req.valid("json"));
      return c.json(view(camera), 200);
    })
    .openapi(remove, async (c) => {
      await cameras.delete(c.req.valid("param").id);
      return c.body(null, 204);
    })
    .openapi(capture, async (c) => {
      const camera = await cameras.capture(c.req.valid("param").id, c.req.valid("json").action);
      return c.json(view(camera), 200);
    })
    .openapi(snapshot, async (c) => {
      const { id } = c.req.valid("param");
      await getCamera(db.sql, id);
      const jpeg = new Uint8Array(await fleet.snapshot(id));
      return c.body(jpeg, 200, { "content-type": "image/jpeg", "cache-control": "no-store" });
    });
}
