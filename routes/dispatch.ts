/**
 * The dispatcher: `GET /api/dispatch/:camera` tells a media server which box owns a camera and how
 * to open a live session there. On one box it answers itself; with several boxes every box names
 * the box holding the camera's lease (by its stable box id), with the owner's view of its state,
 * and 503 while no box holds it (docs/decisions/camera-leases.md).
 *
 * @module
 */
import { createRoute, z } from "@hono/zod-openapi";
import type { AppDeps } from "./shared/app_deps.ts";
import { apiApp, errorReplies, jsonReply } from "./openapi.ts";
import { UnavailableError } from "../models/errors.ts";
import { IdParam, UuidOut } from "./schemas.ts";
import { getCamera } from "../models/store/cameras.ts";
import { cameraStreams, QUALITIES } from "../models/media/quality.ts";
import { LIVE_OUTPUTS } from "../actors/live/types.ts";
import { relayOrigin } from "./shared/relay_origin.ts";
import { ownerOf, ownerState } from "./shared/owner.ts";

const Dispatch = z.object({
  camera: z.object({
    id: UuidOut,
    name: z.string(),
    stream: z.string().openapi({ description: "offline, connecting, live or backoff" }),
    analytics: z.string().openapi({ description: "attached or detached" }),
  }),
  owner: z.object({
    boxId: UuidOut.openapi({ description: "Stable id of the box that owns the camera" }),
    self: z.boolean().openapi({ description: "The box answering is the owner" }),
    baseUrl: z.string().openapi({ example: "http://box:8080" }),
    rtspUrl: z.string().openapi({
      description: "The owner's RTSP server: `rtsp` sessions are pulled from it",
      example: "rtsp://box:8554",
    }),
  }),
  live: z.object({
    open: z.object({
      method: z.literal("POST"),
      url: z.string(),
      body: z.object({ camera: UuidOut, quality: z.string(), output: z.string() }),
    }).openapi({ description: "The request that opens a live session on the owner" }),
    qualities: z.array(z.string()).openapi({ description: "Qualities this camera can serve" }),
    subStream: z.boolean().openapi({ description: "The camera has an ONVIF sub-stream" }),
    outputs: z.array(z.string()),
    annotated: z.boolean().openapi({ description: "Annotated sessions are possible now" }),
  }),
}).openapi("Dispatch");

const dispatch = createRoute({
  method: "get",
  path: "/{id}",
  summary: "Which box owns a camera, and how to open a live session there",
  tags: ["live"],
  request: { params: IdParam },
  responses: {
    200: jsonReply(Dispatch, "The owner"),
    ...errorReplies({ 404: "No such camera", 503: "No box holds the camera now; retry shortly" }),
  },
});

/**
 * @param deps the running system
 * @returns the sub-app, mounted at `/api/dispatch`
 */
export function dispatchRoutes(deps: AppDeps) {
  return apiApp().openapi(dispatch, async (c) => {
    const camera = await getCamera(deps.db.sql, c.req.valid("param").id);
    const origin = deps.publicUrl ?? new URL(c.req.url).origin;
    const owner = deps.cluster ? await ownerOf(deps, camera.id, origin) : {
      boxId: deps.boxId,
      self: true,
      baseUrl: origin,
      rtspUrl: relayOrigin(deps.relay.server, new URL(origin).hostname),
    };
    if (!owner) {
      throw new UnavailableError(`camera ${camera.id} has no box right now; retry shortly`);
    }
    const { baseUrl } = owner;
    const local = deps.fleet.status(camera.id);
    const state = owner.self
      ? local
      : await ownerState(owner, camera.id, c.req.header("authorization")) ??
        { stream: "unknown", analytics: "unknown" };
    return c.json({
      camera: {
        id: camera.id,
        name: camera.name,
        stream: String(state.stream),
        analytics: String(state.analytics),
      },
      owner,
      live: {
        open: {
          method: "POST" as const,
          url: `${baseUrl}/api/live`,
          body: { camera: camera.id, quality: "720p", output: "rtsp" },
        },
        qualities: [...QUALITIES],
        subStream: cameraStreams(camera.onvif).sub !== undefined,
        outputs: [...LIVE_OUTPUTS],
        annotated: state.analytics === "attached",
      },
    }, 200);
  });
}
