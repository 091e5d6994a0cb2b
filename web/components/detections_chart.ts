/// <reference lib="dom" />
/**
 * Detections per label over time, from the per-frame table (`GET /api/detections`): a line per
 * label over the chosen window, with a legend of totals and a text summary for screen readers.
 *
 * @module
 */
import { el, replace, svg } from "../lib/dom.ts";
import type { Api } from "../lib/api.ts";
import type { Detection, DetectionPage } from "../lib/types.ts";
import { bucketDetections, type ChartData } from "../logic/chart_data.ts";
import { shortTime } from "../logic/format.ts";
import { select } from "./field.ts";
import { field } from "./field.ts";
import { statusLine } from "./status.ts";

/** At most this many pages of 500 rows are read for one chart. */
const MAX_PAGES = 20;
const BUCKETS = 60;
const WIDTH = 600;
const HEIGHT = 160;
const WINDOWS: [string, string][] = [["900000", "last 15 minutes"], ["3600000", "last hour"], [
  "21600000",
  "last 6 hours",
], ["86400000", "last 24 hours"]];

function drawChart(data: ChartData): SVGSVGElement {
  const x = (i: number) => (i / (BUCKETS - 1)) * WIDTH;
  const y = (v: number) => HEIGHT - (v / data.max) * (HEIGHT - 10);
  const lines = data.series.slice(0, 6).map((series, s) =>
    svg("polyline", {
      class: `series s${s}`,
      points: series.counts.map((v, i) => `${x(i)},${y(v)}`).join(" "),
    })
  );
  return svg(
    "svg",
    { class: "chart", viewBox: `0 0 ${WIDTH} ${HEIGHT}`, role: "img", "aria-hidden": "true" },
    svg("line", { class: "axis", x1: 0, y1: HEIGHT, x2: WIDTH, y2: HEIGHT }),
    svg(
      "text",
      { class: "axis-label", x: 4, y: 12 },
      `${data.max} per ${Math.round(data.bucketMs / 1000)} s`,
    ),
    ...lines,
  );
}

/**
 * @param api the client
 * @param camera camera id
 * @returns the chart with its window picker, and dispose
 */
export function detectionsChart(api: Api, camera: string): { root: HTMLElement; dispose(): void } {
  const windowPick = select("window", WINDOWS);
  const status = statusLine();
  const figure = el("figure", { class: "chart-box" });
  let loading: AbortController | undefined;
  const load = async () => {
    loading?.abort();
    const abort = loading = new AbortController();
    status.loading("Loading detections…");
    const to = Date.now();
    const from = to - Number(windowPick.value);
    const items: Detection[] = [];
    try {
      let cursor: string | null = null;
      let pages = 0;
      do {
        const query = new URLSearchParams({
          camera,
          from: new Date(from).toISOString(),
          to: new Date(to).toISOString(),
          limit: "500",
        });
        if (cursor) query.set("cursor", cursor);
        const page: DetectionPage = await api.get(`/api/detections?${query}`, abort.signal);
        items.push(...page.items);
        cursor = page.next;
        pages += 1;
      } while (cursor && pages < MAX_PAGES);
      // Newest first: when cut short, the chart starts at the oldest row read.
      const start = cursor && items.length ? Date.parse(items[items.length - 1]!.ts) : from;
      const data = bucketDetections(items, start, to, BUCKETS);
      const legend = el(
        "ul",
        { class: "legend" },
        ...data.series.slice(0, 6).map((s, i) =>
          el("li", {}, el("span", { class: `key s${i}` }), `${s.label}: ${s.total}`)
        ),
      );
      const summary = data.series.length
        ? `${items.length} detections from ${shortTime(new Date(start).toISOString())}: ` +
          data.series.map((s) => `${s.label} ${s.total}`).join(", ") +
          (cursor ? ` (the newest ${items.length} only)` : "")
        : "No detections in this window.";
      replace(figure, drawChart(data), legend, el("figcaption", {}, summary));
      status.done();
    } catch (error) {
      if (!abort.signal.aborted) status.error(error);
    }
  };
  windowPick.addEventListener("change", load);
  const reload = el("button", { type: "button", on: { click: load } }, "Reload");
  load();
  return {
    root: el(
      "div",
      {},
      el("div", { class: "inline" }, field("Window", windowPick), reload),
      status.root,
      figure,
    ),
    dispose: () => loading?.abort(),
  };
}
