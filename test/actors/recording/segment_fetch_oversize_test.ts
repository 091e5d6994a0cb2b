/**
 * A box that answers a segment fetch with more bytes than the segment's stored size (a broken or
 * hostile box) must not fill the compiling box's disk: the download stops past the stored size and
 * the segment is left out and named.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { openTestDatabase } from "../../support/databases.ts";
import { startTestApp } from "../../support/app.ts";
import { uuidv7 } from "../../../models/ids.ts";
import { segmentPath } from "../../../models/recording/paths.ts";
import { segmentsBetween } from "../../../models/store/segments.ts";
import { gatherSegments } from "../../../actors/recording/segment_sources.ts";

Deno.test("a box sending more than a segment's stored size is cut off, and the segment named missing", async () => {
  const db = await openTestDatabase("embedded");
  const app = await startTestApp(db);
  let sent = 0;
  const chunk = new Uint8Array(64 * 1024);
  // Streams without end: 64 KiB at a time for as long as the client reads.
  const endless = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, () =>
    new Response(
      new ReadableStream({
        pull(controller) {
          sent += chunk.length;
          controller.enqueue(chunk);
        },
      }),
    ));
  const compiling = await Deno.makeTempDir({ prefix: "vigil-compiling-" });
  const workDir = join(compiling, "records", "tmp");
  await Deno.mkdir(workDir, { recursive: true });
  try {
    const made = await app.call("POST", "/api/cameras", {
      body: { name: "gate", rtspUrl: "rtsp://127.0.0.1:1/none" },
    });
    const camera = (await made.json()).id as string;
    const hostile = uuidv7();
    await db.sql`insert into boxes (id, base_url, rtsp_url, capacity, version) values
      (${hostile}, ${`http://127.0.0.1:${endless.addr.port}`}, 'rtsp://127.0.0.1:1', 4, 'test')`;
    const start = Date.parse("2026-12-06T01:00:00Z");
    await db.sql`insert into segments
      (id, camera_id, path, started_at, ended_at, bytes, duration_ms, box_id, lease_epoch)
      values (${uuidv7(start)}, ${camera}, ${segmentPath(camera, start)}, ${new Date(start)},
              ${new Date(start + 2000)}, 500, 2000, ${hostile}, 1)`;
    const segments = await segmentsBetween(db.sql, camera, new Date(start), new Date(start + 2000));
    const gathered = await gatherSegments(segments, {
      sql: db.sql,
      dataDir: compiling,
      boxId: uuidv7(),
      clusterKey: app.clusterKey,
      workDir,
      prefix: "clip",
      signal: new AbortController().signal,
      fetchTimeoutMs: 20_000,
    });
    assert.equal(gathered.readable.length, 0);
    assert.equal(gathered.missing.length, 1);
    assert.match(gathered.missing[0]!.reason, /more than the 500 bytes/);
    let written = 0;
    for await (const entry of Deno.readDir(workDir)) {
      written += (await Deno.stat(join(workDir, entry.name))).size;
    }
    assert.ok(written <= 500, `${written} bytes written for a 500-byte segment`);
    assert.ok(sent < 16 * 1024 * 1024, `${sent} bytes read from the box before it was cut off`);
  } finally {
    await endless.shutdown();
    await app.close();
    await db.close();
    await Deno.remove(compiling, { recursive: true });
  }
});
