/**
 * Bench row 8c (crops-quiet): what motion crops save on the quiet scene of row 5b (bench/
 * quiet_source.ts: 17 s still, 3 s of people per 20 s cycle), measured in one process so a noisy
 * box slows both sides alike: the analysis pipeline (motion gate, keep-alive, tracker) over two
 * cycles at 5 fps with crops on and off, inference ms per analysed frame (a gate skip costs 0).
 *
 * Usage: `deno task bench crops-quiet`.
 *
 * @module
 */
import { registerRow } from "./bench/registry.ts";
import { buildQuietSources, QUIET_CYCLE_S } from "./bench/quiet_source.ts";
import { decodeFrames, runSide } from "./bench_accuracy.ts";
import { DEFAULT_MODELS_DIR } from "../models/config.ts";
import { readCatalog } from "../models/detectors/catalog.ts";
import { CenterNetDetector } from "../models/detectors/centernet.ts";
import { resolveDetectorConfig } from "../models/detectors/detector_config.ts";

registerRow({
  id: "crops-quiet",
  order: "8c",
  title: "motion crops on a quiet scene: inference ms per analysed frame, crops on vs off",
  async run() {
    const dir = await Deno.makeTempDir({ prefix: "vigil-bench-crops-quiet-" });
    try {
      const [source] = await buildQuietSources(dir, 1);
      const frames = await decodeFrames(QUIET_CYCLE_S, source!);
      const entry = (await readCatalog(DEFAULT_MODELS_DIR)).get("centernet");
      if (!entry) throw new Error("bench: assets/models/centernet.onnx missing");
      const detector = await CenterNetDetector.open(resolveDetectorConfig(entry.config));
      try {
        // Interleaved twice so that neither side runs only in a quiet or a busy minute.
        const on: number[] = [], off: number[] = [], share: number[] = [];
        for (let round = 0; round < 2; round++) {
          const a = await runSide(detector, frames, { pipeline: true, crops: true });
          const b = await runSide(detector, frames, { pipeline: true, crops: false });
          on.push(a.meanMs);
          off.push(b.meanMs);
          share.push(a.cropShare);
        }
        const mean = (xs: number[]) => xs.reduce((x, y) => x + y, 0) / xs.length;
        const [msOn, msOff] = [mean(on), mean(off)];
        return {
          figure: msOn,
          unit: "ms/frame",
          baseline: msOff,
          baselineLabel: "crops off",
          ratio: msOn / msOff,
          goal: "< 1",
          pass: msOn < msOff,
          note: `${frames.length} frames (one cycle at 5 fps, twice each way): crops on ` +
            `${on.map((x) => x.toFixed(1)).join("/")} ms, off ${
              off.map((x) => x.toFixed(1))
                .join("/")
            } ms per analysed frame; ${(100 * mean(share)).toFixed(0)}% of frames ` +
            `on crops`,
          details: { on, off, share },
        };
      } finally {
        await detector.close();
      }
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});
