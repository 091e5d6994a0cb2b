/**
 * The Prometheus text exposition format (0.0.4) from plain data: names and labels checked, label
 * values and help escaped, families contiguous with `# HELP` and `# TYPE` first, histograms as
 * cumulative `_bucket{le=…}` series plus `_sum` and `_count`.
 * Why not prom-client: docs/decisions/own-prometheus-writer.md.
 *
 * @module
 */
import type { HistogramSnapshot } from "./histogram.ts";

/** The content type of this format. */
export const CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8";

/** Label names to values. */
export type Labels = Readonly<Record<string, string>>;

/** One metric family. */
export type MetricFamily =
  | {
    name: string;
    help: string;
    type: "counter" | "gauge";
    samples: readonly { labels?: Labels; value: number }[];
  }
  | {
    name: string;
    help: string;
    type: "histogram";
    samples: readonly { labels?: Labels; value: HistogramSnapshot }[];
  };

const METRIC_NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/;

/**
 * Formats a sample value: Go's float syntax as Prometheus reads it (`+Inf`, `-Inf`, `NaN`).
 *
 * @param value the number
 * @returns its text
 * @example
 * ```ts
 * formatValue(Infinity); // "+Inf"
 * formatValue(0.25); // "0.25"
 * ```
 */
export function formatValue(value: number): string {
  if (Number.isNaN(value)) return "NaN";
  if (value === Infinity) return "+Inf";
  if (value === -Infinity) return "-Inf";
  return String(value);
}

/**
 * Escapes a label value: backslash, double quote and line feed.
 *
 * @param value the raw value
 * @returns the escaped value (without quotes)
 */
export function escapeLabelValue(value: string): string {
  return value.replace(/\\/g, "\\\\").replace(/"/g, '\\"').replace(/\n/g, "\\n");
}

function escapeHelp(text: string): string {
  return text.replace(/\\/g, "\\\\").replace(/\n/g, "\\n");
}

function labelText(labels: Labels | undefined, extra?: [string, string]): string {
  const pairs = Object.entries(labels ?? {});
  if (extra) pairs.push(extra);
  if (pairs.length === 0) return "";
  for (const [name] of pairs) {
    if (!LABEL_NAME.test(name) || name.startsWith("__")) {
      throw new RangeError(`metrics: invalid label name ${JSON.stringify(name)}`);
    }
  }
  return `{${pairs.map(([k, v]) => `${k}="${escapeLabelValue(v)}"`).join(",")}}`;
}

/**
 * Renders families as the text format. Families with no samples are left out (a `# TYPE`
 * without samples tells a scraper nothing).
 *
 * @param families the metrics
 * @returns the exposition, ending with a line feed
 * @throws {RangeError} for an invalid metric or label name, a duplicate family, a counter
 *   without the `_total` suffix, or a histogram labelled `le`
 * @example
 * ```ts
 * renderExposition([{ name: "up", help: "Up.", type: "gauge", samples: [{ value: 1 }] }]);
 * // "# HELP up Up.\n# TYPE up gauge\nup 1\n"
 * ```
 */
export function renderExposition(families: readonly MetricFamily[]): string {
  const seen = new Set<string>();
  const lines: string[] = [];
  for (const family of families) {
    const { name } = family;
    if (!METRIC_NAME.test(name)) throw new RangeError(`metrics: invalid metric name ${name}`);
    if (seen.has(name)) throw new RangeError(`metrics: family ${name} given twice`);
    seen.add(name);
    if (family.type === "counter" && !name.endsWith("_total")) {
      throw new RangeError(`metrics: counter ${name} must end in _total`);
    }
    if (family.samples.length === 0) continue;
    lines.push(`# HELP ${name} ${escapeHelp(family.help)}`, `# TYPE ${name} ${family.type}`);
    if (family.type !== "histogram") {
      for (const s of family.samples) {
        lines.push(`${name}${labelText(s.labels)} ${formatValue(s.value)}`);
      }
      continue;
    }
    for (const { labels, value: h } of family.samples) {
      if (labels && "le" in labels) throw new RangeError(`metrics: histogram ${name} uses le`);
      h.bounds.forEach((bound, i) => {
        const le = labelText(labels, ["le", formatValue(bound)]);
        lines.push(`${name}_bucket${le} ${h.buckets[i] ?? 0}`);
      });
      lines.push(`${name}_bucket${labelText(labels, ["le", "+Inf"])} ${h.count}`);
      lines.push(`${name}_sum${labelText(labels)} ${formatValue(h.sum)}`);
      lines.push(`${name}_count${labelText(labels)} ${h.count}`);
    }
  }
  return lines.length === 0 ? "" : `${lines.join("\n")}\n`;
}
