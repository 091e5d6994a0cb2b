/**
 * Recording benchmark: N cameras (default 4) recorded continuously by the real fleet into a real
 * PostgreSQL for a while (default 120 s), from one simulated camera stream (vtest.avi encoded
 * once at 1280x720, 15 fps, 1.5 Mbit/s, served to every recorder). Prints:
 *
 * - recorder CPU per camera: each recorder ffmpeg's user+system ticks over the window (the goal
 *   is under 2% of a core with stream copy); the stream hub's puller ffmpeg of each camera (what
 *   recording costs when nothing else reads the camera); and Vigil's own extra CPU per camera
 *   (the relay forwarding packets, segment checks with ffprobe, indexing, the writer), measured as
 *   this process plus its reaped children;
 * - bytes per hour per camera, from the indexed segments, and the stream's bitrate it implies;
 * - compile time of a 60 s clip (stream copy), run three times, and of a 60 s annotated clip.
 *
 * Usage: `deno run -A scripts/bench_recording.ts [seconds] [--cameras N]`
 *
 * @module
 */
import { openDatabase } from "../models/store/database.ts";
import { insertCamera } from "../models/store/cameras.ts";
import { getRecord, insertRecord } from "../models/store/records.ts";
import { parseRecordingSettings } from "../models/recording/settings.ts";
import { configureLogging } from "../models/log.ts";
import { uuidv7 } from "../models/ids.ts";
import { DEFAULT_MODELS_DIR } from "../models/config.ts";
import { startSystem } from "../actors/system.ts";
import { startPostgresCluster } from "../test/support/postgres_cluster.ts";
import { startRtspServer } from "./sim/rtsp_server.ts";

const TICKS_PER_S = 100; // USER_HZ on Linux
const VTEST = new URL("../assets/media/vtest.avi", import.meta.url).pathname;

/** User+system CPU ticks of a process; with `children`, of its reaped children too. */
function ticks(pid: number | "self", children = false): number | null {
  try {
    const stat = Deno.readTextFileSync(`/proc/${pid}/stat`);
    const f = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    // After the command: state is index 0; utime 11, stime 12, cutime 13, cstime 14.
    const own = Number(f[11]) + Number(f[12]);
    return children ? own + Number(f[13]) + Number(f[14]) : own;
  } catch {
    return null;
  }
}

