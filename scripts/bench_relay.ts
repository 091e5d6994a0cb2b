/**
 * Relay benchmark (`deno task bench relay`): what Vigil's RTSP relay costs, measured on this
 * process while real ffmpeg publishers and readers run beside it.
 *
 * - cpu: one 4 Mbit/s H.264 stream (1280x720, 25 fps, published by ffmpeg with `-c copy`) read
 *   by 0, 1, 2, 4 and 8 ffmpeg readers; this process's CPU at each step; per reader is the slope
 *   over the no-reader step (goal under 1% of a core);
 * - latency: synthetic RTP from a Worker, through the relay, back to a reader in that Worker:
 *   time from write to arrival per packet, with no other reader and with 8 ffmpeg readers on a
 *   second 4 Mbit/s path (goal p99 under 50 ms);
 * - rss: this process's RSS with 8 such streams, each read once, over the empty server;
 * - reconnect: the GStreamer camera restarts; time from it answering to packets on the relay.
 *
 * Usage: `deno run -A scripts/bench_relay.ts [--seconds S] [--parts cpu,latency,rss,reconnect]`
 *
 * @module
 */
import process from "node:process";
import { parseArgs } from "node:util";
import { startRtspServer as startRelayServer } from "../actors/stream/rtsp_server.ts";
import { Hub } from "../actors/stream/hub.ts";
import { configureLogging } from "../models/log.ts";
import { makeClip, type Proc, startPublisher, startReader } from "./sim/relay_media.ts";
import { startRtspServer as startCamera } from "./sim/rtsp_server.ts";
import type { ProbeRequest } from "./bench_relay_probe.ts";

const KBPS = 4000;

/** CPU time of this process (all threads), µs. */
function cpuMicros(): number {
  const u = process.cpuUsage();
  return u.user + u.system;
}

