/**
 * The real server killed with SIGKILL in the middle of a segment: its recording ffmpeg does not
 * outlive it, the segment it was writing is recovered at the next start, every indexed segment
 * plays, and recording resumes by itself.
 */
import assert from "node:assert/strict";
import { startServer } from "./support/server_process.ts";
import { openTestDatabase } from "./support/databases.ts";
import { processAlive, startRtspServer, waitFor } from "./support/rtsp.ts";
import { decodeFrames, probe, segmentsOf, sleep } from "./support/recording.ts";
import { segmentFile } from "../models/recording/paths.ts";

Deno.test({
  name: "after a SIGKILL mid-segment no indexed segment fails ffprobe and recording resumes",
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    const rtsp = await startRtspServer();
    const db = await openTestDatabase("postgres");
    const env = {
      VIGIL_DATA_DIR: db.dataDir,
      DATABASE_URL: db.url!,
      VIGIL_SEGMENT_SECONDS: "4",
    };
    let vigil = await startServer(env);
    try {
      const token = (await Deno.readTextFile(`${db.dataDir}/admin-token`)).trim();
      const call = async (method: string, path: string, body?: unknown) =>
        await fetch(`${vigil.base}${path}`, {
          method,
          headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
          body: body === undefined ? undefined : JSON.stringify(body),
        });
      const created = await call("POST", "/api/cameras", { name: "dock", rtspUrl: rtsp.url });
      assert.equal(created.status, 201);
      const id = (await created.json()).id;
      const put = await call("PUT", `/api/cameras/${id}/recording`, { mode: "continuous" });
      assert.equal(put.status, 200);
      await put.body?.cancel();

      // Two segments indexed, then 2 s into the next one.
      const deadline = Date.now() + 60_000;
      while ((await segmentsOf(db.sql, id)).length < 2 && Date.now() < deadline) await sleep(250);
      const before = await segmentsOf(db.sql, id);
      assert.ok(before.length >= 2, "recording runs");
      await sleep(Math.max(0, before.at(-1)!.endMs + 2_000 - Date.now()));
      const camera = await (await call("GET", `/api/cameras/${id}`)).json();
      const ffmpeg: number = camera.state.recorder.pid;
      assert.ok(ffmpeg > 0 && processAlive(ffmpeg));
      const killedAt = Date.now();
      await vigil.stop("SIGKILL");
      await waitFor(() => !processAlive(ffmpeg), 20_000, "the orphaned ffmpeg to exit");

      vigil = await startServer(env);
      const restartedAt = Date.now();
      const resumed = Date.now() + 60_000;
      let after = await segmentsOf(db.sql, id);
      while (!after.some((s) => s.startMs > restartedAt) && Date.now() < resumed) {
        await sleep(500);
        after = await segmentsOf(db.sql, id);
      }
      assert.ok(after.some((s) => s.startMs > restartedAt), "recording resumed by itself");
      const recovered = after.find((s) => s.startMs < killedAt && s.endMs > killedAt - 1_500);
      assert.ok(recovered, "the segment being written at the kill was recovered");
      console.log(
        `${after.length} segments; recovered one of ${recovered.durationMs} ms ending ` +
          `${killedAt - recovered.endMs} ms before the kill`,
      );
      for (const segment of after) {
        const file = segmentFile(db.dataDir, segment.path);
        const probed = await probe(file);
        assert.ok(probed.durationS > 0, segment.path);
      }
      assert.ok((await decodeFrames(segmentFile(db.dataDir, recovered.path))) > 0);
    } finally {
      await vigil.stop("SIGTERM").catch(() => {});
      await db.close();
      await rtsp.stop();
    }
  },
});
