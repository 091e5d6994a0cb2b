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
import { Hono } from "hono";
import type { AppDeps } from "./app.ts";
import type { Fleet } from "../actors/fleet.ts";
import {
  number,
  object,
  oneOf,
  optional,
  pageParams,
  readJson,
  string,
  uuidParam,
} from "./validate.ts";
import {
  type Camera,
  type CameraChanges,
  getCamera,
  insertCamera,
  listCameras,
  updateCamera,
} from "../models/store/cameras.ts";
import { splitCredentials, validateSourceUrl } from "../models/media/rtsp_url.ts";
import { onboardOnvifCamera, type OnvifCameraInfo } from "../models/onvif/client.ts";
import { onvifSourceUrl, storedOnvifInfo } from "../models/onvif/stored_info.ts";
import { ValidationError } from "../models/errors.ts";
import { isUuid, uuidv7 } from "../models/ids.ts";

// deno-lint-ignore no-control-regex -- refusing control characters is the point
const name = string({ max: 100, pattern: /^[^\x00-\x1f\x7f]+$/, hint: "must be printable text" });
const rtspUrl = string({ max: 2048 });
const transport = oneOf(["tcp", "udp"] as const);

const onvifTarget = object({
  host: string({ max: 253 }),
  port: optional(number({ min: 1, max: 65535, integer: true })),
  username: string({ max: 128 }),
  password: string({ min: 0, max: 256 }),
});
const newCamera = object({
  name,
  rtspUrl: optional(rtspUrl),
  onvif: optional(onvifTarget),
  transport: optional(transport),
});
const cameraPatch = object({
  name: optional(name),
  rtspUrl: optional(rtspUrl),
  transport: optional(transport),
});
const captureRequest = object({ action: oneOf(["start", "stop"] as const) });

/**
 * A camera as every route answers it: the stored fields (never a password) and its live state.
 *
 * @param camera the stored camera
 * @param fleet where its state comes from
 * @returns the JSON view
 */
export function cameraView(camera: Camera, fleet: Fleet) {
  return {
    id: camera.id,
    name: camera.name,
    rtspUrl: camera.sourceUrl,
    username: camera.username ?? null,
    hasPassword: camera.hasPassword,
    transport: camera.transport,
    desired: camera.desired,
    createdAt: camera.createdAt,
    updatedAt: camera.updatedAt,
    onvif: camera.onvif ?? null,
    state: fleet.status(camera.id),
  };
}

/**
 * @param deps the running system
 * @returns the sub-app
 */
export function cameraRoutes(deps: AppDeps): Hono {
  const { db, secrets, fleet } = deps;
  const view = (camera: Camera) => cameraView(camera, fleet);

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

  return new Hono()
    .post("/", async (c) => {
      const body = await readJson(c, newCamera);
      if (body.rtspUrl === undefined && body.onvif === undefined) {
        throw new ValidationError("rtspUrl must be a string (or give onvif instead)", "rtspUrl");
      }
      if (body.rtspUrl !== undefined && body.onvif !== undefined) {
        throw new ValidationError("give either rtspUrl or onvif, not both", "onvif");
      }
      if (body.onvif) {
        const { host, port, username, password } = body.onvif;
        const info = await onboardOnvifCamera({
          host,
          port,
          username,
          password,
          timeoutMs: deps.onvifTimeoutMs,
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
      const source = await storedSource(body.rtspUrl!);
      const camera = await insertCamera(db.sql, {
        id: uuidv7(),
        name: body.name,
        sourceUrl: source.url,
        username: source.username,
        passwordSealed: source.sealed,
        transport: body.transport ?? "tcp",
      });
      await fleet.add(camera);
      return c.json(view(camera), 201);
    })
    .get("/", async (c) => {
      const { limit, cursor } = pageParams(c);
      if (cursor !== undefined && !isUuid(cursor)) {
        throw new ValidationError("cursor is not valid", "cursor", 400);
      }
      const page = await listCameras(db.sql, { limit, after: cursor });
      return c.json({ items: page.items.map(view), next: page.next });
    })
    .get("/:id", async (c) => c.json(view(await getCamera(db.sql, uuidParam(c, "id")))))
    .patch("/:id", async (c) => {
      const id = uuidParam(c, "id");
      const body = await readJson(c, cameraPatch);
      const changes: CameraChanges = { name: body.name, transport: body.transport };
      if (body.rtspUrl !== undefined) {
        const source = await storedSource(body.rtspUrl);
        changes.sourceUrl = source.url;
        changes.username = source.username ?? null;
        changes.passwordSealed = source.sealed ?? null;
      }
      const camera = await updateCamera(db.sql, id, changes);
      await fleet.update(camera);
      return c.json(view(camera));
    })
    .delete("/:id", async (c) => {
      await fleet.delete(uuidParam(c, "id"));
      return c.body(null, 204);
    })
    .post("/:id/capture", async (c) => {
      const id = uuidParam(c, "id");
      const body = await readJson(c, captureRequest);
      await fleet.capture(id, body.action);
      return c.json(view(await getCamera(db.sql, id)));
    })
    .get("/:id/snapshot.jpg", async (c) => {
      const id = uuidParam(c, "id");
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
): Promise<Camera> {
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
