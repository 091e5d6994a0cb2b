/**
 * Live sessions on the box's relay read by GStreamer, a second RTSP client beside ffmpeg: a
 * `source` session served by forwarding the hub's path (no process) that records into a playable
 * MP4, and one connection that follows quality switches to an encoded rung and back.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { openTestDatabase, type TestDatabase } from "../support/databases.ts";
import { startTestApp, type TestApp } from "../support/app.ts";
import { type RtspServer, startRtspServer, waitFor } from "../support/rtsp.ts";
import { capsSizes, probeRecording, recordMp4, runGst } from "../support/gstreamer.ts";

const dir = await Deno.makeTempDir({ prefix: "vigil-live-relay-" });
globalThis.addEventListener("unload", () => Deno.removeSync(dir, { recursive: true }));

interface Rig {
  app: TestApp;
  cameraId: string;
  open(quality: string): Promise<{ id: string; signedUrls: { rtsp: string } }>;
  put(id: string, quality: string): Promise<void>;
  readers(id: string): number;
}

async function withRig(fn: (rig: Rig) => Promise<void>): Promise<void> {
  const camera: RtspServer = await startRtspServer({ fps: 25, width: 1280, height: 720 });
  const db: TestDatabase = await openTestDatabase("embedded");
  const app = await startTestApp(db, { live: { idleMs: 30_000, lingerMs: 1000 } });
  try {
    const created = await app.call("POST", "/api/cameras", {
      body: { name: "cam", rtspUrl: camera.url },
    });
    assert.equal(created.status, 201);
    const cameraId = (await created.json()).id;
    await fn({
      app,
      cameraId,
      async open(quality) {
        const res = await app.call("POST", "/api/live", { body: { camera: cameraId, quality } });
        const json = await res.json();
        assert.equal(res.status, 201, JSON.stringify(json));
        return json;
      },
      async put(id, quality) {
        const res = await app.call("PUT", `/api/live/${id}`, { body: { quality } });
        assert.equal(res.status, 200, await res.text());
      },
      readers: (id) => app.relay.server.stats(`/live/${id}`)?.readers ?? 0,
    });
  } finally {
    await app.close();
    await db.close();
    await camera.stop();
  }
}

Deno.test({
  name:
    "finding 9: a source rtsp session is the hub's path forwarded in the relay: no transcoder or publishing process",
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    await withRig(async (rig) => {
      const session = await rig.open("source");
      const info = await (await rig.app.call("GET", `/api/live/${session.id}`)).json();
      assert.equal(info.served.mode, "copy");
      assert.deepEqual(rig.app.live.processes.pids, [], "no live process runs for it");
      const file = join(dir, "source.mp4");
      const run = await recordMp4(session.signedUrls.rtsp, file, 4);
      assert.doesNotMatch(run.output, /no PTS|ERROR/, run.output.slice(-1500));
      const rec = await probeRecording(file);
      assert.deepEqual([rec.width, rec.height], [1280, 720]);
      assert.ok(rec.durationS >= 2 && rec.frames >= rec.durationS * 25 * 0.8, JSON.stringify(rec));
      assert.deepEqual(rig.app.live.processes.pids, [], "still none after it was read");
    });
  },
});

Deno.test({
  name:
    "one GStreamer connection to a live session decodes both sizes across quality switches (source → 360p → source)",
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    await withRig(async (rig) => {
      const session = await rig.open("source");
      const reading = runGst([
        ...["rtspsrc", `location=${session.signedUrls.rtsp}`, "protocols=tcp", "!"],
        ...["rtph264depay", "!", "h264parse", "!", "avdec_h264", "name=dec", "!", "fakesink"],
      ], 24);
      await waitFor(() => rig.readers(session.id) === 1, 15_000, "GStreamer reading");
      await new Promise((r) => setTimeout(r, 3000));
      await rig.put(session.id, "360p");
      await new Promise((r) => setTimeout(r, 6000));
      await rig.put(session.id, "source");
      await new Promise((r) => setTimeout(r, 5000));
      assert.equal(rig.readers(session.id), 1, "the same connection still reads");
      const run = await reading;
      const sizes = capsSizes(run.output, "dec");
      assert.deepEqual(sizes, ["1280x720", "640x360", "1280x720"], run.output.slice(-2000));
    });
  },
});
