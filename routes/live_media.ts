/**
 * Live media served by the box outside `/api`: the HLS playlist and segments, and MJPEG. Each
 * request needs the token that owns the session (or an admin's) or a signed URL covering the
 * session's directory (a signed playlist lists its segments with the same signature); a bad
 * signature counts as a failed authentication. An open MJPEG response re-checks its token like
 * the event feed does and ends once it is revoked. Nothing from the request reaches a file path
 * unchecked (a UUID session, a segment name the playlist lists). Routes: GET /api/openapi.json;
 * SECURITY.md.
 *
 * @module
 */
import { createRoute, z } from "@hono/zod-openapi";
import type { Context, MiddlewareHandler } from "hono";
import type { AppDeps } from "./shared/app_deps.ts";
import { apiApp, BEARER, errorReplies } from "./openapi.ts";
import { Uuid } from "./schemas.ts";
import { NotFoundError, VigilError } from "../models/errors.ts";
import { tokenExists } from "../models/auth.ts";
import { RECHECK_MS } from "../actors/live/manager.ts";
import { clientAddress, mayUseSession, requestToken } from "./shared/access.ts";
import { withTimeout } from "../models/timeout.ts";
import { createLogger } from "../models/log.ts";
import { isUuid } from "../models/ids.ts";
import { checkSignedPath } from "../models/rtsp/signed_url.ts";
import { SEGMENT_FILE } from "../models/media/hls_playlist.ts";
import { MJPEG_CONTENT_TYPE } from "../models/media/jpeg_stream.ts";

/**
 * Lets a request through with a valid signature for its session; anything else goes through the
 * API's own authentication (`fallback`: bearer token with the `live` permission, the same failure
 * rate limit).
 *
 * @param deps the relay (its key signs live URLs; its limiter counts bad signatures, as the
 *   relay's own do) and the database (the signing token must exist)
 * @param fallback the API's authentication middleware
 * @returns the middleware for `/live/*`
 */
export function liveMediaAuth(
  deps: Pick<AppDeps, "relay" | "db" | "auth">,
  fallback: MiddlewareHandler,
): MiddlewareHandler {
  const log = createLogger("http");
  return async (c, next) => {
    const session = c.req.path.split("/")[2] ?? "";
    const query = c.req.query();
    // Not a session's URL (or not signed): the API's authentication, then the routes answer
    // (400 for a malformed id, 404 for no such route).
    if (!isUuid(session) || query.sig === undefined) return await fallback(c, next);
    const limiter = deps.relay.limiter;
    const client = clientAddress(c);
    const waitMs = deps.auth ? limiter.blockedFor(client) : 0;
    if (waitMs > 0) {
      c.header("Retry-After", String(Math.ceil(waitMs / 1000)));
      throw new VigilError(
        "too_many_requests",
        "too many failed authentications from this address; retry later",
      );
    }
    const refuse = (reason: string) => {
      // Guessing signatures is guessing credentials: it counts like a wrong token.
      const blocked = deps.auth ? limiter.fail(client) : false;
      log.warn("authentication failed", { client, reason, path: c.req.path, blocked });
      return new VigilError("unauthorized", reason);
    };
    const check = checkSignedPath(
      deps.relay.keys.signingKey,
      `/live/${session.toLowerCase()}`,
      query,
      Date.now() / 1000,
    );
    if (check !== "ok") {
      throw check === "expired"
        ? new VigilError("unauthorized", "the signed URL has expired")
        : refuse("the URL's signature is not valid");
    }
    // Bound to the token that asked for it: void once that token is revoked.
    if (query.tok !== undefined && !(await tokenExists(deps.db.sql, query.tok))) {
      throw refuse("the token that signed this URL was revoked");
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
  const recheckMs = deps.liveRecheckMs ?? RECHECK_MS;
  /** Another token's session, or one of a camera the token may not see, answers like a missing one. */
  const visible = (c: Context, id: string) => {
    if (!mayUseSession(requestToken(c), live.get(id))) {
      throw new NotFoundError(`live session ${id}`);
    }
    return id;
  };
  /**
   * Ends an open response when the server stops or the token it was opened with (the bearer's,
   * or the one that signed its URL) is revoked; `done()` removes every listener and timer.
   */
  const watchResponse = (tokenId: string) => {
    const ended = new AbortController();
    const stop = () => ended.abort();
    deps.shutdown?.addEventListener("abort", stop, { once: true });
    if (deps.shutdown?.aborted) stop();
    let checking = false;
    const timer = deps.auth && tokenId !== ""
      ? setInterval(async () => {
        if (checking) return;
        checking = true;
        try {
          const exists = await withTimeout(
            tokenExists(deps.db.sql, tokenId),
            recheckMs,
            () => new Error("token re-check timed out"),
          ).catch(() => true);
          if (!exists) stop();
        } finally {
          checking = false;
        }
      }, recheckMs)
      : undefined;
    const done = () => {
      clearInterval(timer);
      deps.shutdown?.removeEventListener("abort", stop);
    };
    return { signal: ended.signal, done };
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
      const { sig, tok } = c.req.valid("query");
      const watch = watchResponse(sig === undefined ? requestToken(c).id : tok ?? "");
      return c.body(sink.open(watch.signal, watch.done), 200, {
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