function parseOptions(args: string[]): { seconds: number; cameras: number } {
  const o = { seconds: 120, cameras: 4 };
  for (let i = 0; i < args.length; i++) {
    const a = args[i] ?? "";
    if (a === "--cameras") o.cameras = Number(args[++i]);
    else if (/^\d+$/.test(a)) o.seconds = Number(a);
    else throw new Error(`bench_recording: unknown argument ${a}`);
  }
  if (!(o.seconds >= 70 && o.cameras >= 1)) {
    throw new Error("bench_recording: at least 70 s (a 60 s clip is compiled) and one camera");
  }
  return o;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const pct = (t: number, ms: number) => (t / TICKS_PER_S) / (ms / 1000) * 100;

/**
 * Runs the benchmark and prints the report.
 *
 * @param args command-line arguments
 */
export async function main(args: string[] = Deno.args): Promise<void> {
  const o = parseOptions(args);
  configureLogging("error");
  const server = await startRtspServer({ source: VTEST, width: 1280, height: 720, fps: 15 });
  const cluster = await startPostgresCluster();
  const dataDir = await Deno.makeTempDir({ prefix: "vigil-bench-recording-" });
  const db = await openDatabase({ url: cluster.url, dataDir });
  const system = await startSystem({ db, dataDir, modelsDir: DEFAULT_MODELS_DIR });
  try {
    console.log(
      `bench_recording: ${o.cameras} cameras × ${o.seconds} s, source ${server.url} ` +
        "(vtest.avi as H.264 1280x720 15 fps ~1.5 Mbit/s), 10 s segments, stream copy",
    );
    const ids: string[] = [];
    for (let i = 0; i < o.cameras; i++) {
      const camera = await insertCamera(db.sql, {
        id: uuidv7(),
        name: `bench-${i + 1}`,
        sourceUrl: server.url,
        transport: "tcp",
      });
      await system.fleet.add(camera);
      await system.fleet.startRecording(camera.id, parseRecordingSettings({ mode: "continuous" }));
      ids.push(camera.id);
    }
    // Measure once every recorder writes (the first probe and connect are not steady state).
    const deadline = Date.now() + 30_000;
    while (ids.some((id) => system.fleet.recorderStats(id)?.state !== "recording")) {
      if (Date.now() > deadline) throw new Error("bench_recording: recorders did not start");
      await sleep(200);
    }
    const pids = ids.map((id) => system.fleet.recorderStats(id)!.pid!);
    const pullers = ids.flatMap((id) => system.relay.hub.status(id).map((p) => p.pid))
      .filter((pid): pid is number => pid !== null);
    const start = { at: performance.now(), wall: Date.now(), self: ticks("self", true)! };
    const first = pids.map((pid) => ticks(pid)!);
    const firstPullers = pullers.map((pid) => ticks(pid)!);
    await sleep(o.seconds * 1000);
    const ms = performance.now() - start.at;
    const last = pids.map((pid) => ticks(pid));
    const lastPullers = pullers.map((pid) => ticks(pid));
    const self = ticks("self", true)! - start.self;
    const perCamera = pids.map((_, i) => pct((last[i] ?? first[i]!) - first[i]!, ms));
    const mean = (list: number[]) => list.reduce((a, b) => a + b, 0) / list.length;
    console.log(
      `recorder ffmpeg CPU per camera: ${perCamera.map((p) => p.toFixed(2)).join(", ")} % of a ` +
        `core (mean ${mean(perCamera).toFixed(2)} %)`,
    );
    const perPuller = pullers.map((_, i) =>
      pct((lastPullers[i] ?? firstPullers[i]!) - firstPullers[i]!, ms)
    );
    console.log(
      `hub puller ffmpeg CPU per camera (the camera's one session): ` +
        `${perPuller.map((p) => p.toFixed(2)).join(", ")} % (mean ${mean(perPuller).toFixed(2)} %)`,
    );
    console.log(
      `Vigil's own CPU per camera (relay forwarding, checks, indexing, writer, ffprobe): ` +
        `${(pct(self, ms) / o.cameras).toFixed(2)} % of a core`,
    );

    const [row] = await db.sql<{ bytes: string; ms: string }[]>`
      select sum(bytes) as bytes, sum(duration_ms) as ms from segments
      where started_at >= ${new Date(start.wall)}`;
    const bytes = Number(row?.bytes ?? 0);
    const recordedMs = Number(row?.ms ?? 1);
    const perHour = bytes / (recordedMs / 1000) * 3600;
    console.log(
      `bytes per hour per camera: ${(perHour / 1e6).toFixed(0)} MB ` +
        `(${(perHour * 8 / 3600 / 1e6).toFixed(2)} Mbit/s recorded)`,
    );

    for (const id of ids.slice(1)) await system.fleet.stopRecording(id);
    const camera = ids[0]!;
    const until = Date.now() - 5_000;
    for (const annotated of [false, false, false, true]) {
      const job = await insertRecord(db.sql, {
        id: uuidv7(),
        cameraId: camera,
        eventId: null,
        from: new Date(until - 60_000),
        to: new Date(until),
        annotated,
      });
      const t0 = performance.now();
      system.compiler.wake();
      let done = await getRecord(db.sql, job.id);
      while (done.status === "queued" || done.status === "running") {
        await sleep(50);
        done = await getRecord(db.sql, job.id);
      }
      if (done.status !== "done") throw new Error(`bench_recording: compile failed: ${done.error}`);
      console.log(
        `compile of a 60 s clip${annotated ? " (annotated, re-encoded)" : ""}: ` +
          `${((performance.now() - t0) / 1000).toFixed(2)} s → ${
            (done.durationMs ?? 0) / 1000
          } s, ` +
          `${((done.bytes ?? 0) / 1e6).toFixed(1)} MB`,
      );
    }
  } finally {
    await system.stop();
    await db.close();
    await cluster.close();
    await server.stop();
    await Deno.remove(dataDir, { recursive: true });
  }
}

if (import.meta.main) await main();
