/// <reference lib="dom" />
/**
 * System: the box's health, the boxes sharing its database, (admin) its tokens, and (metrics
 * token) its Prometheus metrics.
 *
 * @module
 */
import { el } from "../lib/dom.ts";
import type { PageContext, View } from "../lib/page.ts";
import { healthPanel } from "../components/health_panel.ts";
import { tokensPanel } from "../components/tokens_panel.ts";
import { metricsPanel } from "../components/metrics_panel.ts";
import { boxesPanel } from "../components/boxes_panel.ts";

/**
 * @param ctx the page context
 * @returns the view
 */
export function systemPage(ctx: PageContext): View {
  const health = healthPanel(ctx.api);
  const boxes = ctx.role === "metrics" ? undefined : boxesPanel(ctx.api);
  // Every role may read /metrics, but only a metrics token has nothing else to see here.
  const metrics = ctx.role === "metrics" ? metricsPanel(ctx.api) : undefined;
  const root = el(
    "section",
    { class: "page" },
    el("h1", {}, "System"),
    el("section", { class: "card" }, el("h2", {}, "Health"), health.root),
    boxes && el("section", { class: "card" }, el("h2", {}, "Boxes"), boxes.root),
    metrics && el("section", { class: "card" }, el("h2", {}, "Metrics"), metrics.root),
    ctx.canWrite && el("section", { class: "card" }, el("h2", {}, "Tokens"), tokensPanel(ctx.api)),
  );
  const dispose = () => {
    health.dispose();
    boxes?.dispose();
    metrics?.dispose();
  };
  return { title: "System", root, dispose };
}
