/**
 * The fleet with real cameras: videoCapture through the API, snapshots of a live camera, the
 * desired state restored after a restart, and no ffmpeg left behind by delete or shutdown.
 */
import assert from "node:assert/strict";
import { openTestDatabase } from "../../support/databases.ts";
import { startTestApp } from "../../support/app.ts";
import { processAlive, startRtspServer, waitFor } from "../../support/rtsp.ts";
import { probeImage } from "../../support/media.ts";

Deno.test({
  name: "a capturing camera serves snapshots, is restored after a restart, and leaves no ffmpeg",
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    const server = await startRtspServer();
    const db = await openTestDatabase("postgres");
    let app = await startTestApp(db);
    try {
      const created = await app.call("POST", "/api/cameras", {
        body: { name: "porch", rtspUrl: server.url },
      });
      const id = (await created.json()).id;
      assert.equal(app.fleet.status(id).stream, "offline", "a new camera waits for capture");

      const started = await app.call("POST", `/api/cameras/${id}/capture`, {
        body: { action: "start" },
      });
      assert.equal(started.status, 200);
      await waitFor(() => app.fleet.status(id).stream === "live", 15_000, "live");
      const camera = await (await app.call("GET", `/api/cameras/${id}`)).json();
      assert.equal(camera.state.stream, "live");
      assert.ok(camera.state.lastFrameAt);
      assert.equal(camera.state.info.width, 640);

      const snapshot = await app.call("GET", `/api/cameras/${id}/snapshot.jpg`);
      assert.equal(snapshot.status, 200);
      assert.equal(snapshot.headers.get("content-type"), "image/jpeg");
      const jpeg = new Uint8Array(await snapshot.arrayBuffer());
      assert.deepEqual([...jpeg.subarray(0, 2)], [0xff, 0xd8]);
      assert.deepEqual(await probeImage(jpeg), { codec: "mjpeg", width: 640, height: 360 });

      // A restart of the server: the camera captures again without being asked.
      const firstPid = app.fleet.status(id).stream === "live" ? pidOf(app, id) : null;
      await app.close();
      assert.ok(firstPid !== null && !processAlive(firstPid), "shutdown leaves no ffmpeg");
      app = await startTestApp(db);
      await waitFor(() => app.fleet.status(id).stream === "live", 15_000, "restored to live");

      const pid = pidOf(app, id);
      assert.equal((await app.call("DELETE", `/api/cameras/${id}`)).status, 204);
      assert.ok(!processAlive(pid), "delete leaves no ffmpeg");
    } finally {
      await app.close();
      await db.close();
      await server.stop();
    }
  },
});

function pidOf(app: Awaited<ReturnType<typeof startTestApp>>, id: string): number {
  const pid = app.fleet.status(id).ffmpegPid;
  assert.ok(pid !== null, "ffmpeg runs");
  return pid;
}
