/**
 * Which events a filtered list shows: the API filters what it loads by camera, label, kind and
 * time, but not by zone, and events arriving on the live feed are not filtered at all.
 *
 * @module
 */

/** The filters as the events page applies them (ISO times). */
export interface EventFilters {
  camera?: string;
  label?: string;
  kind?: string;
  zone?: string;
  from?: string;
  to?: string;
}

/**
 * Whether an event belongs in a list with these filters.
 *
 * @param event the event
 * @param filters the filters
 * @returns true when it passes every filter
 * @example
 * ```ts
 * matches({ camera: "c", label: "car", kind: "zone", zone: "gate", startedAt: "..." }, { zone: "gate" }); // true
 * ```
 */
export function matches(
  event: {
    camera: string;
    label: string | null;
    kind: string;
    zone: string | null;
    startedAt: string;
  },
  filters: EventFilters,
): boolean {
  if (filters.camera && event.camera !== filters.camera) return false;
  if (filters.label && event.label !== filters.label) return false;
  if (filters.kind && event.kind !== filters.kind) return false;
  if (filters.zone && event.zone !== filters.zone) return false;
  const t = Date.parse(event.startedAt);
  if (filters.from && t < Date.parse(filters.from)) return false;
  if (filters.to && t >= Date.parse(filters.to)) return false;
  return true;
}
