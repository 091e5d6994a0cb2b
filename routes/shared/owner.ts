/**
 * Several boxes: who owns a camera, and the one middleware a route that needs the owner adopts
 * (live sessions, snapshots, recording, capture, analytics, a source change): on another box it
 * answers 307 to the same path and query on the owner; on the owner it makes sure the camera's
 * unit runs. Reads of stored data need none of this: they answer on every box.
 * Why: docs/decisions/camera-leases.md.
 *
 * @module
 */
import type { Context, MiddlewareHandler } from "hono";
import type { AppDeps } from "./app_deps.ts";
import { leaseOwner } from "../../models/store/leases.ts";
import { isUuid } from "../../models/ids.ts";
import { getCamera } from "../../models/store/cameras.ts";
import { errorJson } from "../openapi.ts";
import { requestToken } from "./access.ts";
import { tokenMaySee } from "../../models/auth.ts";

/**
 * Marks a request one box sends another for the owner's view (`GET /api/cameras/{id}`): the box
 * answers with its own view instead of asking the owner in turn. Anyone can send a header, so it
 * is honoured there only, where it changes nothing but what the reply shows; {@linkcode ownerOnly}
 * ignores it.
 */
export const FORWARDED_HEADER = "x-vigil-forwarded";

/**
 * Every route that needs the camera's owner (routes/app.ts runs {@linkcode ownerOnly} before
 * each): Hono's path, the methods, and where the request names its camera. Each of them declares
 * {@linkcode OWNER_REDIRECT} in its replies; test/routes/shared/owner_only_test.ts checks both.
 */
export const OWNER_ROUTES: readonly {
  path: string;
  methods: readonly string[];
  camera: "path" | "body";
}[] = [
  { path: "/api/cameras/:id", methods: ["PATCH"], camera: "path" },
  { path: "/api/cameras/:id/capture", methods: ["POST"], camera: "path" },
  { path: "/api/cameras/:id/snapshot.jpg", methods: ["GET"], camera: "path" },
  { path: "/api/cameras/:id/analytics", methods: ["PUT", "DELETE"], camera: "path" },
  { path: "/api/cameras/:id/recording", methods: ["PUT", "DELETE"], camera: "path" },
  { path: "/api/cameras/:id/relay", methods: ["GET"], camera: "path" },
  // A move's timeout and its Stop live in the box that started it: one box drives a camera's PTZ.
  { path: "/api/cameras/:id/ptz", methods: ["POST"], camera: "path" },
  { path: "/api/cameras/:id/ptz/presets/:name", methods: ["PUT"], camera: "path" },
  { path: "/api/live", methods: ["POST"], camera: "body" },
];

/** The 307 every route of {@linkcode OWNER_ROUTES} declares in the API document. */
export const OWNER_REDIRECT = {
  307: {
    description: "Several boxes: another box owns the camera. Send the same request (with " +
      "your token: clients drop it on a redirect to another origin) to `Location`, the same " +
      "path and query on the owner",
    headers: {
      Location: {
        description: "The same path and query on the owner (its `VIGIL_PUBLIC_URL`)",
        schema: { type: "string" as const, format: "uri" },
      },
    },
  },
} as const;

/** A camera's owner as the API shows it. */
export interface OwnerView {
  boxId: string;
  /** The box answering is the owner. */
  self: boolean;
  baseUrl: string;
  rtspUrl: string;
}

/** Finds the camera a request is about (a path parameter, a body field); undefined → none. */
export type CameraOf = (c: Context) => string | undefined | Promise<string | undefined>;

/** The camera of `/…/{id}/…` routes. */
export const cameraInPath: CameraOf = (c) => c.req.param("id");

/** The camera of a JSON body's `camera` field (`POST /api/live`); a bad body is the route's. */
export const cameraInBody: CameraOf = async (c) => {
  const body: unknown = await c.req.json().catch(() => undefined);
  const camera = typeof body === "object" && body !== null && "camera" in body
    ? body.camera
    : undefined;
  return typeof camera === "string" ? camera : undefined;
};

/**
 * The owner of a camera, or null when no box holds its lease now (or on a box alone: itself).
 *
 * @param deps the database, the coordinator, this box's id and public URL
 * @param cameraId the camera
 * @param origin this box's origin as the client reached it (when no public URL is set)
 * @returns the owner
 */
export async function ownerOf(
  deps: Pick<AppDeps, "db" | "cluster" | "boxId" | "publicUrl">,
  cameraId: string,
  origin: string,
): Promise<OwnerView | null> {
  if (!deps.cluster) return null;
  const owner = await leaseOwner(deps.db.sql, cameraId);
  if (!owner) return null;
  const self = owner.boxId === deps.boxId;
  return {
    boxId: owner.boxId,
    self,
    baseUrl: self ? deps.publicUrl ?? origin : owner.baseUrl,
    rtspUrl: owner.rtspUrl,
  };
}

