/**
 * `GET /api/cameras/:id/relay?stream=&ttl=`: a signed, expiring RTSP URL of a camera's stream on
 * Vigil's relay, for players and media servers that cannot send RTSP credentials. Role: live
 * viewing (admin, viewer, media). The URL names the host the caller reached the API on (unless
 * the relay listens on one address), and works only for that stream until it expires.
 *
 * @module
 */
import { Hono } from "hono";
import type { AppDeps } from "./app.ts";
import { uuidParam } from "./validate.ts";
import { getCamera } from "../models/store/cameras.ts";
import { ValidationError } from "../models/errors.ts";
import { STREAM_NAMES, type StreamName, streamPath } from "../models/media/hub_plan.ts";
import { MAX_SIGNED_TTL_S, signPath } from "../models/rtsp/signed_url.ts";

/** Lifetime of a signed URL unless `ttl` says otherwise. */
export const DEFAULT_RELAY_TTL_S = 600;

/**
 * @param deps the running system (database and relay)
 * @returns the sub-app, mounted at `/api/cameras`
 */
export function relayRoutes(deps: AppDeps): Hono {
  const { db, relay } = deps;
  return new Hono().get("/:id/relay", async (c) => {
    const id = uuidParam(c, "id");
    const stream = (c.req.query("stream") ?? "default") as StreamName;
    if (!STREAM_NAMES.includes(stream)) {
      throw new ValidationError(`stream must be one of ${STREAM_NAMES.join(", ")}`, "stream", 400);
    }
    const rawTtl = c.req.query("ttl");
    const ttl = rawTtl === undefined ? DEFAULT_RELAY_TTL_S : Number(rawTtl);
    if (!/^\d+$/.test(rawTtl ?? "600") || ttl < 10 || ttl > MAX_SIGNED_TTL_S) {
      throw new ValidationError(
        `ttl must be a whole number of seconds from 10 to ${MAX_SIGNED_TTL_S}`,
        "ttl",
        400,
      );
    }
    await getCamera(db.sql, id);
    const path = streamPath(id, stream);
    const expiresAt = Math.floor(Date.now() / 1000) + ttl;
    const { hostname, port } = relay.server;
    const wildcard = hostname === "0.0.0.0" || hostname === "::";
    const host = wildcard ? new URL(c.req.url).hostname : hostname;
    const hostPart = host.includes(":") && !host.startsWith("[") ? `[${host}]` : host;
    return c.json({
      url: `rtsp://${hostPart}:${port}${path}?${signPath(relay.keys.signingKey, path, expiresAt)}`,
      stream,
      expiresAt: new Date(expiresAt * 1000).toISOString(),
    });
  });
}
