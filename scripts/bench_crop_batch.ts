/**
 * Bench row 8b (crop-batch): what one batch of a frame's motion crops costs against the same
 * crops run one by one and against the whole frame, in one session of the setup step's CenterNet
 * (2 threads, as the product opens it): three 128x192 windows (the usual size of a person's crop
 * at 640x360) against the 512x384 input of the whole frame. Why crops batch: crops.ts.
 *
 * Usage: `deno task bench crop-batch`.
 *
 * @module
 */
import * as ort from "onnxruntime-node";
import { registerRow } from "./bench/registry.ts";
import { DEFAULT_MODELS_DIR } from "../models/config.ts";
import { openSession } from "../models/detectors/onnx_session.ts";

const CROPS = 3;
const CROP = { width: 128, height: 192 };
const FULL = { width: 512, height: 384 };

/**
 * Median ms of each way, the ways interleaved round by round so that a noisy neighbour on a shared
 * box slows all of them alike; two warm-up rounds are dropped.
 */
async function medians(rounds: number, ways: (() => Promise<unknown>)[]): Promise<number[]> {
  const times = ways.map((): number[] => []);
  for (let i = 0; i < rounds + 2; i++) {
    for (const [k, run] of ways.entries()) {
      const t0 = performance.now();
      await run();
      if (i >= 2) times[k]!.push(performance.now() - t0);
    }
  }
  return times.map((t) => t.sort((a, b) => a - b)[Math.floor(t.length / 2)]!);
}

registerRow({
  id: "crop-batch",
  order: "8b",
  title: "motion crops: one batch vs one by one vs the whole frame (CenterNet, 2 threads)",
  async run(options) {
    const session = await openSession(`${DEFAULT_MODELS_DIR}/centernet.onnx`, 2);
    try {
      const input = session.inputNames[0]!;
      const tensor = (n: number, { width, height }: typeof CROP) =>
        new ort.Tensor("float32", new Float32Array(n * width * height * 3).fill(114), [
          n,
          height,
          width,
          3,
        ]);
      const rounds = options.seconds ?? (options.quick ? 5 : 20);
      const [batch = 0, sequential = 0, full = 0] = await medians(rounds, [
        () => session.run({ [input]: tensor(CROPS, CROP) }),
        async () => {
          for (let i = 0; i < CROPS; i++) await session.run({ [input]: tensor(1, CROP) });
        },
        () => session.run({ [input]: tensor(1, FULL) }),
      ]);
      return {
        figure: batch,
        unit: "ms",
        baseline: sequential,
        baselineLabel: `${CROPS} crops one by one`,
        ratio: batch / sequential,
        goal: "< 1 where batching helps (reported, not a goal)",
        pass: null,
        note: `${CROPS} crops ${CROP.width}x${CROP.height}: one batch ${batch.toFixed(1)} ms, ` +
          `one by one ${sequential.toFixed(1)} ms; whole frame ${FULL.width}x${FULL.height} ` +
          `${full.toFixed(1)} ms (batch/whole ${(batch / full).toFixed(2)}); median of ${rounds}`,
        details: { batch, sequential, full, rounds },
      };
    } finally {
      await session.release();
    }
  },
});
