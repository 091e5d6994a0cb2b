/// <reference lib="dom" />
/**
 * The events page's filters: camera, label, kind, zone and a time range. They live in the
 * address (`#/events?camera=...&label=person`), so a filtered list can be bookmarked or shared.
 *
 * @module
 */
import { el } from "../lib/dom.ts";
import type { Camera } from "../lib/types.ts";
import { href } from "../logic/route.ts";
import { isoToLocal, localToIso } from "../logic/format.ts";
import { field, select } from "./field.ts";
import type { EventFilters } from "../logic/event_match.ts";

/** Event kinds the API knows. */
export const EVENT_KINDS = [
  "object",
  "zone",
  "loitering",
  "line_cross",
  "offline",
  "onvif",
] as const;

/**
 * Reads the filters from the address.
 *
 * @param query the route's query
 * @returns the filters (empty values dropped)
 */
export function readFilters(query: URLSearchParams): EventFilters {
  const get = (key: string) => query.get(key)?.trim() || undefined;
  return {
    camera: get("camera"),
    label: get("label"),
    kind: get("kind"),
    zone: get("zone"),
    from: get("from"),
    to: get("to"),
  };
}

/**
 * @param filters the current filters
 * @param cameras cameras to choose from
 * @param navigate goes to the filtered address
 * @returns the form
 */
export function eventFiltersForm(
  filters: EventFilters,
  cameras: Camera[],
  navigate: (hash: string) => void,
): HTMLFormElement {
  const camera = select("camera", [
    ["", "All cameras"],
    ...cameras.map((c) => [c.id, c.name] as const),
  ]);
  camera.value = filters.camera ?? "";
  const label = el("input", { name: "label", value: filters.label ?? "", placeholder: "person" });
  // The address may name a kind this console does not list: the select then shows none.
  const kind = select<string>("kind", [
    ["", "All kinds"],
    ...EVENT_KINDS.map((k) => [k, k.replace("_", " ")] as const),
  ]);
  kind.value = filters.kind ?? "";
  const zone = el("input", { name: "zone", value: filters.zone ?? "" });
  const from = el("input", {
    name: "from",
    type: "datetime-local",
    value: isoToLocal(filters.from),
  });
  const to = el("input", { name: "to", type: "datetime-local", value: isoToLocal(filters.to) });
  return el(
    "form",
    {
      class: "filters",
      "aria-label": "Filter events",
      on: {
        submit: (event) => {
          event.preventDefault();
          navigate(href("events", {
            camera: camera.value,
            label: label.value.trim(),
            kind: kind.value,
            zone: zone.value.trim(),
            from: localToIso(from.value),
            to: localToIso(to.value),
          }));
        },
      },
    },
    field("Camera", camera),
    field("Label", label),
    field("Kind", kind),
    field("Zone", zone),
    field("From", from),
    field("To", to),
    el(
      "div",
      { class: "actions" },
      el("button", { type: "submit" }, "Apply"),
      el("button", { type: "button", on: { click: () => navigate("#/events") } }, "Clear"),
    ),
  );
}
