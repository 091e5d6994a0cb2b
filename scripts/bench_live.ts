/**
 * Live benchmark (issue 14), through the real API of a running system (embedded database):
 *
 * - glass-to-glass latency: a simulated camera burns a frame counter into every frame
 *   (scripts/sim/frame_code.ts) and notes when it hands each frame to its encoder; a viewer
 *   decodes what it receives and reads the counter back. Measured for the camera pulled directly
 *   (the floor: camera encoder, RTSP server, viewer), the camera through the stream hub's relay
 *   path (what every live transcoder reads), the `source` relay (stream copy, published
 *   on Vigil's RTSP relay and pulled from it, and pushed to a listening viewer), a `720p` relay
 *   (decode, scale, encode) and `hls` (the time a segment is listed
 *   in the playlist, when a player at the live edge can show its first frame, minus when that
 *   frame was sent — a player adds its own buffer on top, hls.js ~3 segments by default);
 * - CPU of one 720p transcode from a 1080p25 camera, and of a `source` stream copy, as a share of
 *   one core (from /proc, over a window once they run).
 *
 * Rows 7a–7c of `deno task bench` (`deno task bench live`, one shared run); on its own:
 * `deno run -A scripts/bench_live.ts [seconds per measurement]` (default 15).
 *
 * @module
 */
import { openDatabase } from "../models/store/database.ts";
import { configureLogging } from "../models/log.ts";
import { createToken } from "../models/auth.ts";
import { DEFAULT_MODELS_DIR } from "../models/config.ts";
import { startSystem } from "../actors/system.ts";
import { parsePushAllow } from "../models/net/push_target.ts";
import { createApp } from "../routes/app.ts";
import { type CounterCamera, startCounterCamera } from "./sim/counter_camera.ts";
import { readFrameCode } from "./sim/frame_code.ts";
import { quantile } from "./bench/lag_probe.ts";
import { registerRow, type RowOptions } from "./bench/registry.ts";

const VIEW_WIDTH = 640;
const VIEW_HEIGHT = 360;
const TICKS_PER_S = 100;

function freePort(): number {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = listener.addr.port;
  listener.close();
  return port;
}

/** A viewer: ffmpeg decoding an RTSP stream (pulled, or received with `listen`) to gray frames. */
function startViewer(input: string[], camera: CounterCamera) {
  const child = new Deno.Command("ffmpeg", {
    args: [
      ...["-nostdin", "-hide_banner", "-loglevel", "error", "-fflags", "nobuffer"],
      ...["-flags", "low_delay", ...input],
      ...["-vf", `scale=${VIEW_WIDTH}:${VIEW_HEIGHT}`, "-pix_fmt", "gray", "-f", "rawvideo"],
      "pipe:1",
    ],
    stdin: "null",
    stdout: "piped",
    stderr: "null",
  }).spawn();
  const latencies: number[] = [];
  let misread = 0;
  const reading = (async () => {
    const reader = child.stdout.getReader({ mode: "byob" });
    const size = VIEW_WIDTH * VIEW_HEIGHT;
    for (;;) {
      let buf = new Uint8Array(size);
      let filled = 0;
      while (filled < size) {
        const { value, done } = await reader.read(buf.subarray(filled));
        if (done || !value) return;
        filled += value.byteLength;
        buf = new Uint8Array(value.buffer, 0, size);
      }
      const now = Date.now();
      const n = readFrameCode(buf, VIEW_WIDTH);
      const sent = n === undefined ? undefined : camera.sentAt(n);
      if (sent === undefined) misread++;
      else latencies.push(now - sent);
    }
  })().catch(() => {});
  return {
    latencies,
    misread: () => misread,
    async stop() {
      try {
        child.kill("SIGTERM");
      } catch {
        // gone
      }
      await child.status;
      await reading;
    },
  };
}

