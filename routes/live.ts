/**
 * Live sessions and manageQuality (`/api/live`: open, list, read, switch quality, end). Each
 * reply carries the session's URLs on this box, and the same URLs signed (valid
 * {@linkcode SIGNED_TTL_S}, bound to the asking token: revoking it voids them) for players that
 * cannot send a token. Handlers validate and delegate to the live manager (actors/live/manager.ts).
 * A session belongs to the token that opened it: only that token or an admin sees, switches or
 * ends it (anyone else gets 404); `rtsp-push` is for admin and media tokens only.
 * Routes and replies: GET /api/openapi.json.
 *
 * @module
 */
import { createRoute, z } from "@hono/zod-openapi";
import { OWNER_REDIRECT } from "./shared/owner.ts";
import type { Context } from "hono";
import type { AppDeps } from "./shared/app_deps.ts";
import { apiApp, errorReplies, jsonBody, jsonReply } from "./openapi.ts";
import { IdParam, Instant, Uuid, UuidOut } from "./schemas.ts";
import { QUALITIES } from "../models/media/quality.ts";
import { targetProblem } from "../models/media/live_args.ts";
import { LIVE_OUTPUTS, type SessionInfo } from "../actors/live/types.ts";
import { signPath } from "../models/rtsp/signed_url.ts";
import { relayOrigin } from "./shared/relay_origin.ts";
import { mayUseSession, requestToken } from "./shared/access.ts";
import { tokenMaySee } from "../models/auth.ts";
import { NotFoundError, VigilError } from "../models/errors.ts";
import { parsePushTarget } from "../models/net/push_target.ts";

/** Lifetime of the signed URLs in a reply. */
export const SIGNED_TTL_S = 12 * 3600;

const Quality = z.enum(QUALITIES).openapi({
  description: "`source` (stream copy), `sub` (the ONVIF sub-stream, else 360p), or a rung " +
    "(scaled, never upscaled)",
  example: "720p",
});
const Output = z.enum(LIVE_OUTPUTS).openapi({
  description: "`rtsp` (pull from this box), `rtsp-push` (to `target`), `hls` (served by this " +
    "box), `mjpeg` (multipart JPEG for a quick look)",
});

const OpenBody = z.strictObject({
  camera: Uuid,
  quality: Quality,
  annotated: z.boolean().optional().openapi({
    description: "Boxes, labels and track ids of the camera's analysis drawn on the picture",
  }),
  output: Output.optional().openapi({ default: "rtsp" }),
  target: z.string().optional().openapi({
    description: "rtsp-push only (admin and media tokens): `rtsp://` or `rtsps://` URL the " +
      "stream is published to. Loopback, link-local and this box's own ports are refused unless " +
      "VIGIL_PUSH_ALLOW lists them",
    example: "rtsp://media:8554/cam1",
  }),
}).superRefine((body, ctx) => {
  if (body.output === "rtsp-push") {
    const problem = body.target === undefined
      ? "is required with output rtsp-push"
      : targetProblem(body.target);
    if (problem) ctx.addIssue({ code: "custom", path: ["target"], message: problem });
  } else if (body.target !== undefined) {
    ctx.addIssue({ code: "custom", path: ["target"], message: "is only for output rtsp-push" });
  }
}).openapi("LiveRequest", {
  example: { camera: "0192f0c4-6a1e-7b3c-8d2e-1f2a3b4c5d6e", quality: "720p", output: "hls" },
});

const QualityBody = z.strictObject({ quality: Quality }).openapi("LiveQuality");

const Urls = z.object({
  rtsp: z.string().optional().openapi({ example: "rtsp://box:8554/live/3f1c…" }),
  hls: z.string().optional().openapi({ example: "http://box:8080/live/3f1c…/index.m3u8" }),
  mjpeg: z.string().optional().openapi({ example: "http://box:8080/live/3f1c…/mjpeg" }),
});

