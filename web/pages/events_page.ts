/// <reference lib="dom" />
/**
 * Events: the filtered list, newest first, with older pages on request, and new events joining
 * at the top as they happen (the SSE feed) — no reload.
 *
 * The API filters by camera, label, kind and time; the zone filter is applied here, to the events
 * loaded.
 *
 * @module
 */
import { el } from "../lib/dom.ts";
import type { PageContext, View } from "../lib/page.ts";
import type { Camera, EventPage, VigilEvent } from "../lib/types.ts";
import { followEvents } from "../lib/feed.ts";
import { eventFiltersForm, readFilters } from "../components/event_filters.ts";
import { matches } from "../logic/event_match.ts";
import { type EventRow, eventRow } from "../components/event_row.ts";
import { badge } from "../components/badge.ts";
import { busy, statusLine } from "../components/status.ts";
import { allCameras } from "./cameras_page.ts";

/**
 * @param ctx the page context
 * @param query the address's filters
 * @returns the view
 */
export function eventsPage(ctx: PageContext, query: URLSearchParams): View {
  const filters = readFilters(query);
  const status = statusLine();
  const list = el("ul", { class: "events", "aria-label": "Events", "aria-live": "polite" });
  const empty = el("p", { class: "empty" }, "No events match.");
  empty.hidden = true;
  const older = el("button", { type: "button" }, "Load older events");
  older.hidden = true;
  const feedState = el("span", { class: "feed-state" });
  const formSlot = el("div");
  const rows = new Map<string, EventRow>();
  const names = new Map<string, string>();
  let cursor: string | null = null;

  const add = (event: VigilEvent, top: boolean) => {
    if (rows.has(event.id) || !matches(event, filters)) return;
    const row = eventRow(ctx.api, event, names.get(event.camera));
    rows.set(event.id, row);
    if (top) list.prepend(row.root);
    else list.append(row.root);
    empty.hidden = true;
  };
  const loadPage = async () => {
    const params = new URLSearchParams({ limit: "50" });
    for (const key of ["camera", "label", "kind", "from", "to"] as const) {
      const value = filters[key];
      if (value) params.set(key, value);
    }
    if (cursor) params.set("cursor", cursor);
    const page = await ctx.api.get<EventPage>(`/api/events?${params}`);
    for (const event of page.items) add(event, false);
    cursor = page.next;
    older.hidden = !cursor;
    empty.hidden = rows.size > 0;
  };
  older.addEventListener("click", () => busy(status, older, loadPage));

  const start = async () => {
    status.loading("Loading events…");
    try {
      const cameras: Camera[] = await allCameras(ctx);
      for (const camera of cameras) names.set(camera.id, camera.name);
      formSlot.replaceChildren(eventFiltersForm(filters, cameras, ctx.navigate));
      await loadPage();
      status.done();
    } catch (error) {
      status.error(error);
    }
  };
  start();

  const stopFeed = followEvents(ctx.api, filters.camera, {
    onEvent(action, event) {
      const row = rows.get(event.id);
      if (row) row.update(event);
      else if (action === "open" && !filters.to) add(event, true);
    },
    onState(state, detail) {
      feedState.replaceChildren(
        state === "live"
          ? badge("live updates", "good")
          : badge(state === "connecting" ? "connecting" : "reconnecting", "warn"),
      );
      feedState.title = detail ?? "";
    },
  });

  const root = el(
    "section",
    { class: "page" },
    el("div", { class: "title-row" }, el("h1", {}, "Events"), feedState),
    formSlot,
    status.root,
    empty,
    list,
    older,
  );
  return {
    title: "Events",
    root,
    dispose() {
      stopFeed();
      for (const row of rows.values()) row.dispose();
    },
  };
}
