/**
 * A dead camera costs almost nothing (issue 21, finding 7): while its source does not answer, the
 * hub's puller probes it with a TCP connect instead of starting ffmpeg again and again, and starts
 * ffmpeg as soon as the probe answers. ffmpeg starts are counted by a wrapper script that the hub
 * runs as its ffmpeg.
 */
import assert from "node:assert/strict";
import { startRtspServer } from "../../../actors/stream/rtsp_server.ts";
import { Hub } from "../../../actors/stream/hub.ts";
import { startRtspServer as startCamera, waitFor } from "../../support/rtsp.ts";

const credentials = { username: "vigil", password: "internal-test-secret" };

/** An ffmpeg that notes each start in a file, and how many it noted. */
async function countingFfmpeg(): Promise<{ path: string; starts(): number; remove(): void }> {
  const dir = await Deno.makeTempDir({ prefix: "vigil-ffmpeg-count-" });
  const path = `${dir}/ffmpeg`;
  await Deno.writeTextFile(path, `#!/bin/sh\necho x >> "${dir}/starts"\nexec ffmpeg "$@"\n`);
  await Deno.chmod(path, 0o755);
  return {
    path,
    starts: () => {
      try {
        return Deno.readTextFileSync(`${dir}/starts`).split("\n").filter(Boolean).length;
      } catch {
        return 0;
      }
    },
    remove: () => Deno.removeSync(dir, { recursive: true }),
  };
}

Deno.test({
  name:
    "a camera whose source stays dead for a minute starts no more than a handful of ffmpeg processes, and its puller is back soon after it answers",
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    const camera = await startCamera({ fps: 25 });
    const ffmpeg = await countingFfmpeg();
    const ref: { hub?: Hub } = {};
    const server = await startRtspServer({
      port: 0,
      demand: (path) => ref.hub?.demand(path),
      authorize: (r) => {
        const c = r.credentials;
        const internal = c?.scheme === "basic" && c.password === credentials.password;
        return internal ? { allowed: true, internal } : { allowed: false };
      },
    });
    const hub = ref.hub = new Hub({ server, credentials, ffmpegPath: ffmpeg.path });
    try {
      hub.setCamera("c1", { default: camera.url });
      const lease = await hub.acquire("c1", {}, "test");
      await waitFor(() => hub.status("c1")[0]?.puller === "publishing", 20_000, "publishing");
      await camera.stop();
      await waitFor(() => hub.status("c1")[0]?.puller !== "publishing", 10_000, "puller down");
      const before = ffmpeg.starts();
      await new Promise((r) => setTimeout(r, 60_000));
      const started = ffmpeg.starts() - before;
      console.log(`ffmpeg started ${started} times while the camera was dead for 60 s`);
      assert.ok(started <= 3, `${started} ffmpeg starts in a minute (main: dozens)`);

      await camera.start();
      const answered = Date.now();
      await waitFor(
        () => (server.stats("/cam/c1")?.lastPacketAt ?? 0) > answered,
        20_000,
        "packets after the camera answered",
      );
      const ms = Date.now() - answered;
      console.log(`packets on the relay ${ms} ms after the camera answered`);
      // The goal is 2 s (`deno task bench outage`); the slack covers a loaded box.
      assert.ok(ms < 8000, `back after ${ms} ms`);
      lease.release();
    } finally {
      await hub.stop();
      await server.close();
      await camera.stop();
      ffmpeg.remove();
    }
  },
});