const Session = z.object({
  id: UuidOut,
  camera: UuidOut,
  quality: Quality,
  served: z.object({
    quality: z.string().openapi({
      description: "A rung, or `<height>p` when the source is smaller",
    }),
    mode: z.enum(["copy", "encode"]),
    stream: z.enum(["main", "sub"]),
    codec: z.string(),
    width: z.number().int(),
    height: z.number().int(),
    bitrateKbps: z.number().int().nullable(),
  }).openapi({ description: "What was chosen for the quality asked" }),
  annotated: z.boolean(),
  output: Output,
  target: z.string().nullable().openapi({
    description: "rtsp-push target without its password",
  }),
  owner: z.string().nullable().openapi({
    description: "Public id of the token that opened it (null: authentication off)",
  }),
  state: z.enum(["starting", "live", "reconnecting"]),
  sharedBy: z.number().int().openapi({ description: "Sessions on the same transcoder" }),
  dropped: z.number().int().openapi({ description: "Pictures dropped: the output fell behind" }),
  annotation: z.object({ drawn: z.number().int(), bare: z.number().int() }).nullable(),
  urls: Urls.openapi({ description: "Need the token (Authorization: Bearer)" }),
  signedUrls: Urls.openapi({ description: "Work without a token until signedUntil" }),
  signedUntil: Instant,
  createdAt: Instant,
}).openapi("LiveSession");

const tags = ["live"];
const NOT_FOUND = { 404: "No such live session" } as const;

const open = createRoute({
  method: "post",
  path: "/",
  summary: "Open a live session",
  description: "Answers once the output is up (RTSP published, first HLS segment, first JPEG). " +
    "Sessions with the same camera, quality, annotation and delivery share one transcoder; a " +
    "session nobody reads for the idle timeout (30 s) ends.",
  tags,
  request: { body: jsonBody(OpenBody) },
  responses: {
    ...OWNER_REDIRECT,
    201: jsonReply(Session, "The session"),
    ...errorReplies({
      403: "rtsp-push asked by a viewer",
      404: "No such camera",
      409: "Annotated asked of a camera without analytics",
      422: "A push target that is local (loopback, link-local, this box) and not allowed",
      503: "The box's or the token's transcode or session budget is spent (Retry-After), or the " +
        "stream did not start",
    }),
  },
});

const list = createRoute({
  method: "get",
  path: "/",
  summary: "Live sessions",
  tags,
  responses: {
    200: jsonReply(
      z.object({ items: z.array(Session), next: z.null() }).openapi("LiveSessionList"),
      "The token's own sessions (an admin's: every session)",
    ),
  },
});

const get = createRoute({
  method: "get",
  path: "/{id}",
  summary: "One live session",
  tags,
  request: { params: IdParam },
  responses: { 200: jsonReply(Session, "The session"), ...errorReplies(NOT_FOUND) },
});

const setQuality = createRoute({
  method: "put",
  path: "/{id}",
  summary: "manageQuality: switch a running session to another quality",
  description: "The session keeps its id and URLs; the player sees a discontinuity, not an " +
    "error. Answers once the new quality plays.",
  tags,
  request: { params: IdParam, body: jsonBody(QualityBody) },
  responses: {
    200: jsonReply(Session, "The session"),
    ...errorReplies({
      ...NOT_FOUND,
      409: "Annotated session of a camera whose analytics was detached",
      503: "The transcode budget is spent (Retry-After), or the new quality did not start",
    }),
  },
});

const close = createRoute({
  method: "delete",
  path: "/{id}",
  summary: "End a live session",
  tags,
  request: { params: IdParam },
  responses: { 204: { description: "Ended" }, ...errorReplies(NOT_FOUND) },
});

/**
 * The URLs of a session on this box, plain and signed.
 *
 * @param info the session
 * @param base `http(s)://host:port` clients reach the API at
 * @param rtspBase `rtsp://host:port` of the box's RTSP server
 * @param key the URL signing key (the relay's: one key signs every live URL of the box)
 * @param now current time, unix seconds
 * @param tokenId the issuing token: revoking it voids the signed URLs (none with auth off)
 * @returns plain URLs, signed URLs and their expiry
 */
