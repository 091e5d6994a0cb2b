/**
 * `GET /metrics`: the Prometheus text exposition of the box (actors/metrics/collector.ts), outside
 * `/api` where scrapers expect it. On the API port it needs a token of any role (the `metrics`
 * role may read only this), not limited to some cameras (the metrics name every camera);
 * `VIGIL_METRICS_ADDR` serves it on a separate address without a token (bind that to a private
 * interface), like node_exporter. Why our own writer: docs/decisions/own-prometheus-writer.md.
 *
 * @module
 */
import { createRoute, z } from "@hono/zod-openapi";
import type { Metrics } from "../actors/metrics/collector.ts";
import { CONTENT_TYPE } from "../models/metrics/exposition.ts";
import { apiApp, errorJson, errorResponse } from "./openapi.ts";

const metricsRoute = createRoute({
  method: "get",
  path: "/",
  summary: "Prometheus metrics",
  description: "Per camera: stream state, frames in and analysed, drops, reconnects, inference " +
    "time histogram, motion-gate skips, events, writer queue/backlog/spill/rows written; per " +
    "process: RSS, event-loop lag, database up. Text format 0.0.4.",
  tags: ["metrics"],
  responses: {
    200: {
      description: "The exposition",
      content: { "text/plain": { schema: z.string() } },
    },
  },
});

/**
 * @param metrics what to render
 * @returns the sub-app, mounted at `/metrics`
 */
export function metricsRoutes(metrics: Metrics) {
  return apiApp().openapi(metricsRoute, async (c) => {
    const text = await metrics.render();
    c.header("cache-control", "no-store");
    // c.text sets text/plain; the exposition format wants its version named too.
    return c.text(text, 200, { "content-type": CONTENT_TYPE });
  });
}

/**
 * The app of the separate metrics address (`VIGIL_METRICS_ADDR`): `GET /metrics` only, no token.
 *
 * @param metrics what to render
 * @returns the app for `Deno.serve`
 */
export function metricsApp(metrics: Metrics) {
  const app = apiApp();
  app.onError(errorResponse);
  app.notFound((c) => errorJson(c, "not_found", `no route for ${c.req.method} ${c.req.path}`));
  app.route("/metrics", metricsRoutes(metrics));
  return app;
}
