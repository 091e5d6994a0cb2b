/**
 * The web console: `GET /` and `GET /console/<file>` (script, style, icon), bundled once per
 * process by web/build.ts (started at boot so the first visit does not wait; after a failed build
 * the next request builds again, but no sooner than {@linkcode CONSOLE_RETRY_MS} after it, doubling
 * while it keeps failing: unauthenticated `GET /` cannot start one bundler run after another). Every answer carries a strict Content-Security-Policy with Trusted
 * Types enforced, so no string can become HTML in the page. The policy: README "Web console".
 *
 * @module
 */
import { createRoute, z } from "@hono/zod-openapi";
import type { Context } from "hono";
import { buildConsole, type ConsoleFile, type ConsoleFiles } from "../web/build.ts";
import { NotFoundError, VigilError } from "../models/errors.ts";
import { createLogger } from "../models/log.ts";
import { apiApp, errorReplies, PUBLIC } from "./openapi.ts";

/** The policy every console response carries. */
export const CONSOLE_CSP = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' blob:",
  "media-src 'self' blob:",
  "connect-src 'self'",
  "manifest-src 'self'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
  "require-trusted-types-for 'script'",
  "trusted-types 'none'",
].join("; ");

const FILE_NAME = /^[A-Za-z0-9_-]{1,64}\.(js|css|svg)$/;
const log = createLogger("console");

/** After a failed console build, the next one starts no sooner than this (doubling, ≤ 5 min). */
export const CONSOLE_RETRY_MS = 10_000;
const CONSOLE_RETRY_MAX_MS = 300_000;

/**
 * Builds the console once. A failure is answered (503) until its retry time, then the next call
 * builds again; each further failure doubles the wait.
 *
 * @param build the bundler run
 * @param now clock (tests)
 * @returns the files, built at most once at a time and not again while a failure is fresh
 */
export function consoleBuilder(
  build: () => Promise<ConsoleFiles> = buildConsole,
  now: () => number = Date.now,
): () => Promise<ConsoleFiles> {
  let pending: Promise<ConsoleFiles> | undefined;
  let failures = 0;
  let retryAt = 0;
  const unavailable = () =>
    new VigilError("console_unavailable", "the web console could not be built");
  return () => {
    if (!pending && now() < retryAt) return Promise.reject(unavailable());
    pending ??= build().then((files) => {
      failures = 0;
      return files;
    }, (error) => {
      pending = undefined;
      failures++;
      retryAt = now() + Math.min(CONSOLE_RETRY_MS * 2 ** (failures - 1), CONSOLE_RETRY_MAX_MS);
      log.error("console build failed", { error, retryInMs: retryAt - now() });
      throw unavailable();
    });
    return pending;
  };
}

function send(c: Context, file: ConsoleFile): Response {
  c.header("content-security-policy", CONSOLE_CSP);
  c.header("x-content-type-options", "nosniff");
  c.header("referrer-policy", "no-referrer");
  c.header("x-frame-options", "DENY");
  c.header("etag", file.etag);
  c.header("cache-control", file.immutable ? "public, max-age=31536000, immutable" : "no-cache");
  if (c.req.header("if-none-match") === file.etag) return c.body(null, 304);
  return c.body(file.body, 200, { "content-type": file.contentType });
}

const FileParam = z.object({
  file: z.string().regex(FILE_NAME).openapi({ example: "main.js" }),
});
const tags = ["console"];
const served = (types: string[], description: string) => ({
  description,
  content: Object.fromEntries(types.map((type) => [type, { schema: z.string() }])),
});
const UNAVAILABLE = { 503: "The console could not be built (the API still works)" } as const;

const page = createRoute({
  method: "get",
  path: "/",
  summary: "The web console",
  description: "The page of the console; it signs in with a token and then uses this API.",
  tags,
  ...PUBLIC,
  responses: {
    200: served(["text/html"], "The console page"),
    304: { description: "Not modified (ETag)" },
    ...errorReplies(UNAVAILABLE),
  },
});

const file = createRoute({
  method: "get",
  path: "/console/{file}",
  summary: "A file of the web console (script, style, icon)",
  tags,
  ...PUBLIC,
  request: { params: FileParam },
  responses: {
    200: served(["text/javascript", "text/css", "image/svg+xml"], "The file"),
    304: { description: "Not modified (ETag)" },
    ...errorReplies({ 404: "No such file", ...UNAVAILABLE }),
  },
});

/**
 * @param files the console's files (default: built from `web/` on the first visit)
 * @returns the sub-app, mounted at `/`
 */
export function consoleRoutes(files: () => Promise<ConsoleFiles> = consoleBuilder()) {
  const get = async (name: string) => {
    const found = (await files()).get(name);
    if (!found) throw new NotFoundError(`console file ${name}`);
    return found;
  };
  return apiApp()
    .openapi(page, async (c) => send(c, await get("index.html")))
    .openapi(file, async (c) => send(c, await get(c.req.valid("param").file)));
}
