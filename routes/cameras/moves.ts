/**
 * Suspected moves of ONVIF cameras (models/onvif/move_checks.ts): an admin accepts one (the camera
 * service re-onboards the camera at the claimed address) or dismisses it; 409 when the camera has
 * none. Routes and replies: GET /api/openapi.json. Why a move waits: SECURITY.md.
 *
 * @module
 */
import { createRoute } from "@hono/zod-openapi";
import type { AppDeps } from "../shared/app_deps.ts";
import { Camera, cameraView } from "../shared/camera.ts";
import { apiApp, errorReplies, jsonReply } from "../openapi.ts";
import { IdParam } from "../schemas.ts";

const tags = ["cameras"];

const accept = createRoute({
  method: "post",
  path: "/{id}/suspected-move/accept",
  summary: "Follow a camera's suspected move",
  description: "Re-onboards the camera at the claimed address with its stored credentials. " +
    "The device there must report the camera's endpoint address (502 `onvif_bad_reply` " +
    "otherwise, and the suspicion stays).",
  tags,
  request: { params: IdParam },
  responses: {
    200: jsonReply(Camera, "The camera at its new address"),
    ...errorReplies({
      404: "No such camera",
      409: "The camera has no suspected move",
      502: "The device faulted, answered badly, could not be reached or is another device",
      504: "The device did not answer in time",
    }),
  },
});

const dismiss = createRoute({
  method: "delete",
  path: "/{id}/suspected-move",
  summary: "Forget a camera's suspected move",
  tags,
  request: { params: IdParam },
  responses: {
    200: jsonReply(Camera, "The camera"),
    ...errorReplies({ 404: "No such camera", 409: "The camera has no suspected move" }),
  },
});

/**
 * @param deps the running system (its camera service)
 * @returns the sub-app, mounted at `/api/cameras`
 */
export function cameraMoveRoutes(deps: AppDeps) {
  const { cameras, fleet } = deps;
  return apiApp()
    .openapi(accept, async (c) => {
      const camera = await cameras.acceptMove(c.req.valid("param").id);
      return c.json(cameraView(camera, fleet), 200);
    })
    .openapi(dismiss, async (c) => {
      const camera = await cameras.dismissMove(c.req.valid("param").id);
      return c.json(cameraView(camera, fleet), 200);
    });
}
