/**
 * The source of the `cameras-quiet` row: a camera that is still most of the time and sees people
 * pass ~15% of it, built from the test media when the bench runs (never committed). The still
 * picture is vtest.avi's street averaged over many frames (the walkers fade out of it); a pass is
 * 3 s of vtest.avi itself. One cycle is 20 s: 17 s still, 3 s of people. Variants shift the cycle
 * by a phase, so cameras on different variants do not all see their passer-by at once.
 *
 * @module
 */
import { join } from "node:path";
import { runProcess } from "../../actors/process/run.ts";

const VTEST = new URL("../../assets/media/vtest.avi", import.meta.url).pathname;
/** Seconds of one cycle. */
export const QUIET_CYCLE_S = 20;
/** Seconds of people passing in each cycle (15%). */
export const QUIET_PASS_S = 3;

async function ffmpeg(args: string[]): Promise<void> {
  const out = await runProcess("ffmpeg", { args: ["-v", "error", "-y", ...args] });
  if (!out.status.success) throw new Error(`bench: ffmpeg: ${out.lastStderrLine}`);
}

/**
 * Writes `variants` files of the quiet scene into `dir`, each one cycle long (the simulator
 * loops it), variant k shifted by k/variants of a cycle.
 *
 * @param dir a temp directory
 * @param variants how many phases
 * @param size `WxH` of the files
 * @returns the files
 */
export async function buildQuietSources(
  dir: string,
  variants: number,
  size = "640x360",
): Promise<string[]> {
  const still = join(dir, "still.png");
  const pass = join(dir, "pass.mp4");
  const cycle = join(dir, "cycle.mp4");
  const [w, h] = size.split("x");
  const scale = `scale=${w}:${h},fps=15,format=yuv420p`;
  // Every 16th frame averaged (50 of them) (the file keeps the last one written): the
  // street without its walkers.
  await ffmpeg([
    ...["-i", VTEST, "-vf", `select='not(mod(n\\,16))',scale=${w}:${h},tmix=frames=50`],
    ...["-update", "1", still],
  ]);
  await ffmpeg(["-ss", "10", "-t", String(QUIET_PASS_S), "-i", VTEST, "-vf", scale, "-an", pass]);
  await ffmpeg([
    ...["-loop", "1", "-t", String(QUIET_CYCLE_S - QUIET_PASS_S), "-i", still, "-i", pass],
    "-filter_complex",
    `[0:v]${scale}[s];[1:v]${scale}[p];[s][p]concat=n=2:v=1[v]`,
    ...["-map", "[v]", "-c:v", "libx264", "-preset", "ultrafast", "-qp", "20", cycle],
  ]);
  const files: string[] = [];
  for (let k = 0; k < variants; k++) {
    const file = join(dir, `quiet-${k}.mp4`);
    const shift = (k * QUIET_CYCLE_S) / variants;
    await ffmpeg([
      ...["-stream_loop", "1", "-ss", String(shift), "-t", String(QUIET_CYCLE_S), "-i", cycle],
      ...["-c:v", "libx264", "-preset", "ultrafast", "-qp", "20", "-an", file],
    ]);
    files.push(file);
  }
  return files;
}
