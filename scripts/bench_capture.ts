/**
 * Capture benchmark: N cameras (default 8) pulling the local RTSP simulator at 5 fps each for a
 * while (default 60 s), each with a consumer that takes every frame from its slot, as analysis
 * would. Prints per camera: frames received vs expected, frames dropped by the slot, reconnects,
 * and the CPU and RSS of its ffmpeg; then the CPU and RSS of this process and a timeline showing
 * whether loss or memory grows.
 *
 * Usage: `deno run -A scripts/bench_capture.ts [seconds] [--cameras N] [--fps F] [--size WxH]`
 *
 * @module
 */

import { type Camera, createCamera } from "../actors/camera/camera_machine.ts";
import { configureLogging } from "../models/log.ts";
import { startRtspServer } from "./sim/rtsp_server.ts";

const TICKS_PER_S = 100; // USER_HZ on Linux
const PAGE = 4096;

/** CPU ticks (user + system) and RSS bytes of a process, from /proc. */
function procStat(pid: number | "self"): { ticks: number; rss: number } | null {
  try {
    const stat = Deno.readTextFileSync(`/proc/${pid}/stat`);
    const f = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    // Fields after the command: state is index 0, so utime (14) is 11, stime (15) is 12, rss 21.
    return { ticks: Number(f[11]) + Number(f[12]), rss: Number(f[21]) * PAGE };
  } catch {
    return null;
  }
}

/** Private (anonymous) and proportional set size of a process in bytes; shared libraries count
 * fully in RSS but are split between processes in PSS, so PSS is the fair per-camera cost. */
function memOf(pid: number): { anon: number; pss: number } {
  const kb = (text: string, key: string) =>
    Number(new RegExp(`^${key}:\\s+(\\d+) kB`, "m").exec(text)?.[1] ?? 0) * 1024;
  try {
    const status = Deno.readTextFileSync(`/proc/${pid}/status`);
    const rollup = Deno.readTextFileSync(`/proc/${pid}/smaps_rollup`);
    return { anon: kb(status, "RssAnon"), pss: kb(rollup, "Pss") };
  } catch {
    return { anon: 0, pss: 0 };
  }
}

interface Options {
  seconds: number;
  cameras: number;
  fps: number;
  width: number;
  height: number;
}

function parseOptions(args: string[]): Options {
  const o: Options = { seconds: 60, cameras: 8, fps: 5, width: 640, height: 360 };
  for (let i = 0; i < args.length; i++) {
    const a = args[i] ?? "";
    const next = () => args[++i] ?? "";
    if (a === "--cameras") o.cameras = Number(next());
    else if (a === "--fps") o.fps = Number(next());
    else if (a === "--size") {
      [o.width, o.height] = next().split("x").map(Number) as [number, number];
    } else if (/^\d+(\.\d+)?$/.test(a)) o.seconds = Number(a);
    else throw new Error(`bench_capture: unknown argument ${a}`);
  }
  if (!(o.seconds > 0 && o.cameras > 0 && o.fps > 0 && o.width > 0 && o.height > 0)) {
    throw new Error(`bench_capture: bad options ${JSON.stringify(o)}`);
  }
  return o;
}

interface CamState {
  cam: Camera;
  liveAt: number | null;
  taken: number;
  cpuTicks: Map<number, { first: number; last: number }>;
  rssLast: number;
  pss: number;
  anon: number;
}

const mb = (bytes: number) => (bytes / 1048576).toFixed(1);
const pct = (ticks: number, ms: number) => ((ticks / TICKS_PER_S) / (ms / 1000) * 100).toFixed(1);

/**
 * Runs the benchmark and prints the report.
 *
 * @param args command-line arguments
 * @returns resolves when done; every process it started is stopped
 * @example
 * ```ts
 * await main(["10", "--cameras", "2"]);
 * ```
 */
