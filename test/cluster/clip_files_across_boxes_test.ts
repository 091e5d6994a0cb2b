/**
 * A clip's file lives on the box that compiled it (records.box_id). Whatever deletes a clip on
 * another box must not drop the row while the file stays behind on the compiling box, where
 * nothing would ever find it again: retention expires only the clips this box compiled, and
 * `DELETE /api/records/{id}` on another box answers 307 to the compiling box.
 */
import assert from "node:assert/strict";
import { dirname } from "node:path";
import { openTestDatabase } from "../support/databases.ts";
import { startTestApp } from "../support/app.ts";
import { uuidv7 } from "../../models/ids.ts";
import { recordFile } from "../../models/recording/paths.ts";
import { insertRecord } from "../../models/store/records.ts";
import { applyRecordingsRetention } from "../../actors/recording/retention.ts";
import { createApp } from "../../routes/app.ts";
import type { Coordinator } from "../../actors/cluster/coordinator.ts";

const exists = (path: string) => Deno.stat(path).then(() => true, () => false);
const DAY_MS = 86_400_000;

Deno.test("retention on one box never strands the file of a clip another box compiled", async () => {
  const db = await openTestDatabase("embedded");
  const app = await startTestApp(db);
  // Box B: the box that compiled the clip, with its own data dir.
  const dirB = await Deno.makeTempDir({ prefix: "vigil-box-b-" });
  try {
    const made = await app.call("POST", "/api/cameras", {
      body: { name: "gate", rtspUrl: "rtsp://127.0.0.1:1/none" },
    });
    const camera = (await made.json()).id as string;
    const boxB = uuidv7();
    const id = uuidv7();
    const now = Date.now();
    await insertRecord(db.sql, {
      id,
      cameraId: camera,
      eventId: null,
      from: new Date(now - 40 * DAY_MS - 10_000),
      to: new Date(now - 40 * DAY_MS),
      annotated: false,
    });
    await db.sql`update records set status = 'done', box_id = ${boxB}, path = ${`${id}.mp4`},
      finished_at = ${new Date(now - 40 * DAY_MS)} where id = ${id}`;
    const fileB = recordFile(dirB, id);
    await Deno.mkdir(dirname(fileB), { recursive: true });
    await Deno.writeFile(fileB, new Uint8Array(1000));

    // Box A's retention runs first, then B's: between them the expired clip must be gone.
    const onA = { sql: db.sql, dataDir: db.dataDir, boxId: app.boxId };
    const onB = { sql: db.sql, dataDir: dirB, boxId: boxB };
    await applyRecordingsRetention(onA, now);
    await applyRecordingsRetention(onB, now);
    assert.equal(await exists(fileB), false, "the clip's file on B outlived its row");
    assert.equal((await db.sql`select id from records where id = ${id}`).length, 0);
  } finally {
    await app.close();
    await db.close();
    await Deno.remove(dirB, { recursive: true });
  }
});

Deno.test("DELETE of a clip another box compiled answers 307 to that box and keeps the row", async () => {
  const db = await openTestDatabase("embedded");
  const app = await startTestApp(db);
  try {
    const made = await app.call("POST", "/api/cameras", {
      body: { name: "gate", rtspUrl: "rtsp://127.0.0.1:1/none" },
    });
    const camera = (await made.json()).id as string;
    const boxB = uuidv7();
    await db.sql`insert into boxes (id, base_url, rtsp_url, capacity, version)
      values (${boxB}, 'http://127.0.0.1:9', 'rtsp://127.0.0.1:1', 4, 'test')`;
    const id = uuidv7();
    await insertRecord(db.sql, {
      id,
      cameraId: camera,
      eventId: null,
      from: new Date(Date.now() - 20_000),
      to: new Date(Date.now() - 10_000),
      annotated: false,
    });
    await db.sql`update records set status = 'done', box_id = ${boxB}, path = ${`${id}.mp4`},
      sha256 = ${"0".repeat(64)}, bytes = 1000, finished_at = now() where id = ${id}`;
    // This box as one of several (only the records routes' use of the coordinator matters here).
    const clustered = createApp({
      ...app,
      auth: false,
      shutdown: app.shutdown,
      cluster: { boxId: app.boxId } as unknown as Coordinator,
    });
    const file = await clustered.request(`/api/records/${id}/file`);
    await file.body?.cancel();
    assert.equal(file.status, 307, "the file is B's (as the route promises)");
    const removed = await clustered.request(`/api/records/${id}`, { method: "DELETE" });
    await removed.body?.cancel();
    assert.equal(removed.status, 307, "only B can delete B's file");
    assert.equal(removed.headers.get("location"), `http://127.0.0.1:9/api/records/${id}`);
    assert.equal((await db.sql`select id from records where id = ${id}`).length, 1);
  } finally {
    await app.close();
    await db.close();
  }
});

Deno.test("a camera deleted on one box leaves no clip file on the box that compiled it", async () => {
  const db = await openTestDatabase("embedded");
  const app = await startTestApp(db);
  const dirB = await Deno.makeTempDir({ prefix: "vigil-box-b-" });
  try {
    const made = await app.call("POST", "/api/cameras", {
      body: { name: "gate", rtspUrl: "rtsp://127.0.0.1:1/none" },
    });
    const camera = (await made.json()).id as string;
    const boxB = uuidv7();
    const id = uuidv7();
    await insertRecord(db.sql, {
      id,
      cameraId: camera,
      eventId: null,
      from: new Date(Date.now() - 20_000),
      to: new Date(Date.now() - 10_000),
      annotated: false,
    });
    await db.sql`update records set status = 'done', box_id = ${boxB}, path = ${`${id}.mp4`},
      finished_at = now() where id = ${id}`;
    const fileB = recordFile(dirB, id);
    await Deno.mkdir(dirname(fileB), { recursive: true });
    await Deno.writeFile(fileB, new Uint8Array(1000));
    // Another clip on B whose row is still there: it stays.
    const kept = uuidv7();
    const other = await app.call("POST", "/api/cameras", {
      body: { name: "yard", rtspUrl: "rtsp://127.0.0.1:1/none" },
    });
    await insertRecord(db.sql, {
      id: kept,
      cameraId: (await other.json()).id,
      eventId: null,
      from: new Date(Date.now() - 20_000),
      to: new Date(Date.now() - 10_000),
      annotated: false,
    });
    await db.sql`update records set status = 'done', box_id = ${boxB}, finished_at = now()
      where id = ${kept}`;
    await Deno.writeFile(recordFile(dirB, kept), new Uint8Array(10));

    const removed = await app.call("DELETE", `/api/cameras/${camera}`);
    assert.equal(removed.status, 204);
    // B's next retention run is B's only chance to notice.
    const onB = { sql: db.sql, dataDir: dirB, boxId: boxB };
    await applyRecordingsRetention(onB);
    assert.equal(await exists(fileB), false, "the deleted camera's clip stayed on B");
    assert.equal(await exists(recordFile(dirB, kept)), true, "a clip with its row stays");
  } finally {
    await app.close();
    await db.close();
    await Deno.remove(dirB, { recursive: true });
  }
});
