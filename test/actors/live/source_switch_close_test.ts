// A `source` live session closed while its switch to `source` waits for the hub's keyframe: the
// new forwarding must be stopped, not stored on the dead session after its `complete` handler ran,
// or the relay keeps publishing /live/<id> (and reading the hub path) with no session behind it.
import assert from "node:assert/strict";
import { openTestDatabase } from "../../support/databases.ts";
import { startTestApp } from "../../support/app.ts";
import { startRtspServer } from "../../support/rtsp.ts";

Deno.test({
  name: "live: closing a session while it switches to source leaves no forwarder publishing",
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    const camera = await startRtspServer({ fps: 25, width: 1280, height: 720 });
    const db = await openTestDatabase("embedded");
    const app = await startTestApp(db, { live: { idleMs: 30_000, lingerMs: 1000 } });
    try {
      const created = await app.call("POST", "/api/cameras", {
        body: { name: "cam", rtspUrl: camera.url },
      });
      const cameraId = (await created.json()).id;
      let leaked = 0;
      // The race window is the wait for the hub's keyframe; a few delays make one land in it.
      for (let attempt = 0; attempt < 3 && leaked === 0; attempt++) {
        const opened = await app.call("POST", "/api/live", {
          body: { camera: cameraId, quality: "360p" },
        });
        const session = await opened.json();
        assert.equal(opened.status, 201, JSON.stringify(session));
        const switching = app.call("PUT", `/api/live/${session.id}`, {
          body: { quality: "source" },
        });
        await new Promise((r) => setTimeout(r, 30 + attempt * 40));
        const closed = await app.call("DELETE", `/api/live/${session.id}`);
        const put = await switching;
        await put.body?.cancel();
        await closed.body?.cancel();
        await new Promise((r) => setTimeout(r, 2500));
        const stats = app.relay.server.stats(`/live/${session.id}`);
        console.log({
          attempt,
          del: closed.status,
          put: put.status,
          publishing: stats?.publishing,
        });
        if (stats?.publishing) leaked++;
      }
      assert.equal(leaked, 0, "a closed session's path is still published by a forwarder");
    } finally {
      await app.close();
      await db.close();
      await camera.stop();
    }
  },
});
