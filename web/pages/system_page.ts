/// <reference lib="dom" />
/**
 * System: the box's health, and (admin) its tokens.
 *
 * @module
 */
import { el } from "../lib/dom.ts";
import type { PageContext, View } from "../lib/page.ts";
import { healthPanel } from "../components/health_panel.ts";
import { tokensPanel } from "../components/tokens_panel.ts";

/**
 * @param ctx the page context
 * @returns the view
 */
export function systemPage(ctx: PageContext): View {
  const health = healthPanel(ctx.api);
  const root = el(
    "section",
    { class: "page" },
    el("h1", {}, "System"),
    el("section", { class: "card" }, el("h2", {}, "Health"), health.root),
    ctx.canWrite && el("section", { class: "card" }, el("h2", {}, "Tokens"), tokensPanel(ctx.api)),
  );
  return { title: "System", root, dispose: health.dispose };
}
