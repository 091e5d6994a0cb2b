/**
 * A box that stops answering mid-compile (powered off, hung: the connection is accepted or never
 * refused, nothing comes back) costs the clip one fetch timeout, not one per segment it holds: a
 * 10-minute clip holds up to 300 of a box's segments, and the compiler runs one job at a time.
 */
import assert from "node:assert/strict";
import { openTestDatabase } from "../../support/databases.ts";
import { uuidv7 } from "../../../models/ids.ts";
import { segmentPath } from "../../../models/recording/paths.ts";
import { insertCamera } from "../../../models/store/cameras.ts";
import { segmentsBetween } from "../../../models/store/segments.ts";
import { gatherSegments } from "../../../actors/recording/segment_sources.ts";

Deno.test("gatherSegments() gives up on a box that stalls after its first timeout", async () => {
  const db = await openTestDatabase("embedded");
  // The stalled box: accepts connections and never answers.
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const held: Deno.Conn[] = [];
  const accepting = (async () => {
    for await (const conn of listener) held.push(conn);
  })();
  const workDir = await Deno.makeTempDir({ prefix: "vigil-stall-" });
  try {
    const camera = uuidv7();
    await insertCamera(db.sql, {
      id: camera,
      name: "gate",
      sourceUrl: "rtsp://127.0.0.1:1/none",
      transport: "tcp",
    });
    const stalled = uuidv7();
    await db.sql`insert into boxes (id, base_url, rtsp_url, capacity, version) values
      (${stalled}, ${`http://127.0.0.1:${listener.addr.port}`}, 'rtsp://127.0.0.1:1', 4, 'test')`;
    const t0 = Date.parse("2026-12-06T01:00:00Z");
    const count = 6;
    for (let n = 0; n < count; n++) {
      const start = t0 + n * 2000;
      await db.sql`insert into segments
        (id, camera_id, path, started_at, ended_at, bytes, duration_ms, box_id, lease_epoch)
        values (${uuidv7(start)}, ${camera}, ${segmentPath(camera, start)}, ${new Date(start)},
                ${new Date(start + 2000)}, 100, 2000, ${stalled}, 1)`;
    }
    const segments = await segmentsBetween(db.sql, camera, new Date(t0), new Date(t0 + 60_000));
    assert.equal(segments.length, count);
    const timeoutMs = 400;
    const started = performance.now();
    const gathered = await gatherSegments(segments, {
      sql: db.sql,
      dataDir: db.dataDir,
      boxId: uuidv7(),
      clusterKey: crypto.getRandomValues(new Uint8Array(32)),
      workDir,
      prefix: "clip",
      signal: new AbortController().signal,
      fetchTimeoutMs: timeoutMs,
    });
    const elapsed = performance.now() - started;
    assert.equal(gathered.readable.length, 0);
    assert.equal(gathered.missing.length, count, "every segment of the box is named missing");
    assert.ok(
      elapsed < 2.5 * timeoutMs,
      `${
        Math.round(elapsed)
      } ms for ${count} segments of one stalled box (timeout ${timeoutMs} ms)`,
    );
  } finally {
    listener.close();
    await accepting.catch(() => {});
    for (const conn of held) conn.close();
    await db.close();
    await Deno.remove(workDir, { recursive: true });
  }
});