export async function main(args: string[] = Deno.args): Promise<void> {
  const o = parseOptions(args);
  configureLogging("error");
  const server = await startRtspServer({ width: 640, height: 360, fps: 25, shared: true });
  const ac = new AbortController();
  const states: CamState[] = [];
  const consumers: Promise<void>[] = [];
  try {
    console.log(
      `bench_capture: ${o.cameras} cameras × ${o.fps} fps, ${o.width}x${o.height} rgb24, ` +
        `${o.seconds} s, source ${server.url} (640x360 H.264 25 fps)`,
    );
    for (let i = 0; i < o.cameras; i++) {
      const cam = createCamera({
        id: `bench-${i + 1}`,
        sourceUrl: server.url,
        analysisWidth: o.width,
        analysisHeight: o.height,
        fps: o.fps,
      });
      const st: CamState = {
        cam,
        liveAt: null,
        taken: 0,
        cpuTicks: new Map(),
        rssLast: 0,
        pss: 0,
        anon: 0,
      };
      states.push(st);
      consumers.push((async () => {
        try {
          for (;;) {
            await cam.capture.slot.next(ac.signal);
            st.taken++;
          }
        } catch {
          // aborted at the end
        }
      })());
      cam.send({ type: "CAPTURE.START" });
    }
    const selfStart = procStat("self");
    const serverStart = procStat(server.pid ?? 0);
    const start = Date.now();
    const sample = () => {
      for (const st of states) {
        if (st.liveAt === null && st.cam.summary().stream === "live") st.liveAt = Date.now();
        for (const pid of st.cam.capture.pids) {
          const p = procStat(pid);
          if (!p) continue;
          const t = st.cpuTicks.get(pid);
          if (t) t.last = p.ticks;
          else st.cpuTicks.set(pid, { first: p.ticks, last: p.ticks });
          st.rssLast = p.rss;
        }
      }
    };
    console.log("\n  t(s)  frames  expected  loss%  deno RSS MB  ffmpeg RSS MB (sum)");
    let nextReport = 10_000;
    while (Date.now() - start < o.seconds * 1000) {
      await new Promise((r) => setTimeout(r, 250));
      sample();
      const elapsed = Date.now() - start;
      if (elapsed >= nextReport || elapsed >= o.seconds * 1000) {
        nextReport += 10_000;
        const frames = states.reduce((n, s) => n + s.cam.capture.stats.totalFrames, 0);
        const expected = states.reduce(
          (n, s) => n + (s.liveAt === null ? 0 : (o.fps * (Date.now() - s.liveAt)) / 1000),
          0,
        );
        const rss = procStat("self")?.rss ?? 0;
        const ffRss = states.reduce((n, s) => n + s.rssLast, 0);
        console.log(
          `${(elapsed / 1000).toFixed(0).padStart(6)}  ${String(frames).padStart(6)}  ` +
            `${expected.toFixed(0).padStart(8)}  ${
              (100 * (1 - frames / (expected || 1))).toFixed(1).padStart(5)
            }` +
            `  ${mb(rss).padStart(11)}  ${mb(ffRss).padStart(12)}`,
        );
      }
    }
    const wall = Date.now() - start;
    for (const st of states) {
      const pid = st.cam.capture.pids[0];
      if (pid !== undefined) Object.assign(st, memOf(pid));
    }
    const selfEnd = procStat("self");
    const serverEnd = procStat(server.pid ?? 0);

    console.log(
      "\ncamera      frames  expected  recv%  taken  dropped  reconnects  ffmpeg CPU%  RSS MB  PSS MB  anon MB",
    );
    let totalTicks = 0;
    for (const st of states) {
      const stats = st.cam.capture.stats;
      const liveMs = st.liveAt === null ? 0 : Date.now() - st.liveAt;
      const expected = (o.fps * liveMs) / 1000;
      const ticks = [...st.cpuTicks.values()].reduce((n, t) => n + t.last - t.first, 0);
      totalTicks += ticks;
      const s = st.cam.summary();
      console.log(
        `${st.cam.id.padEnd(10)}  ${String(stats.totalFrames).padStart(6)}  ` +
          `${expected.toFixed(0).padStart(8)}  ${
            (100 * stats.totalFrames / (expected || 1)).toFixed(1).padStart(5)
          }  ` +
          `${String(st.taken).padStart(5)}  ${
            String(st.cam.capture.slot.stats().dropped).padStart(7)
          }  ` +
          `${String(s.reconnects).padStart(10)}  ${pct(ticks, wall).padStart(11)}  ` +
          `${mb(st.rssLast).padStart(6)}  ${mb(st.pss).padStart(6)}  ${mb(st.anon).padStart(7)}`,
      );
    }
    const selfTicks = (selfEnd?.ticks ?? 0) - (selfStart?.ticks ?? 0);
    console.log(
      `\nffmpeg total CPU: ${pct(totalTicks, wall)}% of one core ` +
        `(${(Number(pct(totalTicks, wall)) / o.cameras).toFixed(1)}% per camera)`,
    );
    console.log(
      `deno (this process) CPU: ${pct(selfTicks, wall)}% of one core ` +
        `(${(Number(pct(selfTicks, wall)) / o.cameras).toFixed(2)}% per camera), ` +
        `RSS ${mb(selfEnd?.rss ?? 0)} MB`,
    );
    console.log(
      `RTSP simulator (not part of Vigil) CPU: ` +
        `${pct((serverEnd?.ticks ?? 0) - (serverStart?.ticks ?? 0), wall)}% of one core`,
    );
  } finally {
    ac.abort();
    await Promise.all(states.map((s) => s.cam.stop()));
    await Promise.all(consumers);
    await server.stop();
  }
}

if (import.meta.main) await main();
