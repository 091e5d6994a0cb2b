/**
 * `GET /api/boxes`: the boxes sharing this database, each with its state (`up` while it
 * heartbeats within the lease time), the cameras it holds and its last heartbeat. A box alone on
 * the embedded database lists itself. Why several boxes: docs/decisions/camera-leases.md.
 *
 * @module
 */
import { createRoute, z } from "@hono/zod-openapi";
import type { AppDeps } from "./shared/app_deps.ts";
import { apiApp, jsonReply } from "./openapi.ts";
import { Instant, UuidOut } from "./schemas.ts";
import { listBoxes } from "../models/store/leases.ts";
import { VIGIL_VERSION } from "../models/box.ts";

const Box = z.object({
  id: UuidOut.openapi({ description: "The box id (the `box-id` file of its data dir)" }),
  state: z.enum(["up", "down"]),
  self: z.boolean().openapi({ description: "The box answering" }),
  baseUrl: z.string().openapi({ example: "http://box2:8080" }),
  rtspUrl: z.string().openapi({ example: "rtsp://box2:8554" }),
  capacity: z.number().int().nullable().openapi({
    description: "Cameras it takes at most; null for a box alone (no limit)",
  }),
  version: z.string(),
  cameras: z.array(UuidOut).openapi({ description: "Cameras it holds a lease on" }),
  heartbeatAt: Instant.nullable().openapi({ description: "null for a box alone" }),
  startedAt: Instant.nullable(),
}).openapi("Box");

const list = createRoute({
  method: "get",
  path: "/",
  summary: "The boxes sharing this database",
  tags: ["boxes"],
  responses: {
    200: jsonReply(
      z.object({ items: z.array(Box), next: z.null() }).openapi("BoxList"),
      "Every box",
    ),
  },
});

/**
 * @param deps the running system
 * @returns the sub-app, mounted at `/api/boxes`
 */
export function boxRoutes(deps: AppDeps) {
  return apiApp().openapi(list, async (c) => {
    const cluster = deps.cluster;
    const origin = deps.publicUrl ?? new URL(c.req.url).origin;
    if (!cluster) {
      const alone = {
        id: deps.boxId,
        state: "up" as const,
        self: true,
        baseUrl: origin,
        rtspUrl: `rtsp://${new URL(origin).hostname}:${deps.relay.server.port}`,
        capacity: null,
        version: VIGIL_VERSION,
        cameras: [...deps.fleet.owned().keys()].sort(),
        heartbeatAt: null,
        startedAt: null,
      };
      return c.json({ items: [alone], next: null }, 200);
    }
    const boxes = await listBoxes(deps.db.sql, cluster.ttlMs);
    const items = boxes.map((box) => ({
      id: box.id,
      state: box.up ? "up" as const : "down" as const,
      self: box.id === deps.boxId,
      baseUrl: box.baseUrl,
      rtspUrl: box.rtspUrl,
      capacity: box.capacity,
      version: box.version,
      cameras: box.cameras,
      heartbeatAt: box.heartbeatAt.toISOString(),
      startedAt: box.startedAt.toISOString(),
    }));
    return c.json({ items, next: null }, 200);
  });
}
