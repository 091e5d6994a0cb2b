/**
 * Suspected moves of ONVIF cameras (see models/onvif/move_checks.ts): a device claimed to be the
 * camera at a new address but could not show it before receiving credentials, so Vigil did not
 * follow it. The camera's `suspectedMove` says where and why; an admin decides:
 *
 * - `POST /api/cameras/:id/suspected-move/accept` re-onboards the camera at the claimed address
 *   with its stored credentials (the device must report the camera's endpoint address) and
 *   answers the updated camera;
 * - `DELETE /api/cameras/:id/suspected-move` forgets the claim and answers the camera.
 *
 * Both need the `write` permission (admins). 409 when the camera has no suspected move.
 *
 * @module
 */
import { Hono } from "hono";
import type { AppDeps } from "./app.ts";
import { cameraView } from "./cameras.ts";
import { uuidParam } from "./validate.ts";
import { UnavailableError } from "../models/errors.ts";

/**
 * @param deps the running system (its move watch)
 * @returns the sub-app, mounted at `/api/cameras`
 */
export function cameraMoveRoutes(deps: AppDeps): Hono {
  const watch = () => {
    if (!deps.watch) throw new UnavailableError("camera moves are not watched on this server");
    return deps.watch;
  };
  return new Hono()
    .post("/:id/suspected-move/accept", async (c) => {
      const camera = await watch().acceptMove(uuidParam(c, "id"));
      return c.json(cameraView(camera, deps.fleet));
    })
    .delete("/:id/suspected-move", async (c) => {
      const camera = await watch().dismissMove(uuidParam(c, "id"));
      return c.json(cameraView(camera, deps.fleet));
    });
}