/** How long a box waits for the owner's view of a camera before it shows the state as unknown. */
export const OWNER_VIEW_TIMEOUT_MS = 1_500;

/**
 * The owner's view of a camera's live state, asked of the owner with the caller's own token
 * (every box shares the tokens), within {@linkcode OWNER_VIEW_TIMEOUT_MS}.
 *
 * @param owner the owner (another box)
 * @param cameraId the camera
 * @param authorization the caller's Authorization header
 * @returns the owner's `state` object, or undefined when it did not answer in time
 */
export async function ownerState(
  owner: OwnerView,
  cameraId: string,
  authorization: string | undefined,
): Promise<Record<string, unknown> | undefined> {
  try {
    const response = await fetch(`${owner.baseUrl}/api/cameras/${cameraId}`, {
      headers: { ...(authorization ? { authorization } : {}), [FORWARDED_HEADER]: "1" },
      signal: AbortSignal.timeout(OWNER_VIEW_TIMEOUT_MS),
      redirect: "manual",
    });
    if (!response.ok) {
      await response.body?.cancel();
      return undefined;
    }
    const body: unknown = await response.json();
    const state = typeof body === "object" && body !== null && "state" in body
      ? body.state
      : undefined;
    return typeof state === "object" && state !== null
      ? state as Record<string, unknown>
      : undefined;
  } catch {
    return undefined;
  }
}

/**
 * A camera's reply on any box: its owner, and the owner's view of its live state (fetched from
 * the owner when that is another box; `stream: "unknown"` when it does not answer in time). On a
 * box alone the view is returned as it is.
 *
 * @param deps the running system
 * @param c the request (its origin and Authorization)
 * @param view the camera as this box sees it
 * @returns the view with `owner` (null: no box holds it now) and the owner's `state`
 */
export async function withOwner<V extends { id: string; state: object }>(
  deps: AppDeps,
  c: Context,
  view: V,
): Promise<V & { owner?: OwnerView | null }> {
  if (!deps.cluster || c.req.header(FORWARDED_HEADER)) return view;
  const owner = await ownerOf(deps, view.id, new URL(c.req.url).origin);
  if (!owner || owner.self) return { ...view, owner };
  const state = await ownerState(owner, view.id, c.req.header("authorization"));
  return { ...view, owner, state: state ?? { ...view.state, stream: "unknown" } };
}

/**
 * The middleware: 307 to the owner when another box holds the camera; 503 (Retry-After) when no
 * box does yet; otherwise the route runs here. A no-op on a box alone, and for a camera the
 * request's token may not see. No header makes a box that does not hold the camera run it.
 *
 * @param deps the running system
 * @param cameraOf where the request names its camera (default: the `{id}` path parameter)
 * @returns the middleware
 * @example
 * ```ts
 * app.on("POST", "/api/cameras/:id/capture", ownerOnly(deps));
 * ```
 */
export function ownerOnly(deps: AppDeps, cameraOf: CameraOf = cameraInPath): MiddlewareHandler {
  return async (c, next) => {
    const cluster = deps.cluster;
    const camera = cluster ? await cameraOf(c) : undefined;
    // A camera the token may not see is the route's 404: neither a 307 nor a 503 may tell the
    // token that it exists or which box holds it.
    if (!cluster || !camera || !isUuid(camera) || !tokenMaySee(requestToken(c), camera)) {
      return await next();
    }
    const id = camera.toLowerCase();
    let owner = await leaseOwner(deps.db.sql, id);
    // Just placed, or just taken: a round now starts it here if it is this box's (a round
    // already running may have read the leases before, hence a second one).
    for (let round = 0; round < 2; round++) {
      if (owner && (owner.boxId !== cluster.boxId || deps.fleet.owned().has(id))) break;
      await cluster.sync();
      await cluster.settled(id);
      owner = await leaseOwner(deps.db.sql, id);
    }
    if (owner && owner.boxId !== cluster.boxId) {
      const url = new URL(c.req.url);
      return c.redirect(`${owner.baseUrl}${url.pathname}${url.search}`, 307);
    }
    if (!owner) {
      // A camera that does not exist is the route's 404; one that exists waits for a box.
      const exists = await getCamera(deps.db.sql, id).then(() => true, () => false);
      if (exists) {
        c.header("retry-after", "2");
        return errorJson(c, "unavailable", `camera ${id} has no box right now; retry shortly`);
      }
    }
    return await next();
  };
}
