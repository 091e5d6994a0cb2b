/**
 * Live media served by the box outside `/api`: the HLS playlist and segments, and MJPEG. Each
 * request needs a token allowed live viewing (a camera-limited one sees only its cameras'
 * sessions) or a signed URL covering the session's directory (a signed playlist lists its
 * segments with the same signature); nothing from the request reaches a file path unchecked (a
 * UUID session, a segment name the playlist lists). Routes: GET /api/openapi.json; SECURITY.md.
 *
 * @module
 */
import { createRoute, z } from "@hono/zod-openapi";
import type { Context, MiddlewareHandler } from "hono";
import type { AppDeps } from "./shared/app_deps.ts";
import { apiApp, BEARER, errorReplies } from "./openapi.ts";
import { Uuid } from "./schemas.ts";
import { NotFoundError, VigilError } from "../models/errors.ts";
import { tokenExists, tokenMaySee } from "../models/auth.ts";
import { requestToken } from "./shared/access.ts";
import { isUuid } from "../models/ids.ts";
import { checkSignedPath } from "../models/rtsp/signed_url.ts";
import { SEGMENT_FILE } from "../models/media/hls_playlist.ts";
import { MJPEG_CONTENT_TYPE } from "../models/media/jpeg_stream.ts";

/**
 * Lets a request through with a valid signature for its session; anything else goes through the
 * API's own authentication (`fallback`: bearer token with the `live` permission, the same failure
 * rate limit).
 *
 * @param deps the relay (its key signs live URLs) and the database (the signing token must exist)
 * @param fallback the API's authentication middleware
 * @returns the middleware for `/live/*`
 */
export function liveMediaAuth(
  deps: Pick<AppDeps, "relay" | "db">,
  fallback: MiddlewareHandler,
): MiddlewareHandler {
  return async (c, next) => {
    const session = c.req.path.split("/")[2] ?? "";
    const query = c.req.query();
    // Not a session's URL (or not signed): the API's authentication, then the routes answer
    // (400 for a malformed id, 404 for no such route).
    if (!isUuid(session) || query.sig === undefined) return await fallback(c, next);
    const check = checkSignedPath(
      deps.relay.keys.signingKey,
      `/live/${session.toLowerCase()}`,
      query,
      Date.now() / 1000,
    );
    if (check !== "ok") {
      throw new VigilError(
        "unauthorized",
        check === "expired" ? "the signed URL has expired" : "the URL's signature is not valid",
      );
    }
    // Bound to the token that asked for it: void once that token is revoked.
    if (query.tok !== undefined && !(await tokenExists(deps.db.sql, query.tok))) {
      throw new VigilError("unauthorized", "the token that signed this URL was revoked");
    }
    await next();
  };
}

const Params = z.object({ id: Uuid.openapi({ param: { name: "id", in: "path" } }) });
const Signed = z.object({
  tok: z.string().optional().openapi({ description: "Signed URL: the issuing token's public id" }),
  exp: z.string().optional().openapi({ description: "Signed URL: expiry (unix seconds)" }),
  sig: z.string().optional().openapi({ description: "Signed URL: signature" }),
});
const tags = ["live"];
const security: Record<string, string[]>[] = [{ [BEARER]: [] }, {}];
const NOT_FOUND = { 404: "No such session, or it has no such output or segment" } as const;

const playlist = createRoute({
  method: "get",
  path: "/{id}/index.m3u8",
  summary: "HLS playlist of an `hls` session",
  description: "About 1 s segments; a quality switch is an #EXT-X-DISCONTINUITY.",
  tags,
  security,
  request: { params: Params, query: Signed },
  responses: {
    200: {
      description: "The live playlist",
      content: { "application/vnd.apple.mpegurl": { schema: z.string() } },
    },
    ...errorReplies(NOT_FOUND),
  },
});

const segment = createRoute({
  method: "get",
  path: "/{id}/{segment}",
  summary: "One HLS segment (MPEG-TS)",
  tags,
  security,
  request: {
    params: Params.extend({
      segment: z.string().regex(SEGMENT_FILE, "must be a segment of the playlist").openapi({
        param: { name: "segment", in: "path" },
        example: "r1-12.ts",
      }),
    }),
    query: Signed,
  },
  responses: {
    200: {
      description: "The segment",
      content: { "video/mp2t": { schema: z.string().openapi({ format: "binary" }) } },
    },
    ...errorReplies(NOT_FOUND),
  },
});

const mjpeg = createRoute({
  method: "get",
  path: "/{id}/mjpeg",
  summary: "MJPEG stream of an `mjpeg` session",
  description: "`multipart/x-mixed-replace`, for an <img> tag; up to 10 frames per second.",
  tags,
  security,
  request: { params: Params, query: Signed },
  responses: {
    200: {
      description: "JPEG frames until the client leaves or the session ends",
      content: {
        "multipart/x-mixed-replace": { schema: z.string().openapi({ format: "binary" }) },
      },
    },
    ...errorReplies(NOT_FOUND),
  },
});

/**
 * @param deps the running system
 * @returns the sub-app, mounted at `/live` behind {@linkcode liveMediaAuth}
 */
export function liveMediaRoutes(deps: AppDeps) {
  const { live } = deps;
  const NO_STORE = { "cache-control": "no-store" };
  /** A session of a camera the token may not see answers like a missing one. */
  const visible = (c: Context, id: string) => {
    if (!tokenMaySee(requestToken(c), live.get(id).camera)) {
      throw new NotFoundError(`live session ${id}`);
    }
    return id;
  };
  return apiApp()
    .openapi(playlist, (c) => {
      const sink = live.hls(visible(c, c.req.valid("param").id));
      sink.touch();
      const { exp, sig, tok } = c.req.valid("query");
      let text = sink.playlist();
      if (sig !== undefined && exp !== undefined) {
        const signed = new URLSearchParams({ ...(tok === undefined ? {} : { tok }), exp, sig });
        text = text.replace(/^(r\d+-\d+\.ts)$/gm, `$1?${signed}`);
      }
      return c.body(text, 200, { "content-type": "application/vnd.apple.mpegurl", ...NO_STORE });
    })
    .openapi(mjpeg, (c) => {
      const sink = live.mjpeg(visible(c, c.req.valid("param").id));
      return c.body(sink.open(deps.shutdown), 200, {
        "content-type": MJPEG_CONTENT_TYPE,
        ...NO_STORE,
      });
    })
    .openapi(segment, async (c) => {
      const { id, segment } = c.req.valid("param");
      const sink = live.hls(visible(c, id));
      sink.touch();
      const path = sink.segmentPath(segment);
      const file = path ? await Deno.open(path).catch(() => undefined) : undefined;
      if (!file) {
        throw new VigilError("not_found", `segment ${segment} is not in the playlist`);
      }
      return c.body(file.readable, 200, { "content-type": "video/mp2t", ...NO_STORE });
    });
}
