/**
 * Current object counts per camera and label, kept from the event feed: an object event that
 * opens adds one, its close removes one. This is what `<prefix>/<camera>/<label>` and
 * `<prefix>/<camera>/all` carry.
 *
 * @module
 */
import type { EventView } from "../store/events.ts";

/** A count that changed. */
export interface CountChange {
  camera: string;
  /** The label, or `all` for the camera's total. */
  label: string;
  count: number;
}

/** Open object events per camera and label. */
export class Occupancy {
  #open = new Map<string, Map<string, Set<string>>>();

  /**
   * Applies a feed message.
   *
   * @param action what happened to the event
   * @param event the event
   * @returns the counts it changed (the label's and the camera's total), none for other kinds
   */
  apply(action: "open" | "update" | "close", event: EventView): CountChange[] {
    if (event.kind !== "object" || event.label === null || action === "update") return [];
    const labels = this.#open.get(event.camera) ?? new Map<string, Set<string>>();
    this.#open.set(event.camera, labels);
    const ids = labels.get(event.label) ?? new Set<string>();
    labels.set(event.label, ids);
    const before = ids.size;
    if (action === "open") ids.add(event.id);
    else ids.delete(event.id);
    if (ids.size === before) return [];
    return [
      { camera: event.camera, label: event.label, count: ids.size },
      { camera: event.camera, label: "all", count: this.total(event.camera) },
    ];
  }

  /**
   * @param camera a camera id
   * @returns its open object events over every label
   */
  total(camera: string): number {
    let n = 0;
    for (const ids of this.#open.get(camera)?.values() ?? []) n += ids.size;
    return n;
  }

  /**
   * @param camera a camera id
   * @returns its labels seen so far, with their counts
   */
  counts(camera: string): Map<string, number> {
    const out = new Map<string, number>();
    for (const [label, ids] of this.#open.get(camera) ?? []) out.set(label, ids.size);
    return out;
  }
}
