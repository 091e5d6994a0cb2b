/**
 * Issue 17, robustness: concurrent `DELETE /api/cameras/:id` must be idempotent and race-free —
 * the camera ends gone from the database AND from the fleet, with no ffmpeg left retrying.
 */
import assert from "node:assert/strict";
import { openTestDatabase } from "../support/databases.ts";
import { startTestApp } from "../support/app.ts";
import { ffmpegChildren, waitFor } from "../support/rtsp.ts";
import { CLOSED_PORT } from "../support/ports.ts";

Deno.test({
  name: "concurrent deletes of a capturing camera leave it neither stored nor supervised",
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    const db = await openTestDatabase("embedded");
    const app = await startTestApp(db);
    try {
      // Nothing listens: ffmpeg fails at once and the camera retries with backoff.
      const port = CLOSED_PORT;
      for (const concurrent of [2, 5]) {
        const created = await app.call("POST", "/api/cameras", {
          body: { name: `gate ${concurrent}`, rtspUrl: `rtsp://127.0.0.1:${port}/s` },
        });
        assert.equal(created.status, 201);
        const { id } = await created.json();
        const started = await app.call("POST", `/api/cameras/${id}/capture`, {
          body: { action: "start" },
        });
        assert.equal(started.status, 200);
        await started.body?.cancel();
        await waitFor(() => app.fleet.status(id).stream !== "offline", 15_000, "capture");

        const replies = await Promise.all(
          Array.from({ length: concurrent }, () => app.call("DELETE", `/api/cameras/${id}`)),
        );
        const statuses = replies.map((r) => r.status);
        await Promise.all(replies.map((r) => r.body?.cancel()));
        // Every concurrent delete saw the camera, and each one's wish came true: 204 for all.
        assert.deepEqual(statuses, statuses.map(() => 204), `statuses ${statuses}`);
        assert.equal((await app.call("GET", `/api/cameras/${id}`)).status, 404);
        assert.equal(app.fleet.status(id).stream, "offline");
        assert.equal(app.fleet.health().cameras, 0, "the fleet supervises no camera");
        // A supervised camera would restart ffmpeg within its 1 s backoff cap.
        await new Promise((r) => setTimeout(r, 1500));
        assert.deepEqual(ffmpegChildren(), [], "no ffmpeg left retrying");
        // A later delete is a plain 404: the camera is gone.
        assert.equal((await app.call("DELETE", `/api/cameras/${id}`)).status, 404);
      }
    } finally {
      await app.close();
      await db.close();
    }
  },
});
