/**
 * Reading CPU time and memory of processes and threads from Linux /proc, for the benchmarks.
 *
 * @module
 */

/** USER_HZ on Linux: clock ticks per second in /proc/PID/stat. */
export const TICKS_PER_S = 100;
const PAGE = 4096;

/**
 * CPU ticks (user + system) and RSS bytes of a process or one of its threads.
 *
 * @param path `/proc/PID` or `/proc/PID/task/TID` ("self" works as PID)
 * @returns ticks and RSS, or `null` when it is gone
 */
export function statOf(path: string): { ticks: number; rss: number } | null {
  try {
    const stat = Deno.readTextFileSync(`${path}/stat`);
    // Fields after "(comm) ": state is index 0, utime 11, stime 12, rss 21.
    const f = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    return { ticks: Number(f[11]) + Number(f[12]), rss: Number(f[21]) * PAGE };
  } catch {
    return null;
  }
}

/**
 * CPU ticks of a process.
 *
 * @param pid process id or "self"
 * @returns ticks, 0 when it is gone
 */
export function ticksOf(pid: number | "self"): number {
  return statOf(`/proc/${pid}`)?.ticks ?? 0;
}

/**
 * RSS of a process in bytes.
 *
 * @param pid process id or "self"
 * @returns bytes, 0 when it is gone
 */
export function rssOf(pid: number | "self"): number {
  return statOf(`/proc/${pid}`)?.rss ?? 0;
}

/**
 * Proportional set size in bytes: shared libraries are split between the processes mapping them,
 * so PSS is the fair per-process cost of many ffmpegs (RSS counts libavcodec in each).
 *
 * @param pid process id
 * @returns bytes, 0 when it is gone
 */
export function pssOf(pid: number): number {
  try {
    const rollup = Deno.readTextFileSync(`/proc/${pid}/smaps_rollup`);
    return Number(/^Pss:\s+(\d+) kB/m.exec(rollup)?.[1] ?? 0) * 1024;
  } catch {
    return 0;
  }
}

/** One thread of this process. */
export interface ThreadInfo {
  tid: number;
  /** Thread name (15 characters at most): Deno names Workers' threads `worker-N`. */
  comm: string;
  ticks: number;
}

/**
 * The threads of this process with their names and CPU ticks.
 *
 * @returns one entry per live thread
 */
export function threadsOfSelf(): ThreadInfo[] {
  const out: ThreadInfo[] = [];
  for (const entry of Deno.readDirSync("/proc/self/task")) {
    const path = `/proc/self/task/${entry.name}`;
    try {
      const comm = Deno.readTextFileSync(`${path}/comm`).trim();
      out.push({ tid: Number(entry.name), comm, ticks: statOf(path)?.ticks ?? 0 });
    } catch {
      // thread ended meanwhile
    }
  }
  return out;
}

/**
 * Busy and total ticks of the whole machine (all cores), from /proc/stat: shows how much else
 * ran on a shared box while a benchmark measured.
 *
 * @returns busy and total ticks since boot
 */
export function machineTicks(): { busy: number; total: number } {
  const line = Deno.readTextFileSync("/proc/stat").split("\n")[0] ?? "";
  const v = line.trim().split(/\s+/).slice(1).map(Number);
  const total = v.reduce((a, b) => a + b, 0);
  const idle = (v[3] ?? 0) + (v[4] ?? 0);
  return { busy: total - idle, total };
}

/**
 * CPU use as a percentage of one core.
 *
 * @param ticks ticks used
 * @param ms over this many milliseconds
 * @returns percent of one core
 */
export function percentOfCore(ticks: number, ms: number): number {
  return ms > 0 ? (ticks / TICKS_PER_S) / (ms / 1000) * 100 : 0;
}
