/// <reference lib="dom" />
/**
 * The box's Prometheus metrics (`GET /metrics`), for a metrics token — the one thing that role may
 * read: where a scraper reads them, how many there are, and their current values.
 *
 * @module
 */
import { el } from "../lib/dom.ts";
import type { Api } from "../lib/api.ts";
import { poll } from "../lib/poll.ts";
import { shortTime } from "../logic/format.ts";
import { summarizeExposition } from "../logic/exposition.ts";
import { statusLine } from "./status.ts";

/** As often as a typical scrape. */
const REFRESH_MS = 15_000;

/**
 * @param api the client
 * @returns the panel and its dispose
 */
export function metricsPanel(api: Api): { root: HTMLElement; dispose(): void } {
  const status = statusLine();
  const summary = el("p", { class: "facts", "data-metrics": "summary" });
  const values = el("pre", { class: "exposition" });
  status.loading("Reading the metrics…");
  const stop = poll(REFRESH_MS, async () => {
    try {
      const text = await (await api.blob("/metrics")).text();
      const { families, samples } = summarizeExposition(text);
      summary.textContent = `${families} metrics, ${samples} samples · read at ${
        shortTime(new Date().toISOString())
      }`;
      values.textContent = text;
      status.done();
    } catch (error) {
      status.error(error);
    }
  });
  const root = el(
    "div",
    {},
    el(
      "p",
      { class: "hint" },
      "A Prometheus scraper reads ",
      el("code", {}, `${location.origin}/metrics`),
      " with this token as its bearer token.",
    ),
    status.root,
    summary,
    el("details", {}, el("summary", {}, "Current values"), values),
  );
  return { root, dispose: stop };
}
