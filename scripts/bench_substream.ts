/**
 * Bench row 5c (analysis sub-stream): what analysing a camera's 640x360 sub-stream saves against
 * decoding its 1920x1080 main stream. Both streams are vtest.avi (people walking) encoded in a temp
 * dir (1080p at 4 Mbit/s and 360p at 800 kbit/s, 25 fps, a keyframe every 2 s) and published in a
 * loop with `-c copy` to Vigil's RTSP relay. Three captures read the relay at once, each the real
 * capture ffmpeg at the analysis size (640x360 rgb24, 5 frames/s): the main stream with Vigil's
 * arguments, the main stream with the arguments before the loop-filter skip (the baseline of that
 * lever), and the sub-stream. Figures: CPU (% of a core) and memory (PSS and private) of each
 * capture ffmpeg over the same window.
 *
 * Usage: `deno task bench substream` (`--seconds N`, default 30; quick 10).
 *
 * @module
 */
import { join } from "node:path";
import { startRtspServer as startRelayServer } from "../actors/stream/rtsp_server.ts";
import { CaptureHandle, startCapture } from "../actors/camera/capture.ts";
import { captureArgs } from "../models/media/ffmpeg_args.ts";
import { registerRow } from "./bench/registry.ts";
import { pssOf, TICKS_PER_S, ticksOf } from "./bench/proc.ts";
import { type Proc, startPublisher } from "./sim/relay_media.ts";

const VTEST = new URL("../assets/media/vtest.avi", import.meta.url).pathname;
const ANALYSIS = { width: 640, height: 360, fps: 5 };

/** One capture under measurement. */
interface Measured {
  name: string;
  pid: () => number | null;
  stop: () => Promise<void>;
}

/** What one capture cost over the window. */
export interface CaptureCost {
  name: string;
  /** % of one core. */
  cpu: number;
  /** Proportional set size, MB (shared libraries split between the ffmpegs). */
  pssMb: number;
  /** Private (anonymous) resident memory, MB: frames, buffers, decoder state. */
  privateMb: number;
}

registerRow({
  id: "substream",
  order: "5c",
  title: "capture of a 1920x1080 main stream vs its 640x360 sub-stream (CPU, memory)",
  async run(options) {
    const seconds = options.seconds ?? (options.quick ? 10 : 30);
    const dir = await Deno.makeTempDir({ prefix: "vigil-bench-substream-" });
    const relay = await startRelayServer({ port: 0 });
    const procs: Proc[] = [];
    const captures: Measured[] = [];
    try {
      options.log("substream: encoding 1080p and 360p clips of vtest.avi");
      const main = await encode(dir, "main", 1920, 1080, 4000);
      const sub = await encode(dir, "sub", 640, 360, 800);
      procs.push(startPublisher(relay.url("/main"), main), startPublisher(relay.url("/sub"), sub));
      await waitFor(
        () => relay.stats("/main")?.publishing === true && relay.stats("/sub")?.publishing === true,
        20_000,
        "publishers",
      );
      captures.push(
        vigilCapture("main 1080p", relay.url("/main")),
        rawCapture("main 1080p, loop filter on", relay.url("/main")),
        vigilCapture("sub 360p", relay.url("/sub")),
      );
      await sleep(4000);
      const costs = await measure(captures, seconds);
      for (const c of costs) {
        options.log(
          `substream: ${c.name}: ${c.cpu.toFixed(1)}% of a core, PSS ${c.pssMb.toFixed(1)} MB, ` +
            `private ${c.privateMb.toFixed(1)} MB`,
        );
      }
      const [direct, before, onSub] = costs as [CaptureCost, CaptureCost, CaptureCost];
      return {
        figure: direct.cpu / onSub.cpu,
        unit: "x CPU",
        baseline: onSub.cpu,
        baselineLabel: "sub-stream capture, % of a core",
        ratio: direct.cpu / onSub.cpu,
        goal: "informs (main ÷ sub)",
        pass: null,
        note: `${seconds} s; CPU main ${direct.cpu.toFixed(1)}% (loop filter on ` +
          `${before.cpu.toFixed(1)}%) vs sub ${onSub.cpu.toFixed(1)}% of a core; PSS ` +
          `${direct.pssMb.toFixed(1)} vs ${onSub.pssMb.toFixed(1)} MB; private ` +
          `${direct.privateMb.toFixed(1)} vs ${onSub.privateMb.toFixed(1)} MB`,
        details: { seconds, costs },
      };
    } finally {
      await Promise.all(captures.map((c) => c.stop()));
      await Promise.all(procs.map((p) => p.stop()));
      await relay.close();
      await Deno.remove(dir, { recursive: true });
    }
  },
});

