import { runCameras } from "./bench/camera_ramp.ts";
import { buildQuietSources } from "./bench/quiet_source.ts";
const dir = await Deno.makeTempDir();
const sources = Deno.args[0] === "quiet" ? await buildQuietSources(dir, 4) : undefined;
const r = await runCameras({ settleSeconds: 5, windowSeconds: 30, maxCameras: 4, holdSeconds: 0, sources, schedule: [4], log: console.log });
console.log(JSON.stringify(r.steps.map((s) => s.cpu)));
await Deno.remove(dir, { recursive: true });
