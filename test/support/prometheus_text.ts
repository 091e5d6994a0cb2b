/**
 * A strict parser of the Prometheus text exposition format 0.0.4, written against the format's
 * specification, for tests: where scrapers are lenient it throws. Checks names and label names,
 * the escapes allowed in label values (`\\`, `\"`, `\n`) and help (`\\`, `\n`), float syntax
 * (`NaN`, `+Inf`, `-Inf`), one `# TYPE` per family before its samples, families not interleaved,
 * no duplicate series, non-negative counters, and histograms whose buckets are cumulative, end
 * with `le="+Inf"` equal to `_count`, and have a `_sum`.
 *
 * @module
 */

/** One sample line. */
export interface ParsedSample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

/** One family. */
export interface ParsedFamily {
  name: string;
  type: "counter" | "gauge" | "histogram" | "summary" | "untyped";
  help?: string;
  samples: ParsedSample[];
}

const METRIC = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
const FLOAT = /^[+-]?(?:\d+\.?\d*(?:[eE][+-]?\d+)?|\.\d+(?:[eE][+-]?\d+)?|Inf|NaN)$/;
const TYPES = ["counter", "gauge", "histogram", "summary", "untyped"] as const;

function fail(n: number, line: string, why: string): never {
  throw new Error(`prometheus text line ${n}: ${why}: ${JSON.stringify(line)}`);
}

function parseFloatStrict(text: string, n: number, line: string): number {
  if (!FLOAT.test(text)) fail(n, line, `bad value ${text}`);
  if (/^[+]?Inf$/.test(text)) return Infinity;
  if (text === "-Inf") return -Infinity;
  return Number(text);
}

/** Parses `name{labels} value [timestamp]`. */
function parseSample(line: string, n: number): ParsedSample {
  const nameMatch = /^[a-zA-Z_:][a-zA-Z0-9_:]*/.exec(line);
  if (!nameMatch) fail(n, line, "no metric name");
  const name = nameMatch[0];
  let i = name.length;
  const labels: Record<string, string> = {};
  if (line[i] === "{") {
    i++;
    for (;;) {
      if (line[i] === "}") {
        i++;
        break;
      }
      const labelMatch = /^[a-zA-Z_][a-zA-Z0-9_]*/.exec(line.slice(i));
      if (!labelMatch) fail(n, line, "bad label name");
      const label = labelMatch[0];
      if (label.startsWith("__")) fail(n, line, `reserved label name ${label}`);
      if (label in labels) fail(n, line, `label ${label} twice`);
      i += label.length;
      if (line[i] !== "=" || line[i + 1] !== '"') fail(n, line, 'expected ="');
      i += 2;
      let value = "";
      for (;;) {
        const c = line[i];
        if (c === undefined) fail(n, line, "unterminated label value");
        if (c === '"') break;
        if (c === "\\") {
          const e = line[i + 1];
          if (e === "\\") value += "\\";
          else if (e === '"') value += '"';
          else if (e === "n") value += "\n";
          else fail(n, line, `bad escape \\${e ?? ""}`);
          i += 2;
          continue;
        }
        value += c;
        i++;
      }
      i++;
      labels[label] = value;
      if (line[i] === ",") {
        i++;
        continue;
      }
      if (line[i] !== "}") fail(n, line, "expected , or }");
    }
  }
  const rest = line.slice(i);
  const parts = rest.split(" ").filter((p) => p !== "");
  if (!/^[ \t]/.test(rest) || parts.length < 1 || parts.length > 2) {
    fail(n, line, "expected ' value [timestamp]'");
  }
  const value = parseFloatStrict(parts[0]!, n, line);
  if (parts[1] !== undefined && !/^-?\d+$/.test(parts[1])) fail(n, line, "bad timestamp");
  return { name, labels, value };
}

function familyOf(sample: string, types: Map<string, ParsedFamily["type"]>): string {
  for (const suffix of ["_bucket", "_sum", "_count"]) {
    if (!sample.endsWith(suffix)) continue;
    const base = sample.slice(0, -suffix.length);
    const type = types.get(base);
    if (type === "histogram" || (type === "summary" && suffix !== "_bucket")) return base;
  }
  return sample;
}

const key = (labels: Record<string, string>, without?: string) =>
  JSON.stringify(Object.entries(labels).filter(([k]) => k !== without).sort());

