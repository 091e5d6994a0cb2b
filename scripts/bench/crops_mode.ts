/**
 * Whether the bench rows run the detector on motion crops: `VIGIL_BENCH_CROPS=on|off` measures the
 * lever both ways (`rules.motionCrops`); unset, the rows run the product's default.
 *
 * @module
 */
import { DEFAULT_ANALYTICS_SETTINGS } from "../../models/analytics/settings.ts";

/**
 * @returns `rules.motionCrops` for the bench's cameras
 * @throws {Error} for a value other than on or off
 */
export function benchMotionCrops(): boolean {
  const raw = Deno.env.get("VIGIL_BENCH_CROPS");
  if (raw === undefined || raw === "") return DEFAULT_ANALYTICS_SETTINGS.rules.motionCrops;
  if (raw !== "on" && raw !== "off") {
    throw new Error(`bench: VIGIL_BENCH_CROPS must be on or off: current value is ${raw}`);
  }
  return raw === "on";
}
