/**
 * Bench row 6c (`deno task bench puller-cost`): what pulling one camera into the relay costs, with
 * Vigil's own RTSP client (in this process) against the `ffmpeg -c copy` puller it replaces
 * (models/media/ffmpeg_args.ts `pullerArgs`, publishing to the relay over RTSP), in one run. One
 * shared GStreamer camera (640x360, 25 fps) is pulled N times (N camera ids on the same URL: N
 * sessions, as N cameras would be). Memory: this process's RSS growth (after a GC, median of three)
 * plus each ffmpeg's PSS, per camera; CPU: this process's and the ffmpegs' ticks over the window,
 * per camera, in % of one core. The relay's ingest is in both.
 *
 * Usage: `deno task bench puller-cost`, or alone
 * `deno run -A --v8-flags=--expose-gc scripts/bench_puller.ts [--cameras 8] [--seconds 10]`.
 *
 * @module
 */
import { parseArgs } from "node:util";
import { registerRow } from "./bench/registry.ts";
import { pssOf, rssOf, TICKS_PER_S, ticksOf } from "./bench/proc.ts";
import { startRtspServer as startRelayServer } from "../actors/stream/rtsp_server.ts";
import { Hub } from "../actors/stream/hub.ts";
import { spawnChild } from "../actors/process/child.ts";
import { pullerArgs } from "../models/media/ffmpeg_args.ts";
import { configureLogging } from "../models/log.ts";
import { startRtspServer as startCamera } from "./sim/rtsp_server.ts";

const MB = 1024 * 1024;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** The cost of N pullers of one kind. */
export interface PullerCost {
  /** Memory per camera: RSS growth of this process + PSS of its ffmpegs, bytes. */
  bytesPerCamera: number;
  /** CPU per camera, share of one core. */
  corePerCamera: number;
}

/** What {@linkcode runPullerCost} measured. */
export interface PullerCostResult {
  cameras: number;
  seconds: number;
  client: PullerCost;
  ffmpeg: PullerCost;
}

async function settledRss(): Promise<number> {
  const samples: number[] = [];
  for (let i = 0; i < 3; i++) {
    (globalThis as { gc?: () => void }).gc?.();
    await sleep(200);
    samples.push(rssOf("self"));
  }
  return samples.sort((a, b) => a - b)[1]!;
}

async function waitFor(predicate: () => boolean, ms: number, what: string): Promise<void> {
  const end = Date.now() + ms;
  while (!predicate()) {
    if (Date.now() > end) throw new Error(`bench: timed out waiting for ${what}`);
    await sleep(20);
  }
}

/**
 * Measures N client pullers, then N ffmpeg pullers, against one shared camera.
 *
 * @param options cameras and window length
 * @returns the cost per camera of each
 */
export async function runPullerCost(
  options: { cameras: number; seconds: number },
): Promise<PullerCostResult> {
  configureLogging("error");
  const camera = await startCamera({ fps: 25, shared: true });
  const ref: { hub?: Hub } = {};
  const server = await startRelayServer({ port: 0, demand: (p) => ref.hub?.demand(p) });
  const hub = ref.hub = new Hub({ server, credentials: { username: "vigil", password: "bench" } });
  const ids = Array.from({ length: options.cameras }, (_, i) => `p${i}`);
  const measure = async (pids: number[], before: number): Promise<PullerCost> => {
    await sleep(3000);
    const t0 = performance.now();
    const ticks0 = ticksOf("self") + pids.reduce((n, p) => n + ticksOf(p), 0);
    await sleep(options.seconds * 1000);
    const ticks = ticksOf("self") + pids.reduce((n, p) => n + ticksOf(p), 0) - ticks0;
    const seconds = (performance.now() - t0) / 1000;
    const bytes = (await settledRss()) - before + pids.reduce((n, p) => n + pssOf(p), 0);
    return {
      bytesPerCamera: bytes / options.cameras,
      corePerCamera: ticks / TICKS_PER_S / seconds / options.cameras,
    };
  };
  try {
    // Warm the client's code paths once, so the first measurement does not count their loading.
    hub.setCamera("warm", { default: camera.url });
    const warm = await hub.acquire("warm", {}, "bench");
    await waitFor(() => hub.status("warm")[0]?.puller === "publishing", 20_000, "warm-up");
    warm.release();
    await hub.removeCamera("warm");
    const idleClient = await settledRss();
    const leases = [];
    for (const id of ids) {
      hub.setCamera(id, { default: camera.url });
      leases.push(await hub.acquire(id, {}, "bench"));
    }
    await waitFor(
      () => ids.every((id) => hub.status(id)[0]?.puller === "publishing"),
      30_000,
      "client pullers publishing",
    );
    const client = await measure([], idleClient);
    for (const lease of leases) lease.release();
    await Promise.all(ids.map((id) => hub.removeCamera(id)));

    const idleFfmpeg = await settledRss();
    const children = ids.map((id) =>
      spawnChild("ffmpeg", {
        args: pullerArgs({ url: camera.url, output: server.url(`/ff/${id}`) }),
      })
    );
    try {
      await waitFor(
        () => ids.every((id) => (server.stats(`/ff/${id}`)?.packetsIn ?? 0) > 0),
        30_000,
        "ffmpeg pullers publishing",
      );
      const ffmpeg = await measure(children.map((c) => c.pid), idleFfmpeg);
      return { cameras: options.cameras, seconds: options.seconds, client, ffmpeg };
    } finally {
      await Promise.all(children.map((c) => c.stop()));
    }
  } finally {
    await hub.stop();
    await server.close();
    await camera.stop();
  }
}

function describe(r: PullerCostResult): string {
  const side = (name: string, c: PullerCost) =>
    `${name} ${(c.bytesPerCamera / MB).toFixed(1)} MB and ${
      (c.corePerCamera * 100).toFixed(2)
    }% of a core per camera`;
  return `${r.cameras} pullers of one 640x360 25 fps camera, ${r.seconds} s windows: ` +
    `${side("Vigil's RTSP client", r.client)}; ${side("ffmpeg -c copy", r.ffmpeg)}`;
}

registerRow({
  id: "puller-cost",
  order: "6c",
  title: "hub puller memory per camera: Vigil's RTSP client vs ffmpeg -c copy",
  async run(options) {
    const r = await runPullerCost({ cameras: 8, seconds: options.seconds ?? 10 });
    const mb = r.client.bytesPerCamera / MB;
    return {
      figure: mb,
      unit: "MB",
      baseline: r.ffmpeg.bytesPerCamera / MB,
      baselineLabel: "an ffmpeg -c copy puller",
      ratio: r.client.bytesPerCamera / r.ffmpeg.bytesPerCamera,
      goal: "below the ffmpeg puller",
      pass: r.client.bytesPerCamera < r.ffmpeg.bytesPerCamera,
      note: describe(r),
      details: { ...r },
    };
  },
});

if (import.meta.main) {
  const { values } = parseArgs({
    args: Deno.args,
    options: {
      cameras: { type: "string", default: "8" },
      seconds: { type: "string", default: "10" },
    },
  });
  console.log(
    describe(
      await runPullerCost({ cameras: Number(values.cameras), seconds: Number(values.seconds) }),
    ),
  );
}