function checkHistogram(family: ParsedFamily): void {
  const series = new Map<string, { buckets: [number, number][]; sum?: number; count?: number }>();
  for (const s of family.samples) {
    const id = key(s.labels, "le");
    const entry = series.get(id) ?? { buckets: [] };
    series.set(id, entry);
    if (s.name === `${family.name}_bucket`) {
      const le = s.labels.le;
      if (le === undefined) throw new Error(`${family.name}: bucket without le`);
      entry.buckets.push([le === "+Inf" ? Infinity : Number(le), s.value]);
    } else if (s.name === `${family.name}_sum`) entry.sum = s.value;
    else if (s.name === `${family.name}_count`) entry.count = s.value;
    else throw new Error(`${family.name}: unexpected sample ${s.name}`);
  }
  for (const [id, e] of series) {
    const inf = e.buckets.at(-1);
    if (!inf || inf[0] !== Infinity) throw new Error(`${family.name}${id}: last bucket not +Inf`);
    for (let i = 1; i < e.buckets.length; i++) {
      const [le, v] = e.buckets[i]!;
      const [prevLe, prev] = e.buckets[i - 1]!;
      if (!(le > prevLe)) throw new Error(`${family.name}${id}: le not ascending`);
      if (v < prev) throw new Error(`${family.name}${id}: buckets not cumulative`);
    }
    if (e.sum === undefined || e.count === undefined) {
      throw new Error(`${family.name}${id}: _sum or _count missing`);
    }
    if (e.count !== inf[1]) throw new Error(`${family.name}${id}: _count ≠ +Inf bucket`);
  }
}

/**
 * Parses and checks an exposition.
 *
 * @param text the body of a scrape
 * @returns families by name
 * @throws {Error} naming the line and the rule it breaks
 */
export function parsePrometheusText(text: string): Map<string, ParsedFamily> {
  if (text !== "" && !text.endsWith("\n")) throw new Error("prometheus text: no final line feed");
  const families = new Map<string, ParsedFamily>();
  const types = new Map<string, ParsedFamily["type"]>();
  const closed = new Set<string>();
  const seenSeries = new Set<string>();
  let current: string | undefined;
  const enter = (name: string, n: number, line: string) => {
    if (current === name) return;
    if (closed.has(name)) fail(n, line, `family ${name} interleaved with another`);
    if (current !== undefined) closed.add(current);
    current = name;
  };
  const lines = text.split("\n");
  lines.pop();
  lines.forEach((line, index) => {
    const n = index + 1;
    if (line.trim() === "") return;
    if (line.startsWith("#")) {
      const m = /^#\s+(HELP|TYPE)\s+(\S+)(?:\s(.*))?$/.exec(line);
      if (!m) return; // a comment
      const [, kind, name, rest = ""] = m as unknown as [string, string, string, string?];
      if (!METRIC.test(name)) fail(n, line, `bad metric name ${name}`);
      enter(name, n, line);
      const family = families.get(name) ?? { name, type: "untyped" as const, samples: [] };
      families.set(name, family);
      if (kind === "HELP") {
        if (family.help !== undefined) fail(n, line, "second HELP");
        if (/\\([^\\n]|$)/.test(rest.replace(/\\\\/g, ""))) fail(n, line, "bad escape in HELP");
        family.help = rest.replace(/\\(\\|n)/g, (_, e) => e === "n" ? "\n" : "\\");
      } else {
        const type = TYPES.find((t) => t === rest.trim());
        if (!type) fail(n, line, `unknown type ${rest}`);
        if (types.has(name)) fail(n, line, "second TYPE");
        if (family.samples.length > 0) fail(n, line, "TYPE after samples");
        types.set(name, type);
        family.type = type;
      }
      return;
    }
    const sample = parseSample(line, n);
    const name = familyOf(sample.name, types);
    enter(name, n, line);
    const family = families.get(name) ?? { name, type: "untyped" as const, samples: [] };
    families.set(name, family);
    const id = `${sample.name}${key(sample.labels)}`;
    if (seenSeries.has(id)) fail(n, line, "duplicate series");
    seenSeries.add(id);
    if (family.type === "counter" && !(sample.value >= 0)) fail(n, line, "negative counter");
    if (family.type !== "histogram" && family.type !== "summary" && sample.name !== name) {
      fail(n, line, `sample ${sample.name} outside its family`);
    }
    family.samples.push(sample);
  });
  for (const family of families.values()) {
    if (family.type === "histogram") checkHistogram(family);
  }
  return families;
}

/**
 * The value of one series.
 *
 * @param families parsed families
 * @param name the sample name
 * @param labels labels the series must have (others may exist)
 * @returns the value
 * @throws {Error} when no series or more than one matches
 */
export function sampleValue(
  families: Map<string, ParsedFamily>,
  name: string,
  labels: Record<string, string> = {},
): number {
  const all = [...families.values()].flatMap((f) => f.samples);
  const found = all.filter((s) =>
    s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v)
  );
  if (found.length !== 1) {
    throw new Error(`${name}${JSON.stringify(labels)}: ${found.length} series match`);
  }
  return found[0]!.value;
}
