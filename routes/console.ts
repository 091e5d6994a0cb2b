/**
 * The web console: `GET /` answers the page, `GET /console/<file>` its script, style and icon.
 * Files come from {@linkcode buildConsole}, built once per process (the first build is started
 * by main.ts at start so the first visit does not wait for it; a failed build is retried by the
 * next request).
 *
 * Every answer carries a strict Content-Security-Policy: scripts and styles only from this box,
 * no inline script, no `eval`, no plugins, no framing, and Trusted Types enforced so that no
 * string can ever be assigned as HTML in the page. Pictures and video come from this box or from
 * `blob:` URLs (snapshots are fetched with the bearer token, then shown from a blob).
 *
 * @module
 */
import { Hono } from "hono";
import type { Context } from "hono";
import { buildConsole, type ConsoleFile, type ConsoleFiles } from "../web/build.ts";
import { NotFoundError, VigilError } from "../models/errors.ts";
import { createLogger } from "../models/log.ts";

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

/** Builds the console once; a failure is forgotten so the next call tries again. */
export function consoleBuilder(
  build: () => Promise<ConsoleFiles> = buildConsole,
): () => Promise<ConsoleFiles> {
  let pending: Promise<ConsoleFiles> | undefined;
  return () => {
    pending ??= build().catch((error) => {
      pending = undefined;
      log.error("console build failed", { error });
      throw new VigilError("console_unavailable", "the web console could not be built", 503);
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

/**
 * @param files the console's files (default: built from `web/` on first use)
 * @returns the sub-app, mounted at `/`
 */
export function consoleRoutes(files: () => Promise<ConsoleFiles> = consoleBuilder()): Hono {
  const get = async (name: string) => {
    const file = (await files()).get(name);
    if (!file) throw new NotFoundError(`console file ${name}`);
    return file;
  };
  return new Hono()
    .get("/", async (c) => send(c, await get("index.html")))
    .get("/console/:file", async (c) => {
      const name = c.req.param("file");
      if (!FILE_NAME.test(name)) throw new NotFoundError(`console file ${name}`);
      return send(c, await get(name));
    });
}
