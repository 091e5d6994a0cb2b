/// <reference lib="dom" />
/**
 * Detections per label over time, counted by the database (`GET /api/detections/counts`): a line
 * per label over the chosen window, with a legend of totals and a text summary for screen readers.
 *
 * @module
 */
import { el, replace, svg } from "../lib/dom.ts";
import type { Api } from "../lib/api.ts";
import { type ChartData, seriesFromCounts } from "../logic/chart_data.ts";
import { shortTime } from "../logic/format.ts";
import { select } from "./field.ts";
import { field } from "./field.ts";
import { statusLine } from "./status.ts";

const WIDTH = 600;
const HEIGHT = 160;
const WINDOWS: [string, string][] = [["900000", "last 15 minutes"], ["3600000", "last hour"], [
  "21600000",
  "last 6 hours",
], ["86400000", "last 24 hours"]];
/** The bucket each window is counted in (name for the API, and ms), 15 to 96 points. */
const BUCKET_OF: Record<string, [string, number]> = {
  "900000": ["1m", 60_000],
  "3600000": ["1m", 60_000],
  "21600000": ["5m", 300_000],
  "86400000": ["15m", 900_000],
};

interface Counts {
  items: { bucket: string; label: string; count: number }[];
}

function drawChart(data: ChartData): SVGSVGElement {
  const points = Math.max(2, data.series[0]?.counts.length ?? 2);
  const x = (i: number) => (i / (points - 1)) * WIDTH;
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
    const [bucket, bucketMs] = BUCKET_OF[windowPick.value] ?? ["1m", 60_000];
    try {
      const query = new URLSearchParams({
        camera,
        bucket,
        from: new Date(from).toISOString(),
        to: new Date(to).toISOString(),
      });
      const counts: Counts = await api.get(`/api/detections/counts?${query}`, abort.signal);
      const data = seriesFromCounts(counts.items, from, to, bucketMs);
      const total = data.series.reduce((sum, s) => sum + s.total, 0);
      const legend = el(
        "ul",
        { class: "legend" },
        ...data.series.slice(0, 6).map((s, i) =>
          el("li", {}, el("span", { class: `key s${i}` }), `${s.label}: ${s.total}`)
        ),
      );
      const summary = data.series.length
        ? `${total} detections from ${shortTime(new Date(from).toISOString())}: ` +
          data.series.map((s) => `${s.label} ${s.total}`).join(", ")
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
