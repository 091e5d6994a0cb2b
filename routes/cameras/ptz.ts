/**
 * PTZ of ONVIF cameras (`/api/cameras/{id}/ptz`): what the camera can do and where it looks
 * (GET), a continuous move, stop, go to a preset or home (POST), saving the current position as
 * a preset (PUT `/ptz/presets/{name}`). Moving a camera is an admin's business: POST and PUT need
 * the `write` permission (routes/shared/access.ts), which viewers do not hold. Every move ends:
 * see actors/onvif/ptz_control.ts. Its own sub-app, so the several-box middleware (the camera's
 * owner box answers) mounts on it in one line.
 *
 * @module
 */
import { createRoute, z } from "@hono/zod-openapi";
import { OWNER_REDIRECT } from "../shared/owner.ts";
import type { AppDeps } from "../shared/app_deps.ts";
import { apiApp, errorReplies, jsonBody, jsonReply } from "../openapi.ts";
import { IdParam } from "../schemas.ts";
import { DEFAULT_MOVE_TIMEOUT_MS, MAX_MOVE_TIMEOUT_MS } from "../../actors/onvif/ptz_control.ts";
import { MAX_PRESET_NAME } from "../../models/onvif/ptz.ts";

const Speed = z.number().min(-1).max(1);
const Range = z.object({ min: z.number(), max: z.number() });
const Vector = z.object({ pan: z.number(), tilt: z.number(), zoom: z.number() });
const Preset = z.object({
  token: z.string().openapi({ description: "The camera's token (what `goto` sends)" }),
  name: z.string(),
}).openapi("PtzPreset");
const PresetName = z.string().min(1).max(MAX_PRESET_NAME)
  // deno-lint-ignore no-control-regex -- refusing control characters is the point
  .regex(/^[^\x00-\x1f\x7f]*$/, "must be printable text");

const Ptz = z.object({
  supported: z.boolean().openapi({ description: "Whether the camera offers the PTZ service" }),
  presets: z.array(Preset),
  limits: z.object({
    pan: Range,
    tilt: Range,
    zoom: Range,
    maxPresets: z.number().int().optional(),
    homeSupported: z.boolean(),
  }).nullable().openapi({ description: "The continuous velocity ranges of the camera's node" }),
  home: z.boolean().openapi({ description: "Whether `home` is available" }),
  position: Vector.nullable().openapi({ description: "Where the camera looks, if it says" }),
}).openapi("Ptz");

const PtzAction = z.discriminatedUnion("action", [
  z.strictObject({
    action: z.literal("move"),
    pan: Speed.default(0),
    tilt: Speed.default(0),
    zoom: Speed.default(0),
    timeoutMs: z.number().int().min(100).max(MAX_MOVE_TIMEOUT_MS)
      .default(DEFAULT_MOVE_TIMEOUT_MS).openapi({
        description: "The move ends after this long (the camera's timeout, and Vigil's Stop)",
      }),
  }).openapi({ description: "Continuous velocity, each axis in -1..1" }),
  z.strictObject({ action: z.literal("stop") }),
  z.strictObject({
    action: z.literal("goto"),
    preset: z.string().min(1).max(MAX_PRESET_NAME).openapi({
      description: "A preset's token, or its name",
    }),
  }),
  z.strictObject({ action: z.literal("home") }),
]).openapi("PtzAction");

const tags = ["ptz"];
const CAMERA_ERRORS = {
  404: "No such camera (or preset)",
  409: "The camera has no PTZ, or was not added over ONVIF (`onvif_not_capable`)",
  502: "The camera failed, refused or sent a bad reply",
  504: "The camera did not answer in time",
} as const;

const read = createRoute({
  method: "get",
  path: "/{id}/ptz",
  summary: "PTZ: presets, limits, home and position",
  description: "`supported: false` for a camera without the PTZ service.",
  tags,
  request: { params: IdParam },
  responses: {
    200: jsonReply(Ptz, "The camera's PTZ"),
    ...errorReplies({ 404: "No such camera", 502: CAMERA_ERRORS[502], 504: CAMERA_ERRORS[504] }),
  },
});

const act = createRoute({
  method: "post",
  path: "/{id}/ptz",
  summary: "PTZ: move, stop, go to a preset or home",
  description: "A move runs until `stop`, another action, or `timeoutMs` (default " +
    `${DEFAULT_MOVE_TIMEOUT_MS} ms): the camera is told the timeout, and Vigil sends Stop when ` +
    "it runs out. Admin only.",
  tags,
  request: { params: IdParam, body: jsonBody(PtzAction) },
  responses: {
    ...OWNER_REDIRECT,
    204: { description: "Done (a move: started)" },
    ...errorReplies({ ...CAMERA_ERRORS, 422: "A value out of range" }),
  },
});

const save = createRoute({
  method: "put",
  path: "/{id}/ptz/presets/{name}",
  summary: "PTZ: save the current position as a preset",
  description: "Over the preset of that name if there is one. Admin only.",
  tags,
  request: { params: IdParam.extend({ name: PresetName }) },
  responses: {
    ...OWNER_REDIRECT,
    200: jsonReply(Preset, "The saved preset"),
    ...errorReplies({ ...CAMERA_ERRORS, 400: "The name is empty, too long or not printable" }),
  },
});

/**
 * @param deps the running system
 * @returns the sub-app, mounted at `/api/cameras`
 */
export function ptzRoutes(deps: AppDeps) {
  const { ptz } = deps;
  return apiApp()
    .openapi(read, async (c) => {
      return c.json(await ptz.describe(c.req.valid("param").id), 200);
    })
    .openapi(act, async (c) => {
      const { id } = c.req.valid("param");
      const body = c.req.valid("json");
      if (body.action === "move") {
        await ptz.move(id, { pan: body.pan, tilt: body.tilt, zoom: body.zoom }, body.timeoutMs);
      } else if (body.action === "stop") {
        await ptz.stop(id);
      } else if (body.action === "goto") {
        await ptz.goto(id, body.preset);
      } else {
        await ptz.home(id);
      }
      return c.body(null, 204);
    })
    .openapi(save, async (c) => {
      const { id, name } = c.req.valid("param");
      return c.json(await ptz.savePreset(id, name), 200);
    });
}
