/// <reference lib="dom" />
/**
 * A day of a camera's recordings: a bar with what was recorded, the gaps, and a tick per event
 * (a link to it); below it, export a clip of a range (default: the last 10 s recorded).
 *
 * @module
 */
import { el, replace, svg } from "../lib/dom.ts";
import { type Api, isMissingRoute } from "../lib/api.ts";
import type { EventPage, Timeline } from "../lib/types.ts";
import { bytes, isoToLocal, localToIso, shortTime } from "../logic/format.ts";
import { localDay, mark, place } from "../logic/timeline.ts";
import { field } from "./field.ts";
import { statusLine } from "./status.ts";
import { clipExport } from "./clip_export.ts";

const WIDTH = 1000;
const HEIGHT = 40;

function today(): string {
  return isoToLocal(new Date().toISOString()).slice(0, 10);
}

/**
 * @param api the client
 * @param camera camera id
 * @param canExport whether the role may compile clips
 * @returns the view and its dispose
 */
export function timelineView(
  api: Api,
  camera: string,
  canExport: boolean,
): { root: HTMLElement; dispose(): void } {
  const day = el("input", { type: "date", name: "day", value: today(), max: today() });
  const status = statusLine();
  const bar = el("div", { class: "timeline" });
  const summary = el("p", { class: "facts" });
  const from = el("input", { type: "datetime-local", name: "from", step: 1 });
  const to = el("input", { type: "datetime-local", name: "to", step: 1 });
  const exportButton = el("button", { type: "submit" }, "Export clip");
  const clips = el("div");
  const jobs: { dispose(): void }[] = [];

  const load = async () => {
    status.loading("Loading recordings…");
    const { start, end } = localDay(day.value || today());
    // The rest of today is not a gap: ask up to now.
    const until = Math.max(start + 1000, Math.min(end, Date.now()));
    const range = `from=${new Date(start).toISOString()}&to=${new Date(until).toISOString()}`;
    try {
      const [timeline, events] = await Promise.all([
        api.get<Timeline>(`/api/cameras/${camera}/recordings?${range}`),
        api.get<EventPage>(`/api/events?camera=${camera}&${range}&limit=500`),
      ]);
      const shapes: SVGElement[] = [
        svg("rect", { class: "tl-bg", x: 0, y: 0, width: WIDTH, height: HEIGHT }),
      ];
      for (const gap of timeline.gaps) {
        const p = place(gap, start, end);
        if (p) {
          shapes.push(
            svg("rect", {
              class: "tl-gap",
              x: p.x * WIDTH,
              y: 0,
              width: p.w * WIDTH,
              height: HEIGHT,
            }),
          );
        }
      }
      for (const interval of timeline.intervals) {
        const p = place(interval, start, end);
        if (p) {
          shapes.push(
            svg("rect", {
              class: "tl-rec",
              x: p.x * WIDTH,
              y: 8,
              width: Math.max(1, p.w * WIDTH),
              height: HEIGHT - 16,
            }),
          );
        }
      }
      for (const event of events.items) {
        const x = mark(event.startedAt, start, end);
        if (x === undefined) continue;
        shapes.push(svg(
          "a",
          { href: `#/events/${event.id}` },
          svg("title", {}, `${event.label ?? event.kind} at ${shortTime(event.startedAt)}`),
          svg("rect", { class: "tl-event", x: x * WIDTH - 1, y: 0, width: 3, height: HEIGHT }),
        ));
      }
      for (let h = 0; h <= 24; h += 6) {
        shapes.push(
          svg("text", { class: "tl-hour", x: (h / 24) * WIDTH + 2, y: HEIGHT - 2 }, `${h}:00`),
        );
      }
      replace(
        bar,
        svg("svg", {
          viewBox: `0 0 ${WIDTH} ${HEIGHT}`,
          class: "timeline-bar",
          role: "img",
          "aria-label": "Recordings of the day",
        }, ...shapes),
      );
      summary.textContent =
        `${timeline.intervals.length} recorded stretch(es), ${timeline.gaps.length} gap(s), ` +
        `${timeline.segments} segments, ${bytes(timeline.bytes)}; ${events.items.length} event(s).`;
      const last = timeline.intervals.at(-1);
      if (last && !from.value) {
        const endMs = Date.parse(last.to);
        to.value = isoToLocal(new Date(endMs).toISOString(), true);
        from.value = isoToLocal(new Date(endMs - 10_000).toISOString(), true);
      }
      status.done();
    } catch (error) {
      if (!isMissingRoute(error)) return status.error(error);
      status.done();
      root.hidden = true;
    }
  };
  day.addEventListener("change", load);

  const form = el(
    "form",
    {
      class: "inline",
      "aria-label": "Export a clip",
      on: {
        submit: (event) => {
          event.preventDefault();
          const fromIso = localToIso(from.value);
          const toIso = localToIso(to.value);
          if (!fromIso || !toIso) return status.error("Give a start and an end.");
          const job = clipExport(api, { camera, from: fromIso, to: toIso });
          jobs.push(job);
          clips.prepend(job.root);
        },
      },
    },
    field("From", from),
    field("To", to),
    exportButton,
  );
  const root = el(
    "div",
    {},
    el(
      "div",
      { class: "inline" },
      field("Day", day),
      el("button", { type: "button", on: { click: load } }, "Reload recordings"),
    ),
    status.root,
    bar,
    summary,
    canExport && form,
    clips,
  );
  load();
  return { root, dispose: () => jobs.forEach((job) => job.dispose()) };
}
