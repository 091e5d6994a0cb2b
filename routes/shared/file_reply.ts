/**
 * Serving a finished file (a clip) over HTTP: single byte ranges (models/media/http_range.ts),
 * a strong ETag, conditional requests, and a body streamed from disk that closes the file when
 * the client goes away.
 *
 * @module
 */
import type { Context } from "hono";
import { z } from "@hono/zod-openapi";
import { NotFoundError } from "../../models/errors.ts";
import { planRange } from "../../models/media/http_range.ts";

/**
 * Serves a file with single-range support: 206 with exactly the asked bytes, 416 past the end,
 * 304 when the client has it (`If-None-Match`), else 200. A range is honoured only while
 * `If-Range` (when sent) names this file's ETag.
 *
 * @param c the request's context
 * @param path the file (absolute)
 * @param tag what names this content for good, the strong ETag (a clip's SHA-256, a segment's id)
 * @param what the file in the 404's message
 * @returns the reply
 * @throws {NotFoundError} when the file is missing
 */
export async function serveFile(
  c: Context,
  path: string,
  tag: string,
  what = "the clip file",
): Promise<Response> {
  const etag = `"${tag}"`;
  let file: Deno.FsFile;
  try {
    file = await Deno.open(path, { read: true });
  } catch {
    throw new NotFoundError(what);
  }
  const size = (await file.stat()).size;
  // No content-type on the replies without a body (304, 416).
  const headers: Record<string, string> = {
    "accept-ranges": "bytes",
    etag,
    "cache-control": "private, max-age=3600",
  };
  if ((c.req.header("if-none-match") ?? "").split(",").map((t) => t.trim()).includes(etag)) {
    file.close();
    return new Response(null, { status: 304, headers });
  }
  const ifRange = c.req.header("if-range");
  const plan = ifRange !== undefined && ifRange !== etag
    ? { kind: "full" as const }
    : planRange(c.req.header("range") ?? null, size);
  if (plan.kind === "unsatisfiable") {
    file.close();
    return new Response(null, {
      status: 416,
      headers: { ...headers, "content-range": `bytes */${size}` },
    });
  }
  if (c.req.method === "HEAD") file.close();
  headers["content-type"] = "video/mp4";
  if (plan.kind === "full") {
    headers["content-length"] = String(size);
    return new Response(c.req.method === "HEAD" ? null : file.readable, { status: 200, headers });
  }
  const length = plan.end - plan.start + 1;
  headers["content-length"] = String(length);
  headers["content-range"] = `bytes ${plan.start}-${plan.end}/${size}`;
  if (c.req.method === "HEAD") return new Response(null, { status: 206, headers });
  await file.seek(plan.start, Deno.SeekMode.Start);
  return new Response(limitStream(file, length), { status: 206, headers });
}

/** The next `length` bytes of a file, closing it at the end or when the client goes away. */
function limitStream(file: Deno.FsFile, length: number): ReadableStream<Uint8Array> {
  let left = length;
  return new ReadableStream({
    type: "bytes",
    async pull(controller) {
      const buffer = new Uint8Array(Math.min(64 * 1024, left));
      const n = await file.read(buffer);
      if (n === null || n === 0) {
        file.close();
        controller.close();
        return;
      }
      left -= n;
      controller.enqueue(buffer.subarray(0, n));
      if (left <= 0) {
        file.close();
        controller.close();
      }
    },
    cancel() {
      file.close();
    },
  });
}

const MP4 = { "video/mp4": { schema: z.string().openapi({ format: "binary" }) } };

/**
 * The API document's replies of a route that answers with {@linkcode serveFile} for an MP4.
 *
 * @param whole what the 200 holds ("The clip")
 * @returns the 200, 206, 304 and 416 replies
 */
export function mp4FileReplies(whole: string) {
  return {
    200: { description: whole, content: MP4 },
    206: { description: "The requested bytes", content: MP4 },
    304: { description: "Unchanged (If-None-Match)" },
    416: { description: "The range starts past the end" },
  };
}
