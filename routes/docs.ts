/**
 * `GET /api/docs`: the API reference, a small page that renders `GET /api/openapi.json` in the
 * browser. Its HTML, script and style are files in routes/docs/, served from the box with a
 * Content-Security-Policy that allows nothing from elsewhere: an edge box is often offline, and a
 * reference page has no business calling out.
 *
 * @module
 */
import { createRoute, z } from "@hono/zod-openapi";
import { apiApp, PUBLIC } from "./openapi.ts";

/** The page may load its own script and style and read the document; nothing else. */
const CSP = "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; " +
  "img-src 'self' data:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

const ASSETS = {
  page: { file: "index.html", type: "text/html; charset=utf-8" },
  script: { file: "docs.js", type: "text/javascript; charset=utf-8" },
  style: { file: "docs.css", type: "text/css; charset=utf-8" },
} as const;

const text = z.string();
const asset = (path: string, summary: string, type: string) =>
  createRoute({
    method: "get",
    path,
    summary,
    tags: ["contract"],
    ...PUBLIC,
    responses: { 200: { description: summary, content: { [type]: { schema: text } } } },
  });

const page = asset("/docs", "The API reference page", "text/html");
const script = asset("/docs/docs.js", "The reference page's script", "text/javascript");
const style = asset("/docs/docs.css", "The reference page's style", "text/css");

/**
 * @returns the sub-app, mounted at `/api`
 */
export function docsRoutes() {
  const cache = new Map<string, string>();
  const serve = async (name: keyof typeof ASSETS): Promise<Response> => {
    const { file, type } = ASSETS[name];
    let body = cache.get(file);
    if (body === undefined) {
      body = await Deno.readTextFile(new URL(`./docs/${file}`, import.meta.url));
      cache.set(file, body);
    }
    return new Response(body, {
      headers: {
        "content-type": type,
        "content-security-policy": CSP,
        "x-content-type-options": "nosniff",
        "cache-control": "no-cache",
      },
    });
  };
  return apiApp()
    .openapi(page, () => serve("page"))
    .openapi(script, () => serve("script"))
    .openapi(style, () => serve("style"));
}