/** The capture Vigil runs (actors/camera/capture.ts), frames left in its slot. */
function vigilCapture(name: string, url: string): Measured {
  const handle = new CaptureHandle();
  const run = startCapture({ url, ...ANALYSIS, stallMs: 30_000 }, handle, () => {});
  return { name, pid: () => handle.stats.pid, stop: () => run.stop() };
}

/** The same command without `-skip_loop_filter all`: the capture before that lever. */
function rawCapture(name: string, url: string): Measured {
  const args = captureArgs({ url, ...ANALYSIS });
  const at = args.indexOf("-skip_loop_filter");
  args.splice(at, 2);
  const child = new Deno.Command("ffmpeg", { args, stdin: "null", stdout: "piped", stderr: "null" })
    .spawn();
  // Drained like Vigil's capture drains its pipe, so both pay for the same writes.
  const drained = child.stdout.pipeTo(new WritableStream()).catch(() => {});
  return {
    name,
    pid: () => child.pid,
    async stop() {
      try {
        child.kill("SIGKILL");
      } catch {
        // exited already
      }
      await Promise.all([child.status, drained]);
    },
  };
}

async function measure(captures: Measured[], seconds: number): Promise<CaptureCost[]> {
  const pids = captures.map((c) => c.pid());
  if (pids.some((p) => p === null)) throw new Error("substream: a capture is not running");
  const start = pids.map((p) => ticksOf(p!));
  const t0 = performance.now();
  await sleep(seconds * 1000);
  const elapsed = (performance.now() - t0) / 1000;
  return captures.map((c, i) => ({
    name: c.name,
    cpu: ((ticksOf(pids[i]!) - start[i]!) / TICKS_PER_S / elapsed) * 100,
    pssMb: pssOf(pids[i]!) / 1048576,
    privateMb: privateOf(pids[i]!) / 1048576,
  }));
}

function privateOf(pid: number): number {
  try {
    const status = Deno.readTextFileSync(`/proc/${pid}/status`);
    return Number(/^RssAnon:\s+(\d+) kB/m.exec(status)?.[1] ?? 0) * 1024;
  } catch {
    return 0;
  }
}

async function encode(dir: string, name: string, w: number, h: number, kbps: number) {
  const path = join(dir, `${name}.mp4`);
  const out = await new Deno.Command("ffmpeg", {
    args: [
      ...["-nostdin", "-hide_banner", "-loglevel", "error", "-y", "-i", VTEST, "-t", "20"],
      ...["-vf", `fps=25,scale=${w}:${h},format=yuv420p`, "-an"],
      ...["-c:v", "libx264", "-preset", "veryfast", "-g", "50", "-bf", "0"],
      ...["-b:v", `${kbps}k`, "-maxrate", `${kbps}k`, "-bufsize", `${kbps}k`, path],
    ],
    stderr: "piped",
  }).output();
  if (!out.success) throw new Error(`substream: ${new TextDecoder().decode(out.stderr)}`);
  return path;
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

async function waitFor(predicate: () => boolean, ms: number, what: string): Promise<void> {
  const end = Date.now() + ms;
  while (!predicate()) {
    if (Date.now() > end) throw new Error(`substream: timed out waiting for ${what}`);
    await sleep(50);
  }
}
