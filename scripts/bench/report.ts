/**
 * The bench table as text and as JSON, and a description of the machine it ran on.
 *
 * @module
 */
import type { BenchRow, RowResult } from "./registry.ts";

/** A finished row: its definition and result (or the error that stopped it). */
export interface TableRow {
  id: string;
  order: string;
  title: string;
  result?: RowResult;
  error?: string;
  /** Seconds the row took (shared work counts for the first row that asked for it). */
  seconds: number;
}

/** The machine a run happened on. */
export interface Machine {
  cpu: string;
  cores: number;
  memoryGiB: number;
  kernel: string;
  deno: string;
  /** Load average (1 min) before and after: the box is shared, so this says how noisy it was. */
  load: { before: number; after: number };
}

/**
 * Formats a number for the table: integers with thousands separators, small numbers with
 * enough digits to compare.
 *
 * @param value the number
 * @returns the text
 * @example
 * ```ts
 * formatNumber(101296.4); // "101,296"
 * formatNumber(0.934); // "0.93"
 * formatNumber(3); // "3"
 * ```
 */
export function formatNumber(value: number): string {
  if (!Number.isFinite(value)) return String(value);
  const abs = Math.abs(value);
  if (abs >= 1000 || Number.isInteger(value)) return Math.round(value).toLocaleString("en-US");
  if (abs >= 100) return value.toFixed(0);
  if (abs >= 10) return value.toFixed(1);
  return value.toFixed(2);
}

function cells(row: TableRow): string[] {
  const r = row.result;
  if (!r) return [row.order, row.title, "failed", "", "", "", "✗"];
  const figure = `${formatNumber(r.figure)} ${r.unit}`;
  const baseline = r.baseline === null
    ? r.baselineLabel ?? "—"
    : `${formatNumber(r.baseline)}${r.baselineLabel ? ` (${r.baselineLabel})` : ""}`;
  const ratio = r.ratio === null ? "—" : formatNumber(r.ratio);
  const ok = r.pass === null ? "" : r.pass ? "✓" : "✗";
  return [row.order, row.title, figure, baseline, ratio, r.goal, ok];
}

/**
 * Renders the table as Markdown (so the README can take it as is), with each row's note below.
 *
 * @param rows the finished rows
 * @returns the table and notes
 */
export function formatTable(rows: readonly TableRow[]): string {
  const head = ["#", "row", "figure", "baseline (same run)", "ratio", "goal", "ok"];
  const body = rows.map(cells);
  const widths = head.map((h, i) => Math.max(h.length, ...body.map((r) => r[i]!.length)));
  const line = (r: string[]) => `| ${r.map((c, i) => c.padEnd(widths[i]!)).join(" | ")} |`;
  const out = [line(head), `|${widths.map((w) => "-".repeat(w + 2)).join("|")}|`];
  out.push(...body.map(line));
  const notes = rows
    .map((row) => {
      const text = row.error ?? row.result?.note;
      return text ? `- ${row.order} ${row.title}: ${text}` : "";
    })
    .filter((n) => n !== "");
  return [...out, "", ...notes].join("\n");
}

/**
 * Describes this machine.
 *
 * @param loadBefore 1-minute load average when the run began
 * @returns the machine facts
 */
export function describeMachine(loadBefore: number): Machine {
  const cpuinfo = readOr("/proc/cpuinfo");
  const meminfo = readOr("/proc/meminfo");
  const memKb = Number(/^MemTotal:\s+(\d+)/m.exec(meminfo)?.[1] ?? 0);
  return {
    cpu: /^model name\s*:\s*(.+)$/m.exec(cpuinfo)?.[1]?.trim() ?? "unknown",
    cores: navigator.hardwareConcurrency,
    memoryGiB: Math.round(memKb / 1048576),
    kernel: readOr("/proc/sys/kernel/osrelease").trim(),
    deno: Deno.version.deno,
    load: { before: loadBefore, after: loadAverage() },
  };
}

/** @returns the 1-minute load average (0 where /proc/loadavg is missing) */
export function loadAverage(): number {
  return Number(readOr("/proc/loadavg").split(" ")[0] ?? 0) || 0;
}

function readOr(path: string): string {
  try {
    return Deno.readTextFileSync(path);
  } catch {
    return "";
  }
}

/**
 * The JSON document of a run.
 *
 * @param rows finished rows
 * @param machine where it ran
 * @param options how it was run
 * @returns a plain object for `JSON.stringify`
 */
export function benchDocument(
  rows: readonly TableRow[],
  machine: Machine,
  options: { quick: boolean; seconds?: number; startedAt: string; command: string },
): Record<string, unknown> {
  return { ...options, machine, rows };
}

/**
 * Keeps a row's identity for the report.
 *
 * @param row the definition
 * @returns the identity fields
 */
export function rowIdentity(row: BenchRow): Pick<TableRow, "id" | "order" | "title"> {
  return { id: row.id, order: row.order, title: row.title };
}