export function sessionUrls(
  info: SessionInfo,
  base: string,
  rtspBase: string,
  key: Uint8Array,
  now: number,
  tokenId?: string,
): { urls: z.infer<typeof Urls>; signedUrls: z.infer<typeof Urls>; signedUntil: string } {
  const expires = Math.floor(now) + SIGNED_TTL_S;
  const urls: z.infer<typeof Urls> = {};
  const signedUrls: z.infer<typeof Urls> = {};
  // HTTP outputs are signed for the session's directory: the playlist and its segments.
  const httpQuery = signPath(key, `/live/${info.id}`, expires, tokenId);
  for (const kind of ["hls", "mjpeg"] as const) {
    const path = info.paths[kind];
    if (!path) continue;
    urls[kind] = `${base}${path}`;
    signedUrls[kind] = `${base}${path}?${httpQuery}`;
  }
  if (info.paths.rtsp) {
    urls.rtsp = `${rtspBase}${info.paths.rtsp}`;
    signedUrls.rtsp = `${urls.rtsp}?${signPath(key, info.paths.rtsp, expires, tokenId)}`;
  }
  return { urls, signedUrls, signedUntil: new Date(expires * 1000).toISOString() };
}

/**
 * @param deps the running system
 * @returns the sub-app, mounted at `/api/live`
 */
export function liveRoutes(deps: AppDeps) {
  const { live } = deps;
  /** Another token's session, or one of a camera the token may not see, answers like a missing one. */
  const visible = (c: Context, info: SessionInfo) => {
    if (!mayUseSession(requestToken(c), info)) throw new NotFoundError(`live session ${info.id}`);
    return info;
  };
  const view = (c: Context, info: SessionInfo) => {
    const base = deps.publicUrl ?? new URL(c.req.url).origin;
    const rtspBase = relayOrigin(deps.relay.server, new URL(base).hostname);
    return {
      ...info,
      ...sessionUrls(
        info,
        base,
        rtspBase,
        deps.relay.keys.signingKey,
        Date.now() / 1000,
        requestToken(c).id || undefined,
      ),
    };
  };
  return apiApp()
    .openapi(open, async (c) => {
      const body = c.req.valid("json");
      const token = requestToken(c);
      if (!tokenMaySee(token, body.camera)) {
        throw new NotFoundError(`camera ${body.camera}`);
      }
      // A push makes the box connect where the caller says: not a viewer's call.
      if (body.output === "rtsp-push" && token.role !== "admin" && token.role !== "media") {
        throw new VigilError("forbidden", `the ${token.role} role cannot open rtsp-push sessions`);
      }
      const info = await live.open({
        camera: body.camera,
        quality: body.quality,
        annotated: body.annotated ?? false,
        output: body.output ?? "rtsp",
        target: body.target === undefined ? undefined : parsePushTarget(body.target),
        owner: token.id,
        ownerIsAdmin: token.role === "admin",
      });
      return c.json(view(c, info), 201);
    })
    .openapi(list, (c) => {
      const token = requestToken(c);
      const items = live.list().filter((s) => mayUseSession(token, s));
      return c.json({ items: items.map((s) => view(c, s)), next: null }, 200);
    })
    .openapi(get, (c) => c.json(view(c, visible(c, live.get(c.req.valid("param").id))), 200))
    .openapi(setQuality, async (c) => {
      const { id } = c.req.valid("param");
      visible(c, live.get(id));
      return c.json(view(c, await live.setQuality(id, c.req.valid("json").quality)), 200);
    })
    .openapi(close, async (c) => {
      const { id } = c.req.valid("param");
      visible(c, live.get(id));
      await live.close(id);
      return c.body(null, 204);
    });
}
