/**
 * Labels as MQTT topic levels. A label is any printable text (a custom model's classes), but a
 * topic level must not hold `/`, `+` or `#` (a broker drops a client that publishes one), Home
 * Assistant's object ids take only `[a-zA-Z0-9_-]`, and a label must never land on Vigil's own
 * per-camera topics (`state`, `all`, `analytics`, `recording`). So a label's level is its slug:
 * lower case, every other character `_`, a reserved name suffixed `_label`, and two labels with the
 * same slug told apart by `_2`, `_3`, …
 *
 * @module
 */

/** Vigil's own levels under `<prefix>/<camera>/`, which no label may take. */
export const RESERVED_LEVELS: ReadonlySet<string> = new Set([
  "all",
  "state",
  "analytics",
  "recording",
]);

/**
 * A label's slug: lower case, `[^a-z0-9_-]` replaced by `_`, a reserved name suffixed `_label`.
 *
 * @param label the label as the model names it
 * @returns a safe topic level and Home Assistant object id
 * @example
 * ```ts
 * labelSlug("Traffic light"); // "traffic_light"
 * labelSlug("car/#"); // "car__"
 * labelSlug("state"); // "state_label"
 * ```
 */
export function labelSlug(label: string): string {
  const slug = label.toLowerCase().replace(/[^a-z0-9_-]/g, "_");
  return RESERVED_LEVELS.has(slug) ? `${slug}_label` : slug;
}

/**
 * The levels of one camera's labels, distinct from each other. A label that is its own slug keeps
 * it (so `person` is always `person`, whatever look-alikes appear); the others take their slug,
 * or `<slug>_2`, `<slug>_3`, … when it is taken, in sorted order, so the same set of labels always
 * gets the same levels.
 *
 * @param labels the camera's labels
 * @returns each label's level
 */
export function labelLevels(labels: Iterable<string>): Map<string, string> {
  const sorted = [...new Set(labels)].sort();
  const levels = new Map<string, string>();
  const taken = new Set<string>();
  for (const label of sorted) {
    if (labelSlug(label) !== label) continue;
    levels.set(label, label);
    taken.add(label);
  }
  for (const label of sorted) {
    if (levels.has(label)) continue;
    const slug = labelSlug(label);
    let level = slug;
    for (let n = 2; taken.has(level); n++) level = `${slug}_${n}`;
    levels.set(label, level);
    taken.add(level);
  }
  return levels;
}