function rss(): number {
  return Deno.memoryUsage().rss;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function waitFor(predicate: () => boolean, ms: number, what: string): Promise<void> {
  const end = Date.now() + ms;
  while (!predicate()) {
    if (Date.now() > end) throw new Error(`bench: timed out waiting for ${what}`);
    await sleep(50);
  }
}

function quantile(sorted: number[], q: number): number {
  return sorted.length === 0
    ? NaN
    : sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;
}

async function cpuPart(clip: string, seconds: number) {
  const server = await startRelayServer({ port: 0 });
  const procs: Proc[] = [startPublisher(server.url("/bench"), clip)];
  try {
    await waitFor(() => server.stats("/bench")?.publishing === true, 15_000, "publisher");
    const steps = [0, 1, 2, 4, 8];
    const load: { readers: number; core: number }[] = [];
    for (const readers of steps) {
      while (procs.length - 1 < readers) procs.push(startReader(server.url("/bench")));
      await waitFor(
        () => server.stats("/bench")!.readers === readers,
        15_000,
        `${readers} readers`,
      );
      await sleep(2000);
      const cpu0 = cpuMicros();
      const t0 = performance.now();
      await sleep(seconds * 1000);
      const core = (cpuMicros() - cpu0) / ((performance.now() - t0) * 1000);
      load.push({ readers, core });
    }
    const base = load[0]!.core;
    const perReader = load.slice(1).map((l) => (l.core - base) / l.readers);
    const kbps = server.stats("/bench")!.bitrateKbps;
    console.log(
      `relay cpu: ${(kbps / 1000).toFixed(1)} Mbit/s stream; this process ` +
        load.map((l) => `${l.readers} readers ${(l.core * 100).toFixed(2)}%`).join(", ") +
        ` of a core`,
    );
    console.log(
      `relay cpu: per reader ${perReader.map((p) => (p * 100).toFixed(2)).join(" / ")}% ` +
        `of a core (at 1/2/4/8 readers; goal < 1%); ingest without readers ${
          (base * 100).toFixed(2)
        }%`,
    );
    return { load, perReader, kbps };
  } finally {
    await Promise.all(procs.map((p) => p.stop()));
    await server.close();
  }
}

async function probe(req: ProbeRequest): Promise<number[]> {
  const worker = new Worker(new URL("./bench_relay_probe.ts", import.meta.url).href, {
    type: "module",
  });
  try {
    const reply = await new Promise<{ latencies?: number[]; error?: string }>((resolve) => {
      worker.onmessage = (e) => resolve(e.data);
      worker.postMessage(req);
    });
    if (reply.error) throw new Error(`bench: latency probe: ${reply.error}`);
    return reply.latencies ?? [];
  } finally {
    worker.terminate();
  }
}

async function latencyPart(clip: string, seconds: number) {
  const server = await startRelayServer({ port: 0 });
  const procs: Proc[] = [];
  const report = (label: string, lat: number[]) => {
    lat.sort((a, b) => a - b);
    const r = { p50: quantile(lat, 0.5), p99: quantile(lat, 0.99), max: lat.at(-1) ?? NaN };
    console.log(
      `relay latency ${label}: p50 ${r.p50.toFixed(2)} ms, p99 ${r.p99.toFixed(2)} ms, ` +
        `max ${r.max.toFixed(1)} ms over ${lat.length} packets (goal p99 < 50 ms)`,
    );
    return r;
  };
  try {
    const req = { port: server.port, kbps: KBPS, fps: 25, seconds };
    const idle = report("(one reader)", await probe({ ...req, path: "/probe1" }));
    procs.push(startPublisher(server.url("/load"), clip));
    await waitFor(() => server.stats("/load")?.publishing === true, 15_000, "load publisher");
    for (let i = 0; i < 8; i++) procs.push(startReader(server.url("/load")));
    await waitFor(() => server.stats("/load")!.readers === 8, 15_000, "load readers");
    const loaded = report(
      "(beside 8 readers of another 4 Mbit/s path)",
      await probe({ ...req, path: "/probe2" }),
    );
    return { idle, loaded };
  } finally {
    await Promise.all(procs.map((p) => p.stop()));
    await server.close();
  }
}

async function rssPart(clip: string, seconds: number) {
  const server = await startRelayServer({ port: 0 });
  const procs: Proc[] = [];
  const streams = 8;
  try {
    await sleep(1000);
    const before = rss();
    for (let i = 0; i < streams; i++) procs.push(startPublisher(server.url(`/s${i}`), clip));
    await waitFor(
      () =>
        Array.from({ length: streams }, (_, i) => server.stats(`/s${i}`)?.publishing).every(
          Boolean,
        ),
      20_000,
      "publishers",
    );
    for (let i = 0; i < streams; i++) procs.push(startReader(server.url(`/s${i}`)));
    const samples: number[] = [];
    for (let t = 0; t < seconds; t++) {
      await sleep(1000);
      samples.push(rss());
    }
    const after = samples.at(-1)!;
    const perStream = (after - before) / streams / 2 ** 20;
    const mid = samples[Math.floor(samples.length / 2)]!;
    console.log(
      `relay rss: ${(before / 2 ** 20).toFixed(1)} MiB empty, ${
        (after / 2 ** 20).toFixed(1)
      } MiB ` +
        `with ${streams} streams of ${KBPS / 1000} Mbit/s each read once: ${
          perStream.toFixed(2)
        } MiB ` +
        `per stream; drift over the second half ${((after - mid) / 2 ** 20).toFixed(1)} MiB`,
    );
    return { before, after, perStream };
  } finally {
    await Promise.all(procs.map((p) => p.stop()));
    await server.close();
  }
}

async function reconnectPart(rounds = 3) {
  const camera = await startCamera({ fps: 25 });
  const ref: { hub?: Hub } = {};
  const server = await startRelayServer({ port: 0, demand: (p) => ref.hub?.demand(p) });
  const hub = ref.hub = new Hub({ server, credentials: { username: "vigil", password: "bench" } });
  const times: number[] = [];
  try {
    hub.setCamera("c", { default: camera.url });
    const lease = await hub.acquire("c", {}, "bench");
    await waitFor(() => hub.status("c")[0]!.puller === "publishing", 20_000, "puller");
    for (let i = 0; i < rounds; i++) {
      await camera.stop();
      await waitFor(() => hub.status("c")[0]!.puller === "backoff", 15_000, "backoff");
      await sleep(1500);
      await camera.start();
      const answering = Date.now();
      await waitFor(
        () => (server.stats("/cam/c")?.lastPacketAt ?? 0) > answering,
        15_000,
        "packets",
      );
      times.push(Date.now() - answering);
      await sleep(1000);
    }
    lease.release();
    console.log(
      `hub reconnect: packets on the relay ${times.join(", ")} ms after the camera answered ` +
        `again (goal < 2000 ms)`,
    );
    return { times };
  } finally {
    await hub.stop();
    await server.close();
    await camera.stop();
  }
}

/**
 * Runs the parts asked for.
 *
 * @param args `--seconds S` per measurement (default 10), `--parts cpu,latency,rss,reconnect`
 * @returns the measured numbers
 */
export async function main(args: string[] = Deno.args) {
  const { values } = parseArgs({
    args,
    options: {
      seconds: { type: "string", default: "10" },
      parts: { type: "string", default: "cpu,latency,rss,reconnect" },
    },
  });
  const seconds = Number(values.seconds);
  const parts = new Set(values.parts.split(","));
  configureLogging("error");
  const dir = await Deno.makeTempDir({ prefix: "vigil-bench-relay-" });
  try {
    const clip = await makeClip(dir, {
      width: 1280,
      height: 720,
      fps: 25,
      kbps: KBPS,
      seconds: 20,
    });
    const out: Record<string, unknown> = {};
    if (parts.has("cpu")) out.cpu = await cpuPart(clip, seconds);
    if (parts.has("latency")) out.latency = await latencyPart(clip, seconds);
    if (parts.has("rss")) out.rss = await rssPart(clip, seconds);
    if (parts.has("reconnect")) out.reconnect = await reconnectPart();
    return out;
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

if (import.meta.main) await main();
