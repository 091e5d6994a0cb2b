/**
 * `GET /api/cameras/:id/relay?stream=&ttl=`: a signed, expiring RTSP URL of a camera's stream on
 * Vigil's relay, for players and media servers that cannot send RTSP credentials. Role: live
 * viewing (admin, viewer, media). The URL names the host the caller reached the API on (unless
 * the relay listens on one address), and works only for that stream until it expires.
 *
 * @module
 */
import { createRoute, z } from "@hono/zod-openapi";
import { OWNER_REDIRECT } from "./shared/owner.ts";
import type { AppDeps } from "./shared/app_deps.ts";
import { apiApp, errorReplies, jsonReply } from "./openapi.ts";
import { IdParam, Instant } from "./schemas.ts";
import { getCamera } from "../models/store/cameras.ts";
import { STREAM_NAMES, streamPath } from "../models/media/hub_plan.ts";
import { MAX_SIGNED_TTL_S, signPath } from "../models/rtsp/signed_url.ts";
import { requestToken } from "./shared/access.ts";
import { relayOrigin } from "./shared/relay_origin.ts";

/** Lifetime of a signed URL unless `ttl` says otherwise. */
export const DEFAULT_RELAY_TTL_S = 600;

const TTL_HINT = `must be a whole number of seconds from 10 to ${MAX_SIGNED_TTL_S}`;

const RelayQuery = z.strictObject({
  stream: z.enum(STREAM_NAMES).optional().openapi({
    description: "default: the camera as configured (rtspUrl); main: what is recorded (an ONVIF " +
      "camera's largest profile, or recordUrl); sub: what analysis decodes (analysisUrl, or an " +
      "ONVIF camera's analysis profile); a name without a stream of its own is the default stream",
  }),
  ttl: z.string()
    .regex(/^[0-9]{1,6}$/, TTL_HINT)
    .transform(Number)
    .refine((n) => n >= 10 && n <= MAX_SIGNED_TTL_S, TTL_HINT)
    .optional()
    .openapi({
      type: "integer",
      minimum: 10,
      maximum: MAX_SIGNED_TTL_S,
      default: DEFAULT_RELAY_TTL_S,
      description: "Seconds the URL stays valid",
    }),
});

const RelayUrl = z.object({
  url: z.string().openapi({
    description: "rtsp:// URL on the relay with `exp` and `sig`; RTP over TCP",
    example:
      "rtsp://192.168.1.5:8554/cam/0192f0c4-6a1e-7b3c-8d2e-1f2a3b4c5d6e?exp=1767225600&sig=…",
  }),
  stream: z.enum(STREAM_NAMES),
  expiresAt: Instant,
}).openapi("RelayUrl");

const relay = createRoute({
  method: "get",
  path: "/{id}/relay",
  summary: "A signed RTSP URL of the camera on the relay",
  description: "For players that cannot send RTSP credentials. Readers that can use RTSP Basic " +
    "with any user name and an API token as the password on the same URL without the query.",
  tags: ["cameras"],
  request: { params: IdParam, query: RelayQuery },
  responses: {
    ...OWNER_REDIRECT,
    200: jsonReply(RelayUrl, "The signed URL"),
    ...errorReplies({ 404: "No such camera" }),
  },
});

/**
 * @param deps the running system (database and relay)
 * @returns the sub-app, mounted at `/api/cameras`
 */
export function relayRoutes(deps: AppDeps) {
  const { db, relay: { server, keys } } = deps;
  return apiApp().openapi(relay, async (c) => {
    const { id } = c.req.valid("param");
    const query = c.req.valid("query");
    const stream = query.stream ?? "default";
    await getCamera(db.sql, id);
    const path = streamPath(id, stream);
    const expiresAt = Math.floor(Date.now() / 1000) + (query.ttl ?? DEFAULT_RELAY_TTL_S);
    const origin = relayOrigin(server, new URL(c.req.url).hostname);
    // Bound to the issuing token: revoking it voids the URL (auth off: no token to bind).
    const tokenId = requestToken(c).id || undefined;
    const signed = signPath(keys.signingKey, path, expiresAt, tokenId);
    return c.json({
      url: `${origin}${path}?${signed}`,
      stream,
      expiresAt: new Date(expiresAt * 1000).toISOString(),
    }, 200);
  });
}
