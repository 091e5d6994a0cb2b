/**
 * Class labels for a detector, read from a text file with one label per line (line N = class N),
 * the format Ultralytics, Darknet and TF Object Detection label maps export to.
 *
 * @module
 */
import { DetectorError } from "./detector_error.ts";

/**
 * What a label (and a zone or line name) stored with a detection or an event may be: 1–64
 * characters, none of them control characters. Labels come from model files, so any script is
 * welcome; they only ever travel as query parameters and JSON, never into paths or SQL text.
 */
export const LABEL_PATTERN = /^[^\p{C}]{1,64}$/u;

/**
 * Parses a labels file. Trailing blank lines are dropped; a blank line in the middle keeps its
 * place (as `class<N>`) so the following classes keep their ids.
 *
 * @param text the file contents
 * @returns labels, index = class id; empty if the text holds no label
 * @example
 * ```ts
 * parseLabels("person\nbicycle\n"); // ["person", "bicycle"]
 * ```
 */
export function parseLabels(text: string): string[] {
  const lines = text.split(/\r?\n/).map((l) => l.trim());
  while (lines.length > 0 && lines[lines.length - 1] === "") lines.pop();
  return lines.map((l, i) => l === "" ? `class${i}` : l);
}

/**
 * Reads a labels file.
 *
 * @param path the file, one label per line
 * @returns labels, index = class id
 * @throws {DetectorError} `labels_missing` if the file cannot be read, `labels_empty` if it holds
 *   no label
 * @example
 * ```ts
 * const labels = await readLabels("assets/models/coco_labels.txt"); // 80 COCO names
 * ```
 */
export async function readLabels(path: string): Promise<string[]> {
  let text: string;
  try {
    text = await Deno.readTextFile(path);
  } catch (err) {
    throw new DetectorError(
      "labels_missing",
      `detector: cannot read labels file ${path}: ${err instanceof Error ? err.message : err}`,
      { cause: err },
    );
  }
  const labels = parseLabels(text);
  if (labels.length === 0) {
    throw new DetectorError("labels_empty", `detector: labels file ${path} is empty`);
  }
  return labels;
}

/**
 * Turns a class-name filter into class ids.
 *
 * @param labels the detector's labels
 * @param names wanted label names; `undefined` keeps every class
 * @returns the ids, or `undefined` for "all classes"
 * @throws {DetectorError} `detector_config` naming a label the model does not know
 * @example
 * ```ts
 * classFilter(["person", "bicycle", "car"], ["car", "person"]); // Set {2, 0}
 * ```
 */
export function classFilter(
  labels: readonly string[],
  names: readonly string[] | undefined,
): Set<number> | undefined {
  if (names === undefined) return undefined;
  const ids = new Set<number>();
  for (const name of names) {
    const id = labels.indexOf(name);
    if (id < 0) {
      throw new DetectorError(
        "detector_config",
        `detector: class '${name}' is not in the labels (${labels.slice(0, 5).join(", ")}...)`,
      );
    }
    ids.add(id);
  }
  return ids;
}

/**
 * Remembers the class filter of the last label list asked for, so a camera sending the same
 * `classes` with every frame does not rebuild the set each time.
 *
 * @example
 * ```ts
 * const narrow = classNarrower(["person", "bicycle", "car"], new Set([0, 2]));
 * narrow(["car", "bicycle"]); // Set {2}: the detector's own filter still applies
 * narrow(undefined); // Set {0, 2}
 * ```
 */
export function classNarrower(
  labels: readonly string[],
  base: ReadonlySet<number> | undefined,
): (names: readonly string[] | undefined) => ReadonlySet<number> | undefined {
  let lastKey: string | undefined;
  let last: ReadonlySet<number> | undefined;
  return (names) => {
    if (names === undefined) return base;
    const key = names.join("\n");
    if (key === lastKey) return last;
    const asked = classFilter(labels, names) ?? new Set<number>();
    last = base ? new Set([...asked].filter((id) => base.has(id))) : asked;
    lastKey = key;
    return last;
  };
}