function summary(name: string, samples: number[], unit = "frames", extra = ""): string {
  if (samples.length === 0) return `${name}: nothing read`;
  const sorted = [...samples].sort((a, b) => a - b);
  const f = (q: number) => `${Math.round(quantile(sorted, q))}`;
  return `${name}: median ${f(0.5)} ms, p90 ${f(0.9)} ms, max ${f(1)} ms ` +
    `(${samples.length} ${unit}${extra})`;
}

/** CPU ticks of a process from /proc (user + system). */
function ticks(pid: number): number {
  try {
    const stat = Deno.readTextFileSync(`/proc/${pid}/stat`);
    const f = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    return Number(f[11]) + Number(f[12]);
  } catch {
    return 0;
  }
}

function cmdline(pid: number): string {
  try {
    return Deno.readTextFileSync(`/proc/${pid}/cmdline`).replaceAll("\0", " ");
  } catch {
    return "";
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Latency figures of one path, ms. */
export interface LatencyStats {
  median: number;
  p90: number;
  max: number;
  samples: number;
}

/** What one run measured. */
export interface LiveBenchResult {
  seconds: number;
  /** By path: `direct`, `hub`, `source`, `720p`, `push`, `hls`. */
  latency: Record<string, LatencyStats | null>;
  /** % of one core: the 720p transcoder, the `source` copy, one session's output process. */
  cpu: { transcode720p: number; copy: number; sessionOutput: number; cameraFps: number };
}

function stats(samples: number[]): LatencyStats | null {
  if (samples.length === 0) return null;
  const sorted = [...samples].sort((a, b) => a - b);
  return {
    median: quantile(sorted, 0.5),
    p90: quantile(sorted, 0.9),
    max: quantile(sorted, 1),
    samples: samples.length,
  };
}

/**
 * Runs every measurement once.
 *
 * @param seconds per measurement
 * @param log progress lines
 * @returns the figures
 */
export async function runLive(
  seconds: number,
  log: (line: string) => void,
): Promise<LiveBenchResult> {
  configureLogging("error");
  const dataDir = await Deno.makeTempDir({ prefix: "vigil-bench-live-" });
  const db = await openDatabase({ dataDir });
  const system = await startSystem({
    db,
    dataDir,
    modelsDir: DEFAULT_MODELS_DIR,
    // The listener the push row measures runs on 127.0.0.1: listed like an operator would.
    live: {
      idleMs: 120_000,
      maxTranscodes: 4,
      lingerMs: 1000,
      pushAllow: parsePushAllow("127.0.0.1"),
    },
  });
  const { token } = await createToken(db.sql, "bench", "admin");
  const app = createApp({ ...system, auth: true });
  const call = async (method: string, path: string, body?: unknown) => {
    const response = await app.request(path, {
      method,
      headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const json = response.status === 204 ? null : await response.json();
    if (response.status >= 300) throw new Error(`${method} ${path}: ${JSON.stringify(json)}`);
    return json;
  };
  const addCamera = async (url: string, name: string) =>
    (await call("POST", "/api/cameras", { name, rtspUrl: url })).id as string;
  const result: LiveBenchResult = {
    seconds,
    latency: {},
    cpu: { transcode720p: 0, copy: 0, sessionOutput: 0, cameraFps: 0 },
  };

  try {
    log(`live latency, 1280x720 at 25 fps, ${seconds} s each:`);
    const camera = await startCounterCamera({
      width: 1280,
      height: 720,
      fps: 25,
      bitrateKbps: 2500,
    });
    const cameraId = await addCamera(camera.url, "counter");
    const measure = async (
      key: string,
      name: string,
      viewer: ReturnType<typeof startViewer>,
      id?: string,
    ) => {
      await sleep(2000);
      viewer.latencies.length = 0;
      await sleep(seconds * 1000);
      const samples = [...viewer.latencies];
      if (id) await call("DELETE", `/api/live/${id}`);
      await viewer.stop();
      result.latency[key] = stats(samples);
      log(`  ${summary(name, samples, "frames", `, ${viewer.misread()} unreadable`)}`);
    };
    const pull = (url: string) => ["-rtsp_transport", "tcp", "-i", url];
    await measure("direct", "camera pulled directly", startViewer(pull(camera.url), camera));
    const hubUrl = (await call("GET", `/api/cameras/${cameraId}/relay?stream=main`)).url;
    await measure(
      "hub",
      "camera through the hub (its relay path)",
      startViewer(pull(hubUrl), camera),
    );
    for (const quality of ["source", "720p"]) {
      const session = await call("POST", "/api/live", { camera: cameraId, quality });
      await measure(
        quality,
        `${quality} relayed (rtsp, pulled from the relay)`,
        startViewer(pull(session.signedUrls.rtsp), camera),
        session.id,
      );
    }
    const target = `rtsp://127.0.0.1:${freePort()}/live/bench`;
    const listener = startViewer(["-rtsp_flags", "listen", "-i", target], camera);
    await sleep(300);
    const pushed = await call("POST", "/api/live", {
      camera: cameraId,
      quality: "source",
      output: "rtsp-push",
      target,
    });
    await measure("push", "source relayed (rtsp-push)", listener, pushed.id);

    const hls = await call("POST", "/api/live", {
      camera: cameraId,
      quality: "source",
      output: "hls",
    });
    const seen = new Set<string>();
    const latencies: number[] = [];
    const until = Date.now() + (seconds + 2) * 1000;
    while (Date.now() < until) {
      const list = await (await app.request(`/live/${hls.id}/index.m3u8`, {
        headers: { authorization: `Bearer ${token}` },
      })).text();
      const listedAt = Date.now();
      for (const name of list.split("\n").filter((l) => l.endsWith(".ts"))) {
        if (seen.has(name)) continue;
        seen.add(name);
        if (seen.size <= 6) continue; // the ones listed before we started looking
        const segment = new Uint8Array(
          await (await app.request(`/live/${hls.id}/${name}`, {
            headers: { authorization: `Bearer ${token}` },
          })).arrayBuffer(),
        );
        const first = await firstFrameCode(segment);
        const sent = first === undefined ? undefined : camera.sentAt(first);
        if (sent !== undefined) latencies.push(listedAt - sent);
      }
      await sleep(50);
    }
    await call("DELETE", `/api/live/${hls.id}`);
    result.latency.hls = stats(latencies);
    // Forget the camera before it goes: the hub would keep trying to pull it.
    await call("DELETE", `/api/cameras/${cameraId}`);
    log(`  ${summary("hls, first frame of each segment when listed", latencies, "segments")}`);
    await camera.stop();

    log(`CPU, camera 1920x1080 at 25 fps, ${seconds} s window:`);
    const big = await startCounterCamera({ width: 1920, height: 1080, fps: 25, bitrateKbps: 4000 });
    const bigId = await addCamera(big.url, "1080p");
    for (const quality of ["720p", "source"] as const) {
      const session = await call("POST", "/api/live", {
        camera: bigId,
        quality,
        output: "hls",
      });
      await sleep(3000);
      const pids = system.live.processes.pids;
      const before = new Map(pids.map((pid) => [pid, ticks(pid)]));
      const framesBefore = big.frames;
      await sleep(seconds * 1000);
      const fps = (big.frames - framesBefore) / seconds;
      const share = (pid: number) =>
        ((ticks(pid) - before.get(pid)!) / TICKS_PER_S / seconds) * 100;
      const transcoder = share(pids.find((pid) => / -i rtsp:/.test(cmdline(pid)))!);
      const segmenter = share(pids.find((pid) => / -f segment /.test(cmdline(pid)))!);
      if (quality === "720p") result.cpu.transcode720p = transcoder;
      else result.cpu.copy = transcoder;
      result.cpu.sessionOutput = Math.max(result.cpu.sessionOutput, segmenter);
      result.cpu.cameraFps = fps;
      log(
        `  ${quality}: transcoder ${transcoder.toFixed(1)}% of a core, session ` +
          `segmenter ${segmenter.toFixed(1)}% (camera sent ${fps.toFixed(1)} frames/s)`,
      );
      await call("DELETE", `/api/live/${session.id}`);
      await sleep(1500);
    }
    await call("DELETE", `/api/cameras/${bigId}`);
    await big.stop();
  } finally {
    await system.stop();
    await db.close();
    await Deno.remove(dataDir, { recursive: true });
  }
  return result;
}

/**
 * Runs the benchmark on its own and prints each figure.
 *
 * @param args `[seconds per measurement]` (default 15)
 */
export async function main(args: string[]): Promise<void> {
  await runLive(Number(args[0] ?? 15), (line) => console.log(line));
}

const share = (options: RowOptions) =>
  options.shared("live", () => runLive(options.seconds ?? (options.quick ? 5 : 15), options.log));
const ms = (value: number | undefined) => `${Math.round(value ?? 0)} ms`;

registerRow({
  id: "live-relay",
  order: "7a",
  title: "live `source` session, glass-to-glass latency (median)",
  async run(options) {
    const r = await share(options);
    const source = r.latency.source;
    const direct = r.latency.direct;
    if (!source || !direct) throw new Error("bench: the live latency was not measured");
    return {
      figure: Math.round(source.median),
      unit: "ms",
      baseline: Math.round(direct.median),
      baselineLabel: "camera pulled directly",
      ratio: source.median / direct.median,
      goal: "informs",
      pass: null,
      note: `pulled from the relay, p90 ${ms(source.p90)}; through the hub alone ` +
        `${ms(r.latency.hub?.median)}; 720p ${ms(r.latency["720p"]?.median)}; pushed ` +
        `${ms(r.latency.push?.median)}; ${r.seconds} s each, 720p25 counter camera`,
      details: { ...r.latency },
    };
  },
});

registerRow({
  id: "live-hls",
  order: "7b",
  title: "live `hls` session, latency to the first frame of a segment listed (median)",
  async run(options) {
    const r = await share(options);
    const hls = r.latency.hls;
    const direct = r.latency.direct;
    if (!hls || !direct) throw new Error("bench: the HLS latency was not measured");
    return {
      figure: Math.round(hls.median),
      unit: "ms",
      baseline: Math.round(direct.median),
      baselineLabel: "camera pulled directly",
      ratio: hls.median / direct.median,
      goal: "informs",
      pass: null,
      note: `~1 s segments, ${hls.samples} segments; a player adds its own buffer`,
      details: { ...hls },
    };
  },
});

registerRow({
  id: "live-transcode",
  order: "7c",
  title: "live 720p transcode of a 1080p25 camera, CPU (% of one core)",
  async run(options) {
    const r = await share(options);
    return {
      figure: Math.round(r.cpu.transcode720p * 10) / 10,
      unit: "% core",
      baseline: Math.round(r.cpu.copy * 10) / 10,
      baselineLabel: "`source` stream copy",
      ratio: r.cpu.copy > 0 ? r.cpu.transcode720p / r.cpu.copy : null,
      goal: "informs",
      pass: null,
      note: `each session's output process ${r.cpu.sessionOutput.toFixed(1)}%; camera sent ` +
        `${r.cpu.cameraFps.toFixed(1)} frames/s`,
      details: { ...r.cpu },
    };
  },
});

/** The counter of the first frame of an MPEG-TS segment. */
async function firstFrameCode(segment: Uint8Array): Promise<number | undefined> {
  const child = new Deno.Command("ffmpeg", {
    args: [
      ...["-nostdin", "-loglevel", "error", "-i", "pipe:0", "-frames:v", "1"],
      ...["-vf", `scale=${VIEW_WIDTH}:${VIEW_HEIGHT}`, "-pix_fmt", "gray", "-f", "rawvideo"],
      "pipe:1",
    ],
    stdin: "piped",
    stdout: "piped",
    stderr: "null",
  }).spawn();
  const writer = child.stdin.getWriter();
  await writer.write(segment).catch(() => {});
  await writer.close().catch(() => {});
  const { stdout } = await child.output();
  return stdout.length >= VIEW_WIDTH * VIEW_HEIGHT ? readFrameCode(stdout, VIEW_WIDTH) : undefined;
}

if (import.meta.main) await main(Deno.args);
