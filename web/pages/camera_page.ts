/// <reference lib="dom" />
/**
 * One camera: its state and capture controls, the picture with zones drawn on it, PTZ (when the
 * camera has it), analytics settings, the detections chart and its latest events.
 *
 * @module
 */
import { el, replace } from "../lib/dom.ts";
import type { PageContext, View } from "../lib/page.ts";
import type { Camera, CaptureRequest, EventPage } from "../lib/types.ts";
import { poll } from "../lib/poll.ts";
import { analyticsStore } from "../lib/analytics_store.ts";
import { href } from "../logic/route.ts";
import { cameraBadges } from "../components/badge.ts";
import { busy, statusLine } from "../components/status.ts";
import { zoneEditor } from "../components/zone_editor.ts";
import { analyticsPanel } from "../components/analytics_panel.ts";
import { detectionsChart } from "../components/detections_chart.ts";
import { type EventRow, eventRow } from "../components/event_row.ts";
import { liveView } from "../components/live_view.ts";
import { recordingPanel } from "../components/recording_panel.ts";
import { timelineView } from "../components/timeline_view.ts";
import { ptzPanel } from "../components/ptz_panel.ts";

function section(title: string, ...children: (Node | false)[]): HTMLElement {
  return el("section", { class: "card" }, el("h2", {}, title), ...children);
}

/**
 * @param ctx the page context
 * @param id camera id
 * @returns the view
 */
export function cameraPage(ctx: PageContext, id: string): View {
  const { api, canWrite } = ctx;
  const heading = el("h1", {}, "Camera");
  const badges = el("span");
  const facts = el("p", { class: "facts" });
  const status = statusLine();
  const capture = el("button", { type: "button" }, "Start capture");
  const remove = el("button", { type: "button", class: "danger" }, "Delete camera");
  const confirm = el("button", { type: "button", class: "danger" }, "Yes, delete it");
  confirm.hidden = true;
  let camera: Camera | undefined;

  const render = (next: Camera) => {
    camera = next;
    heading.textContent = next.name;
    document.title = `Vigil · ${next.name}`;
    replace(badges, cameraBadges(next.state));
    const s = next.state;
    facts.textContent = [
      s.fps === null ? "" : `${s.fps.toFixed(1)} fps`,
      s.info?.width ? `${s.info.width}×${s.info.height} ${s.info.codec ?? ""}` : "",
      s.reconnects ? `${s.reconnects} reconnects` : "",
      s.lastError ?? "",
    ].filter(Boolean).join(" · ") || "not capturing";
    capture.textContent = s.stream === "offline" ? "Start capture" : "Stop capture";
    if (s.info?.width && s.info.height) editor.setSourceSize(s.info.width, s.info.height);
  };
  const refresh = async () => {
    try {
      render(await api.get<Camera>(`/api/cameras/${id}`));
      if (status.root.dataset.tone === "loading") status.done();
    } catch (error) {
      status.error(error);
    }
  };

  capture.addEventListener("click", () =>
    busy(status, capture, async () => {
      const request: CaptureRequest = {
        action: camera?.state.stream === "offline" ? "start" : "stop",
      };
      const next = await api.send<Camera>("POST", `/api/cameras/${id}/capture`, request);
      if (next) render(next);
    }));
  // Two steps instead of a browser dialog: the console never opens native dialogs.
  remove.addEventListener("click", () => {
    confirm.hidden = false;
    confirm.focus();
  });
  confirm.addEventListener("click", async () => {
    const done = await busy(status, confirm, async () => {
      await api.send("DELETE", `/api/cameras/${id}`);
      return true;
    });
    if (done) ctx.navigate("#/cameras");
  });

  const live = liveView(api, id);
  const ptz = ptzPanel(api, id, canWrite);
  const recording = recordingPanel(api, id, canWrite);
  const timeline = timelineView(api, id, canWrite);
  const store = analyticsStore(api, id);
  const editor = zoneEditor(api, id, store, canWrite);
  status.loading("Loading the camera…");
  const stopPoll = poll(2000, refresh);
  const chart = detectionsChart(api, id);
  const analyticsStatus = statusLine();
  analyticsStatus.loading("Loading analytics…");
  store.load().then(() => analyticsStatus.done(), (error) => analyticsStatus.error(error));
  const stopStats = poll(3000, () => store.stats() ? store.load() : Promise.resolve());

  const recent = el("ul", { class: "events" });
  const rows: EventRow[] = [];
  const recentStatus = statusLine();
  recentStatus.loading("Loading events…");
  api.get<EventPage>(`/api/events?camera=${id}&limit=5`).then((page) => {
    rows.push(...page.items.map((event) => eventRow(api, event, undefined)));
    replace(recent, ...rows.map((r) => r.root));
    recentStatus.done();
    if (!page.items.length) recent.append(el("li", { class: "empty" }, "No events yet."));
  }, (error) => recentStatus.error(error));

  const root = el(
    "section",
    { class: "page" },
    el("p", { class: "crumbs" }, el("a", { href: "#/cameras" }, "Cameras")),
    el("div", { class: "title-row" }, heading, badges),
    facts,
    canWrite && el("div", { class: "actions" }, capture, remove, confirm),
    status.root,
    section("Live", live.root),
    ptz.root,
    section("Recording", recording.root, timeline.root),
    section("Picture and zones", editor.root),
    section("Analytics", analyticsStatus.root, analyticsPanel(store, canWrite)),
    section("Detections per label", chart.root),
    section(
      "Latest events",
      recentStatus.root,
      recent,
      el("p", {}, el("a", { href: href("events", { camera: id }) }, "All events of this camera")),
    ),
  );
  return {
    title: "Camera",
    root,
    dispose() {
      stopPoll();
      stopStats();
      live.dispose();
      ptz.dispose();
      recording.dispose();
      timeline.dispose();
      editor.dispose();
      chart.dispose();
      for (const row of rows) row.dispose();
    },
  };
}
