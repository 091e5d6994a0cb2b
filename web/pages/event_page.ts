/// <reference lib="dom" />
/**
 * One event: its best snapshot with the path its track took drawn over it, its facts and
 * details, and the per-frame detections of its track.
 *
 * @module
 */
import { el, replace, svg } from "../lib/dom.ts";
import type { PageContext, View } from "../lib/page.ts";
import type { Camera, Detection, DetectionPage, VigilEvent } from "../lib/types.ts";
import { duration, shortTime } from "../logic/format.ts";
import { snapshotView } from "../components/snapshot.ts";
import { statusLine } from "../components/status.ts";
import { clipExport } from "../components/clip_export.ts";

function facts(rows: [string, string][]): HTMLElement {
  return el(
    "dl",
    { class: "facts-list" },
    ...rows.flatMap(([k, v]) => [el("dt", {}, k), el("dd", {}, v)]),
  );
}

/** The track's foot points (bottom centre of each box) as a path over the picture. */
function trackPath(detections: Detection[]): SVGSVGElement {
  const points = detections.slice().reverse().map((d) =>
    `${(d.box[0] + d.box[2]) / 2},${d.box[3]}`
  );
  return svg(
    "svg",
    { class: "track", viewBox: "0 0 1 1", preserveAspectRatio: "none", "aria-hidden": "true" },
    svg("polyline", { class: "track-path", points: points.join(" ") }),
  );
}

/**
 * @param ctx the page context
 * @param id event id
 * @returns the view
 */
export function eventPage(ctx: PageContext, id: string): View {
  const { api } = ctx;
  const status = statusLine();
  const heading = el("h1", {}, "Event");
  const body = el("div", { class: "event-page" });
  const picture = snapshotView(api, `/api/events/${id}/snapshot.jpg`, "Best frame of the event");
  const track = el("div");
  const clipSlot = el("div");
  let clip: { dispose(): void } | undefined;
  const trackStatus = statusLine();

  const load = async () => {
    status.loading("Loading the event…");
    try {
      const event = await api.get<VigilEvent>(`/api/events/${id}`);
      const camera = await api.get<Camera>(`/api/cameras/${event.camera}`).catch(() => undefined);
      heading.textContent = [event.label ?? event.kind, event.zone ? `in ${event.zone}` : ""]
        .filter(Boolean).join(" ");
      const rows: [string, string][] = [
        ["Kind", event.kind],
        ["Camera", camera?.name ?? event.camera],
        ["Started", shortTime(event.startedAt)],
        ["Ended", event.endedAt ? shortTime(event.endedAt) : "still open"],
        [
          "Length",
          event.endedAt ? duration(Date.parse(event.endedAt) - Date.parse(event.startedAt)) : "–",
        ],
        ["Best score", event.bestScore === null ? "–" : event.bestScore.toFixed(2)],
        ["Track", event.trackId ?? "–"],
        ...Object.entries(event.details).map(([k, v]): [string, string] => [
          k,
          typeof v === "string"
            ? v
            : JSON.stringify(v, (_, x) => typeof x === "number" ? Math.round(x * 1000) / 1000 : x),
        ]),
      ];
      replace(
        body,
        event.hasSnapshot
          ? picture.root
          : el("p", { class: "muted" }, "No snapshot for this event."),
        facts(rows),
        el("p", {}, el("a", { href: `#/cameras/${event.camera}` }, "Open the camera")),
        ctx.canWrite && el(
          "section",
          { class: "card" },
          el("h2", {}, "Clip"),
          el("button", {
            type: "button",
            on: {
              click: (e) => {
                (e.currentTarget as HTMLButtonElement).disabled = true;
                const job = clipExport(api, { event: id });
                clip = job;
                clipSlot.append(job.root);
              },
            },
          }, "Export clip of this event"),
          clipSlot,
        ),
      );
      if (event.hasSnapshot) picture.start();
      status.done();
      if (event.trackId) await loadTrack(event);
    } catch (error) {
      status.error(error);
    }
  };

  const loadTrack = async (event: VigilEvent) => {
    trackStatus.loading("Loading the track…");
    const to = event.endedAt ? Date.parse(event.endedAt) + 1000 : Date.now();
    const query = new URLSearchParams({
      camera: event.camera,
      from: new Date(Date.parse(event.startedAt) - 5000).toISOString(),
      to: new Date(to).toISOString(),
      limit: "500",
    });
    if (event.label) query.set("label", event.label);
    try {
      const page = await api.get<DetectionPage>(`/api/detections?${query}`);
      const mine = page.items.filter((d) => d.trackId === event.trackId);
      if (mine.length === 0) return trackStatus.done("No detections of this track are stored.");
      picture.root.append(trackPath(mine));
      const best = Math.max(...mine.map((d) => d.score));
      replace(
        track,
        facts([
          ["Detections", `${mine.length}${page.next ? "+" : ""}`],
          ["First seen", shortTime(mine[mine.length - 1]!.ts)],
          ["Last seen", shortTime(mine[0]!.ts)],
          ["Highest score", best.toFixed(2)],
        ]),
        el("p", { class: "hint" }, "The line on the picture is the path of the track's feet."),
      );
      trackStatus.done();
    } catch (error) {
      trackStatus.error(error);
    }
  };
  load();

  const root = el(
    "section",
    { class: "page" },
    el("p", { class: "crumbs" }, el("a", { href: "#/events" }, "Events")),
    heading,
    status.root,
    body,
    el("section", { class: "card" }, el("h2", {}, "Track"), trackStatus.root, track),
  );
  return {
    title: "Event",
    root,
    dispose() {
      picture.dispose();
      clip?.dispose();
    },
  };
}
