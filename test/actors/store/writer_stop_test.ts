/**
 * Issue 17, robustness: a writer stopped with a deadline while its database hangs spills every
 * buffered row by the deadline — the write in flight included — and should that write commit
 * after all, the replay of the spill adds no duplicate.
 */
import assert from "node:assert/strict";
import postgres from "postgres";
import { BatchWriter } from "../../../actors/store/writer.ts";
import { type DetectionRow, DETECTIONS, newDetection } from "../../../models/store/detections.ts";
import { openTestDatabase } from "../../support/databases.ts";
import { TcpProxy } from "../../support/tcp_proxy.ts";

function detection(camera: string, frame: number): DetectionRow {
  return newDetection({
    cameraId: camera,
    ts: Date.now(),
    frame,
    trackId: null,
    label: "person",
    score: 0.5,
    box: [0.1, 0.2, 0.3, 0.4],
  });
}

Deno.test({
  name: "stop with a deadline spills the rows of a hung write in time, and the replay is exact",
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    const db = await openTestDatabase("postgres");
    const url = new URL(db.url!);
    const proxy = new TcpProxy(Number(url.port));
    url.port = String(proxy.port);
    const hung = postgres(url.href, { max: 1, onnotice: () => {} });
    try {
      const camera = crypto.randomUUID();
      await db.sql`insert into cameras (id, name, source_url)
                   values (${camera}, 'door', 'rtsp://127.0.0.1/x')`;
      const writer = await BatchWriter.open({
        sql: hung,
        spec: DETECTIONS,
        name: camera,
        dataDir: db.dataDir,
        batchSize: 100,
      });
      for (let frame = 0; frame < 100; frame++) writer.push(detection(camera, frame));
      await writer.drained();
      // The database stops answering with a full batch in flight and more rows in memory.
      proxy.hang();
      for (let frame = 100; frame < 250; frame++) writer.push(detection(camera, frame));
      await new Promise((r) => setTimeout(r, 200));
      const started = Date.now();
      await writer.stop({ deadline: started + 1_000 });
      const took = Date.now() - started;
      // A stop that ignored its 1 s deadline would wait out the 10 s write timeout; the bound
      // between them leaves a loaded box room.
      assert.ok(took < 6_000, `stop took ${took} ms`);
      const stats = writer.stats();
      assert.equal(stats.buffered, 0);
      assert.equal(stats.spilled, 150, "the hung batch and the rest were spilled");
      assert.equal(stats.durable, 250);

      // The database answers again: the hung statement may commit now; the replay adds nothing
      // twice.
      proxy.unhang();
      await new Promise((r) => setTimeout(r, 500));
      const replay = await BatchWriter.open({
        sql: db.sql,
        spec: DETECTIONS,
        name: camera,
        dataDir: db.dataDir,
      });
      await replay.drained();
      await replay.stop();
      const rows = await db.sql<{ frame: string }[]>`
        select frame from detections where camera_id = ${camera} order by frame`;
      assert.deepEqual(rows.map((r) => Number(r.frame)), Array.from({ length: 250 }, (_, i) => i));
    } finally {
      await hung.end({ timeout: 1 });
      await proxy.close();
      await db.close();
    }
  },
});
