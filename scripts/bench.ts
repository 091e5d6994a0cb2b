/**
 * `deno task bench [name...]`: runs the benchmarks, each printing its ratios measured in one run
 * (ours vs the raw baseline, same machine, same moment). Without names, all of them in turn:
 *
 * - `detector`: ms/frame of raw onnxruntime vs the shared Worker detector, and event-loop lag;
 * - `writer`: rows/s of one INSERT per row, the batch writer and raw multi-row INSERTs, on a real
 *   PostgreSQL and the embedded database;
 * - `pipeline`: frames/s through capture → analysis vs raw capture + inference, and lag p99;
 * - `capture`: 8 cameras at 5 fps for 60 s: frames, drops, CPU and RSS per camera;
 * - `recording`: 4 cameras recorded for 120 s: recorder CPU per camera, bytes per hour, and the
 *   compile time of a 60 s clip;
 * - `relay`: the RTSP relay's CPU per reader of a 4 Mbit/s stream, the latency it adds, RSS per
 *   stream, and how fast the stream hub is back after a camera restart.
 * - `live`: glass-to-glass latency of the camera, the `source` and `720p` relays and `hls`
 *   (a frame counter burned into the video), and CPU of a 720p transcode and a stream copy.
 *
 * Timings are never asserted in tests; these numbers go into the notes of the work they measure.
 *
 * @module
 */
import { main as detector } from "./bench_detector.ts";
import { main as writer } from "./bench_writer.ts";
import { main as pipeline } from "./bench_pipeline.ts";
import { main as capture } from "./bench_capture.ts";
import { main as recording } from "./bench_recording.ts";
import { main as relay } from "./bench_relay.ts";
import { main as live } from "./bench_live.ts";

const BENCHES: Record<string, () => Promise<unknown>> = {
  detector: () => detector([]),
  writer: () => writer([]),
  pipeline: () => pipeline([]),
  capture: () => capture([]),
  recording: () => recording([]),
  relay: () => relay([]),
  live: () => live([]),
};

if (import.meta.main) {
  const names = Deno.args.length > 0 ? Deno.args : Object.keys(BENCHES);
  for (const name of names) {
    const bench = BENCHES[name];
    if (!bench) {
      console.error(
        `bench: unknown benchmark ${name}; choose from ${Object.keys(BENCHES).join(", ")}`,
      );
      Deno.exit(2);
    }
    console.log(`== ${name}`);
    await bench();
  }
}
